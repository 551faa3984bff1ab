"""The uses of a Telegram account: a set of known names, empty allowed."""

from __future__ import annotations

import pytest

from domain.errors import Invalid
from domain.telegram.rules import ALL_USES, AccountUse, account_uses


def test_known_uses_make_a_set() -> None:
    assert account_uses(["invites", "tracking", "invites"]) == {
        AccountUse.INVITES,
        AccountUse.TRACKING,
    }


def test_every_use() -> None:
    assert account_uses([u.value for u in ALL_USES]) == set(AccountUse)


def test_empty_is_allowed() -> None:
    assert account_uses([]) == frozenset()


def test_an_unknown_use_is_invalid() -> None:
    with pytest.raises(Invalid) as raised:
        account_uses(["tracking", "spam"])
    assert list(raised.value.field_errors) == ["uses"]
    assert "'spam'" in raised.value.field_errors["uses"][0]
