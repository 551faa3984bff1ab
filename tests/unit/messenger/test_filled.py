"""``cards.filled`` builds the chat list's frozen rows as their ``__init__`` would."""

from __future__ import annotations

import dataclasses

import pytest

from domain.messenger.cards import ChatRow, MessageCard, UserCard, filled
from domain.messenger.repository import ChatExtras, ListedMember, MessageRow
from domain.messenger.service import ChatOverview

BUILT_SO = (ChatRow, UserCard, MessageCard, ListedMember, ChatExtras, MessageRow, ChatOverview)


@pytest.mark.parametrize("cls", BUILT_SO, ids=lambda cls: cls.__name__)
def test_it_is_a_frozen_dataclass_whose_init_only_sets_its_fields(cls: type) -> None:
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen
    assert not hasattr(cls, "__slots__")
    assert not hasattr(cls, "__post_init__")


@pytest.mark.parametrize("cls", BUILT_SO, ids=lambda cls: cls.__name__)
def test_filled_equals_what_init_makes(cls: type) -> None:
    values = {field.name: object() for field in dataclasses.fields(cls)}

    made: object = filled(cls, **values)

    assert made == cls(**values)
    assert vars(made) == vars(cls(**values))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.id = 1  # type: ignore[attr-defined]
