"""An object whose selected fields are all plain leaves, completed in a few C-level steps.

Most objects of a chat list are users: nine leaf fields each, about 1,000 of the answer's
1,180 fields. ``resolvers.plainfields`` reads and stores each in a Python loop; here one
``attrgetter`` reads every attribute field at once, the classes of the values read pick a
remembered decision (each value is its own output, null where that is allowed, or one known
method gives it: ``datetime.isoformat``), and the results dict is filled in the selection's
order. Anything else (a value of another class, a null for a non-null field, an attribute
that raises, another reader's value that is not text) answers None: the caller then takes
the per-field path, which reads the fields again and completes them as graphql-core does.

Reading twice is harmless only when reading has no effects: a source class takes this path
only when each attribute read is a plain instance attribute (no property or other
descriptor, no ``__getattr__``), so the values read here in a different order than the
per-field path would are the same values. Other readers (Relay's ``Node.id``) run after the
attributes, and again should the per-field path take over.
"""

from __future__ import annotations

import operator
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable


class Leaf(NamedTuple):
    """A plain leaf field as the batch needs it."""

    response_name: str
    attribute: str | None  # the source's attribute; None: ``read`` reads the value
    read: Callable[[Any], Any]
    same: type | None  # values of exactly this class are their own output
    exact: type | None  # values of exactly this class are output by ``exact_coerce``
    exact_coerce: Callable[[Any], Any] | None
    nullable: bool


# How many decisions (one per tuple of value classes) an object type's batch remembers.
DECISIONS = 64
_ATTRIBUTE_ACCESS: Any = object.__getattribute__


class LeafBatch:
    """The leaves of one grouped field set, when there are at least two attribute fields."""

    def __init__(self, leaves: tuple[Leaf, ...]) -> None:
        attributes = [leaf for leaf in leaves if leaf.attribute is not None]
        self.names = tuple(leaf.response_name for leaf in leaves)
        self.attribute_leaves = tuple(attributes)
        self.attribute_names = tuple(leaf.response_name for leaf in attributes)
        self.python_names = tuple(leaf.attribute for leaf in attributes)
        self.getter = operator.attrgetter(*self.python_names)  # type: ignore[arg-type]
        self.others = tuple(
            (leaf.response_name, leaf.read) for leaf in leaves if not leaf.attribute
        )
        # Per tuple of value classes: the (position, name, coerce) to convert, or None.
        self.decisions: dict[tuple[type, ...], tuple[tuple[int, str, Any], ...] | None] = {}
        self.last_class: tuple[type | None, bool] = (None, False)  # one tuple: read at once

    @classmethod
    def of(cls, leaves: tuple[Leaf, ...]) -> LeafBatch | None:
        attributes = sum(1 for leaf in leaves if leaf.attribute is not None)
        return cls(leaves) if attributes >= 2 else None  # (one name: attrgetter gives no tuple)

    def results(self, source: Any) -> dict[str, Any] | None:
        """The completed fields of ``source``; None when the per-field path must decide."""
        cls, plain = self.last_class
        if type(source) is not cls:
            plain = self._plain_class(type(source))
        if not plain:
            return None
        try:
            values = self.getter(source)
        except Exception:  # the per-field path reports it
            return None
        classes = tuple(map(type, values))
        try:
            converts = self.decisions[classes]
        except KeyError:
            converts = self._decision(classes)
        if converts is None:
            return None
        results = dict.fromkeys(self.names)  # the selection's order
        results.update(zip(self.attribute_names, values, strict=True))
        for position, name, coerce in converts:
            results[name] = coerce(values[position])
        for name, read in self.others:
            try:
                value = read(source)
            except Exception:  # the per-field path reports it
                return None
            if value.__class__ is not str:
                return None
            results[name] = value
        return results

    def _decision(self, classes: tuple[type, ...]) -> tuple[tuple[int, str, Any], ...] | None:
        """Decided once for these classes (the last ``DECISIONS`` of them kept)."""
        decision = _decided(self.attribute_leaves, classes)
        if len(self.decisions) >= DECISIONS:
            self.decisions.clear()
        self.decisions[classes] = decision
        return decision

    def _plain_class(self, cls: type) -> bool:
        """Whether ``cls`` has plain attributes, kept for the next source of that class."""
        plain = _plain_attributes(cls, self.python_names)  # type: ignore[arg-type]
        self.last_class = (cls, plain)
        return plain


def _decided(
    leaves: tuple[Leaf, ...], classes: tuple[type, ...]
) -> tuple[tuple[int, str, Any], ...] | None:
    """What values of these classes need: the conversions to make, or None when some value
    is not one the batch completes."""
    converts = []
    for position, (leaf, value_class) in enumerate(zip(leaves, classes, strict=True)):
        if value_class is leaf.same or (value_class is type(None) and leaf.nullable):
            continue
        if value_class is leaf.exact:
            converts.append((position, leaf.response_name, leaf.exact_coerce))
            continue
        return None
    return tuple(converts)


def _plain_attributes(cls: type, names: tuple[str, ...]) -> bool:
    """Whether reading these attributes of a ``cls`` instance has no effects: the class's
    own attribute access, and no descriptor but slots under those names."""
    if cls.__getattribute__ is not _ATTRIBUTE_ACCESS or hasattr(cls, "__getattr__"):
        return False
    for name in names:
        for klass in cls.__mro__:
            if name in klass.__dict__:
                found = type(klass.__dict__[name])
                if hasattr(found, "__get__") and found is not MemberDescriptorType:
                    return False
                break
    return True
