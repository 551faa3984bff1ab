"""A world file (YAML, or JSON, which YAML reads too), checked before anything starts: each
problem is named by its field's path and its line in the file."""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

from domain.adapters.simulated.document import WorldState
from domain.adapters.simulated.validation import Problem, WorldInvalid, parse_document
from domain.adapters.simulated.world import apply_document

if TYPE_CHECKING:
    from pathlib import Path

    from domain.adapters.simulated.document import WorldDocument
    from domain.adapters.simulated.validation import Loc


def read_world_file(path: Path) -> WorldDocument:
    """The document in ``path``, checked as loading would check it; WorldInvalid otherwise."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise WorldInvalid([Problem((), f"cannot be read ({exc})")], str(path)) from None
    node, raw = _parse(text, str(path))
    try:
        document = parse_document(raw)
        apply_document(WorldState(), document, now=0.0)  # the checks across fields
    except WorldInvalid as exc:
        raise exc.located(str(path), lambda loc: line_of(node, loc)) from None
    return document


def _parse(text: str, source: str) -> tuple[yaml.Node | None, object]:
    """The YAML node tree (it keeps each value's line) and the data built from it."""
    loader = yaml.SafeLoader(text)  # type: ignore[no-untyped-call]
    try:
        node = loader.get_single_node()  # type: ignore[no-untyped-call]
        return node, None if node is None else loader.construct_document(node)  # type: ignore[no-untyped-call]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise WorldInvalid([Problem((), f"not YAML or JSON: {reason}", line)], source) from None
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]


def line_of(node: yaml.Node | None, loc: Loc) -> int:
    """The line (from 1) of the field at ``loc``: the line of its key in a mapping, of its
    item in a list; where the path leaves the file, the line of the last part found."""
    if node is None:
        return 1
    line = int(node.start_mark.line)
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        node, line = found
    return line + 1


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, int] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value, key.start_mark.line
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item, item.start_mark.line
    return None
