"""Schemathesis hooks for the REST fuzz run (loaded through ``SCHEMATHESIS_HOOKS``).

In an authenticated run, no DELETE that names the caller itself: deleting one's own account
(``current`` or the caller's id in a path) would end the run's token, and the rest of the run
would only see 401s. Which values name the caller comes from ``TGHUB_FUZZ_CALLER``
(comma-separated, set by ``tests/fuzz/rest.py`` per run; empty in the anonymous run). The
route is not named: any DELETE whose path names the caller is left out.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import schemathesis

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.hooks import HookContext

CALLER_VARIABLE = "TGHUB_FUZZ_CALLER"
CALLER = frozenset(filter(None, os.environ.get(CALLER_VARIABLE, "").split(",")))


@schemathesis.hook
def filter_case(ctx: HookContext, case: Case[Any]) -> bool:
    if case.method.upper() != "DELETE" or not CALLER:
        return True
    named = {str(value) for value in (case.path_parameters or {}).values()}
    return not named & CALLER
