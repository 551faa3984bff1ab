"""Plain fields read without Strawberry's and graphql-core's per-field machinery.

Most fields of an answer are plain: a Strawberry field with no resolver, no arguments and no
field extensions (permission classes are extensions), whose value is ``getattr(source,
python_name)``. graphql-core still builds a ``ResolveInfo``, a ``Path`` and goes through
Strawberry's resolver wrappers and its generic ``complete_value`` for each of them: a list of
20 chats is about 1,200 fields, and that machinery was most of the request's CPU.

``PlainFieldExecutor`` reads such a field with ``getattr`` itself (and Relay's ``Node.id``
as ``Node._id`` computes it, for node classes that keep its ``resolve_id`` and
``resolve_typename``). A leaf (scalar or enum) value that completes without trouble is coerced
with the type's own ``coerce_output_value``, as ``complete_leaf_value`` does. An object value,
or a list of non-null objects, whose type has no ``is_type_of`` or Strawberry's own (an
isinstance check that never reads its info argument), is checked and its sub-fields executed
as ``complete_object_value`` and ``complete_iterable_value`` do, without a ``ResolveInfo``.
Every other case takes graphql-core's own completion of the value read: a null for a non-null
field, an error or an exception as the value, an awaitable, a value that does not coerce or is
not of its type, an abstract type. Errors, their paths and null propagation are graphql-core's.
Whether a field is plain is decided once per type (``_plans_of``), and each grouped field set
an execution meets is planned once (``FieldSet``: the items of a list share theirs), so that
the loop over an object's fields only reads values and stores those that are their own output
(text, booleans) or whose output is one known method (``datetime.isoformat``).

Nothing is fast when the operation has a field middleware (a schema extension with a
``resolve`` hook wraps every resolver, plain or not), nor for a field whose node carries a
directive (``@stream`` on a list, or one an extension might read).
"""

from __future__ import annotations

import base64
import inspect
import operator
import uuid
import weakref
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, cast

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, gather_with_cancel
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_string
from strawberry import relay
from strawberry.relay import GlobalID
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.types import base_scalars
from strawberry.types.field import StrawberryField
from typing_extensions import override

from resolvers.leafbatch import Leaf, LeafBatch

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Sequence

    from graphql import GraphQLOutputType
    from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet

# The sequences a list field's value is completed from here (anything else: graphql-core).
_SEQUENCES: frozenset[type] = frozenset({list, tuple})

# Values of these types are neither awaitable nor exceptions: no need to ask.
_INERT: frozenset[type] = frozenset({str, int, bool, float, datetime, date})
# Completed results of these types are not awaitable: the fields' own and objects' and lists'.
_SETTLED: frozenset[type] = _INERT | {dict, list, type(None)}

# What a reader returns when the field must take graphql-core's own path after all.
NORMAL: Any = object()


class Plain(NamedTuple):
    """How a plain field is read, and for a leaf how its value is coerced."""

    field: GraphQLField
    read: Callable[[Any], Any]  # the resolver's result from the source, or NORMAL
    coerce: Callable[[Any], Any] | None  # None: not a leaf, graphql-core completes it
    nullable: bool
    same: type | None  # values of exactly this class coerce to themselves
    # An object type (T or T!) or a list's item object type ([T!] or [T!]!) whose values
    # are completed here: with no is_type_of, or Strawberry's own (which ignores the info).
    object_type: GraphQLObjectType | None = None
    item_type: GraphQLObjectType | None = None
    non_null_item: GraphQLNonNull[GraphQLObjectType] | None = None  # the schema's T! of [T!]
    # Values of exactly this class coerce by this function (the method the coercion calls).
    exact: type | None = None
    exact_coerce: Callable[[Any], Any] | None = None
    attribute: str | None = None  # the attribute ``read`` reads; None: another reader


# Scalars whose coercion returns a value of this exact class unchanged.
_UNCHANGED: dict[Callable[[Any], Any], type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
}


# Strawberry's Date, DateTime and Time coerce with ``value.isoformat()``: for a value of
# exactly the class the scalar is named after, that is the class's own method.
_ISOFORMAT = base_scalars.isoformat
_ISOFORMAT_CLASSES: dict[str, type[date | datetime | time]] = {
    "DateTime": datetime,
    "Date": date,
    "Time": time,
}


def _exact_class(
    named: Any, coerce: Callable[[Any], Any] | None
) -> type[date | datetime | time] | None:
    """The class of the values that a leaf's ``exact_coerce`` coerces."""
    return _ISOFORMAT_CLASSES.get(named.name) if coerce is _ISOFORMAT else None


def _exact_coerce(exact: type[date | datetime | time] | None) -> Callable[[Any], Any] | None:
    return _datetime_text if exact is datetime else None if exact is None else exact.isoformat


_DATETIME_TEXTS_SIZE = 4096
_datetime_texts: dict[datetime, str] = {}


def _datetime_text(value: datetime) -> str:
    """``value.isoformat()``, remembered for the last few thousand UTC times (the database
    gives those): the same users' and messages' times come back in every chat list, and
    formatting one costs ten times a lookup. Only UTC times, whose equal values show equally
    (equal times of other zones can differ in offset, or in fold)."""
    if value.tzinfo is not UTC:
        return datetime.isoformat(value)
    text = _datetime_texts.get(value)
    if text is None:
        if len(_datetime_texts) >= _DATETIME_TEXTS_SIZE:
            _datetime_texts.clear()
        text = _datetime_texts[value] = datetime.isoformat(value)
    return text


def plain_field(parent_type: GraphQLObjectType, field: GraphQLField) -> Plain | None:
    """How to read ``field`` of ``parent_type`` without its resolver; None for a field that
    takes graphql-core's and Strawberry's path."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or definition.is_subscription:
        return None
    if field.args or type(definition).get_result is not StrawberryField.get_result:
        return None
    nullable = not isinstance(field.type, GraphQLNonNull)
    named = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    coerce = (
        named.coerce_output_value
        if isinstance(named, GraphQLScalarType | GraphQLEnumType)
        else None
    )
    attribute = _attribute(field, definition)
    read = (
        _node_id_reader(parent_type, field, definition, coerce)
        if attribute is None
        else operator.attrgetter(attribute)
    )
    if read is None:
        return None
    same = _UNCHANGED.get(coerce)  # type: ignore[arg-type]
    items = _non_null_items(named)
    item_type = None if items is None else items.of_type
    exact = _exact_class(named, coerce)
    return Plain(
        field, read, coerce, nullable, same, _object_type(named), item_type, items,
        exact, _exact_coerce(exact), attribute,
    )  # fmt: skip


def _object_type(named: Any) -> GraphQLObjectType | None:
    if not isinstance(named, GraphQLObjectType):
        return None
    check = named.is_type_of
    if check is None or getattr(check, "__qualname__", "") == _STRAWBERRY_IS_TYPE_OF:
        return named
    return None


def _non_null_items(named: Any) -> GraphQLNonNull[GraphQLObjectType] | None:
    """T! of a list type [T!] whose T ``_object_type`` accepts."""
    if not isinstance(named, GraphQLList) or not isinstance(named.of_type, GraphQLNonNull):
        return None
    return named.of_type if _object_type(named.of_type.of_type) is not None else None


# The is_type_of Strawberry gives a type implementing interfaces: an isinstance check that
# never reads its info argument.
_STRAWBERRY_IS_TYPE_OF = (
    "GraphQLCoreConverter.from_object.<locals>._get_is_type_of.<locals>.is_type_of"
)


def _attribute(field: GraphQLField, definition: StrawberryField) -> str | None:
    """The attribute a field is read from (``getattr(source, python_name)``), for a field
    that Strawberry resolves so: no resolver, no field extensions (permission classes are
    extensions), no exception handler (Strawberry gives such a field ``_get_basic_result``
    only when none applies) and the default resolver."""
    if not definition.is_basic_field or definition.default_resolver is not getattr:
        return None
    if getattr(field.resolve, "__name__", None) != "_get_basic_result":
        return None
    attribute = definition.python_name
    return attribute if isinstance(attribute, str) else None


def _node_id_reader(
    parent_type: GraphQLObjectType,
    field: GraphQLField,
    definition: StrawberryField,
    coerce: Callable[[Any], Any] | None,
) -> Callable[[Any], Any] | None:
    """Relay's ``Node.id`` as Strawberry's ``Node._id`` resolves it: the ``GlobalID`` of the
    parent type's name (``resolve_typename`` reads the path's type name, which is the
    parent's) and the node's ``NodeID`` attribute. A node class overriding ``resolve_id``
    or ``resolve_typename``, a source that is not a ``Node`` instance and an id that is None
    (an assertion in ``_id``) or awaitable take the resolver. When the field is graphql-core's
    ``ID`` (whose coercion of a ``GlobalID`` is ``str()``, the base64 text), the reader gives
    that text itself."""
    resolver = definition.base_resolver
    if resolver is None or definition.extensions or definition.is_async:
        return None
    if getattr(resolver.wrapped_func, "__func__", None) is not _NODE_ID_RESOLVER:
        return None
    if getattr(field.resolve, "__name__", None) != "_resolver":
        return None
    type_name = parent_type.name
    node_id_of = _NodeIds()

    if coerce is not serialize_id or GlobalID.__str__ is not _GLOBAL_ID_TEXT:

        def read(source: Any) -> Any:
            node_id = node_id_of(source)
            if node_id is NORMAL:
                return NORMAL
            return GlobalID(type_name=type_name, node_id=str(node_id))

        return read
    texts = _GlobalIdTexts(type_name)

    def read_text(source: Any) -> Any:
        node_id = node_id_of(source)
        return NORMAL if node_id is NORMAL else texts.text(node_id)

    return read_text


class _NodeIds:
    """The node id ``Node._id`` would make a GlobalID of; NORMAL when the resolver must run.
    The last source class's ``NodeID`` attribute is kept at hand: a field's sources are
    mostly of one class."""

    def __init__(self) -> None:
        self.last: tuple[type | None, str | None] = (None, None)  # one tuple: read at once

    def __call__(self, source: Any) -> Any:
        cls, attribute = self.last
        if source.__class__ is not cls:
            attribute = _node_id_attribute(source.__class__)
            self.last = (source.__class__, attribute)
        if attribute is None:
            return NORMAL
        node_id = getattr(source, attribute)
        if node_id.__class__ is not str and (node_id is None or inspect.isawaitable(node_id)):
            return NORMAL
        return node_id


class _GlobalIdTexts:
    """``str(GlobalID(type_name, str(node_id)))`` (``to_base64`` of "type_name:node_id")
    without the dataclass, remembered for the node ids seen last: the same users' ids come
    back in every chat list."""

    SIZE = 4096
    # Equal keys of these exact classes have equal texts (unlike 1 and True, or 1 and 1.0).
    KEYS: frozenset[type] = frozenset({str, int, uuid.UUID})

    def __init__(self, type_name: str) -> None:
        self.prefix = f"{type_name}:"
        self.texts: dict[Any, str] = {}

    def text(self, node_id: Any) -> str:
        if node_id.__class__ not in self.KEYS:
            return self.computed(node_id)
        found = self.texts.get(node_id)
        if found is None:
            if len(self.texts) >= self.SIZE:
                self.texts.clear()
            found = self.texts[node_id] = self.computed(node_id)
        return found

    def computed(self, node_id: Any) -> str:
        return base64.b64encode(f"{self.prefix}{node_id!s}".encode()).decode()


_NODE_ID_RESOLVER = relay.Node.__dict__["_id"].__func__
_GLOBAL_ID_TEXT = GlobalID.__str__
_DEFAULT_RESOLVE_ID = relay.Node.__dict__["resolve_id"].__func__
_DEFAULT_RESOLVE_TYPENAME = relay.Node.__dict__["resolve_typename"].__func__
_node_id_attributes: weakref.WeakKeyDictionary[type, str | None] = weakref.WeakKeyDictionary()


def _node_id_attribute(cls: type) -> str | None:
    """The ``NodeID`` attribute of a node class that resolves its ids and type names as
    ``Node`` does; None for any other class."""
    try:
        return _node_id_attributes[cls]
    except KeyError:
        pass
    attribute = None
    if (
        issubclass(cls, relay.Node)
        and cls.resolve_id.__func__ is _DEFAULT_RESOLVE_ID  # type: ignore[attr-defined]
        and cls.resolve_typename.__func__ is _DEFAULT_RESOLVE_TYPENAME  # type: ignore[attr-defined]
    ):
        try:
            attribute = cls.resolve_id_attr()
        except Exception:  # the resolver raises it, as the field's error
            attribute = None
    _node_id_attributes[cls] = attribute
    return attribute


# Computed once per GraphQL type of a schema, on the first execution that meets it.
_plans: weakref.WeakKeyDictionary[GraphQLObjectType, dict[str, Plain | None]] = (
    weakref.WeakKeyDictionary()
)


def _plans_of(parent_type: GraphQLObjectType) -> dict[str, Plain | None]:
    plans = _plans.get(parent_type)
    if plans is None:
        plans = {
            name: plain_field(parent_type, field) for name, field in parent_type.fields.items()
        }
        _plans[parent_type] = plans
    return plans


def _undirected(field_details_list: FieldDetailsList) -> bool:
    return all(not details.node.directives for details in field_details_list)


class FieldSet(NamedTuple):
    """A grouped field set of an object type, each field with its plan (None: graphql-core's
    ``execute_field``)."""

    parent_type: GraphQLObjectType
    grouped_field_set: GroupedFieldSet
    entries: tuple[Entry, ...]
    batch: LeafBatch | None  # when every field is a plain leaf


def _leaf_batch(parent_type: GraphQLObjectType, entries: tuple[Entry, ...]) -> LeafBatch | None:
    """The batch of a field set whose fields are all plain leaves; the same one for the same
    selection in every execution, so that what it learns (its decisions) lasts."""
    key = []  # the plans are the type's: response and field names say which leaves these are
    for response_name, field_details_list, plan, *_ in entries:
        if plan is None or plan.coerce is None:
            return None
        key.append((response_name, field_details_list[0].node.name.value))
    batches = _batches.get(parent_type)
    if batches is None:
        batches = _batches[parent_type] = {}
    found = batches.get(tuple(key), _NO_BATCH)
    if found is _NO_BATCH:
        if len(batches) >= BATCHES:
            batches.clear()
        found = batches[tuple(key)] = LeafBatch.of(_leaves(entries))
    return found  # type: ignore[no-any-return]


def _leaves(entries: tuple[Entry, ...]) -> tuple[Leaf, ...]:
    return tuple(
        Leaf(response_name, plan.attribute, plan.read, plan.same, plan.exact,
             plan.exact_coerce, plan.nullable)
        for response_name, _, plan, *_ in entries
        if plan is not None
    )  # fmt: skip


# The batches of each object type's selections (a few per type, in practice).
BATCHES = 256
_batches: weakref.WeakKeyDictionary[GraphQLObjectType, dict[Any, LeafBatch | None]] = (
    weakref.WeakKeyDictionary()
)
_NO_BATCH: Any = object()


# A field to execute: response name, field details, its plan (None: graphql-core's path)
# and the plan's read, same and exact, at hand for the loop.
Entry = tuple[
    str, "FieldDetailsList", Plain | None, "Callable[[Any], Any] | None", type | None, type | None
]


def _entries(
    plans: dict[str, Plain | None], grouped_field_set: GroupedFieldSet
) -> tuple[Entry, ...]:
    """The fields in order with their plans; a field whose node carries a directive takes
    graphql-core's path."""
    entries: list[Entry] = []
    for response_name, field_details_list in grouped_field_set.items():
        plan = plans.get(field_details_list[0].node.name.value)
        if plan is None or not _undirected(field_details_list):
            entries.append((response_name, field_details_list, None, None, None, None))
        else:
            entries.append(
                (response_name, field_details_list, plan, plan.read, plan.same, plan.exact)
            )
    return tuple(entries)


async def _awaited_items(results: list[Any], awaitable_indices: list[int]) -> list[Any]:
    """``results`` with the items at ``awaitable_indices`` awaited (as
    complete_iterable_value)."""
    if len(awaitable_indices) == 1:
        index = awaitable_indices[0]
        results[index] = await results[index]
    else:
        awaited = await gather_with_cancel(*(results[index] for index in awaitable_indices))
        for index, item in zip(awaitable_indices, awaited, strict=True):
            results[index] = item
    return results


async def _await_completed(
    executor: PlainFieldExecutor,
    completed: Awaitable[Any],
    return_type: GraphQLOutputType,
    field_details_list: FieldDetailsList,
    path: Path,
) -> Any:
    try:
        return await completed
    except Exception as raw_error:
        executor.handle_field_error(raw_error, return_type, field_details_list, path)
        return None


async def _awaited(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
    """``results`` with the values of ``awaitable_fields`` awaited (as execute_fields)."""
    if len(awaitable_fields) == 1:
        field = awaitable_fields[0]
        results[field] = await results[field]
    else:
        awaited_results = await gather_with_cancel(*(results[field] for field in awaitable_fields))
        results.update(zip(awaitable_fields, awaited_results, strict=True))
    return results


class PlainFieldExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, reading plain fields directly (see the module's docstring)."""

    # False: every field takes graphql-core's own path (the tests compare the two answers).
    enabled: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self.plain_fields = self.enabled and (manager is None or not manager.middlewares)
        self._type_plans: dict[GraphQLObjectType, dict[str, Plain | None]] = {}
        self._field_sets: dict[int, FieldSet] = {}

    @override
    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        # graphql-core's execute_fields, but for the plain fields.
        if not self.plain_fields:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        return self.execute_field_set(
            self._field_set(parent_type, grouped_field_set), source_value, path, position_context
        )

    def execute_field_set(
        self, field_set: FieldSet, source_value: Any, path: Path | None, position_context: Any
    ) -> Any:
        """execute_fields for a planned grouped field set."""
        if field_set.batch is not None:
            completed = field_set.batch.results(source_value)
            if completed is not None:
                return completed
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        try:
            self._execute_entries(
                field_set, source_value, path, position_context, results, awaitable_fields
            )
        except Exception:
            if awaitable_fields:
                # Ensure that awaitables created by other fields are settled,
                # as they may also fail.
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        return _awaited(results, awaitable_fields) if awaitable_fields else results

    def _execute_entries(
        self,
        field_set: FieldSet,
        source_value: Any,
        path: Path | None,
        position_context: Any,
        results: dict[str, Any],
        awaitable_fields: list[str],
    ) -> None:
        """Each field's result into ``results``, and the names of the awaitable ones into
        ``awaitable_fields`` (execute_fields' loop)."""
        parent_type = field_set.parent_type
        is_awaitable = self.is_awaitable
        for response_name, field_details_list, plan, read, same, exact in field_set.entries:
            if plan is None:
                field_path = Path(path, response_name, parent_type.name)
                result = self.execute_field(
                    parent_type, source_value, field_details_list, field_path, position_context
                )
            else:
                try:
                    value = read(source_value)  # type: ignore[misc]  # (a plan has one)
                except Exception as raw_error:  # the resolver's error
                    field_path = Path(path, response_name, parent_type.name)
                    self.handle_field_error(
                        raw_error, plan.field.type, field_details_list, field_path
                    )
                    results[response_name] = None
                    continue
                # Most fields' leaves: values that are their own output, or whose output one
                # known method gives.
                if value.__class__ is same:
                    results[response_name] = value
                    continue
                if value.__class__ is exact:
                    results[response_name] = plan.exact_coerce(value)  # type: ignore[misc]
                    continue
                result = self.complete_read(
                    plan, parent_type, source_value, field_details_list, path, response_name,
                    position_context, value,
                )  # fmt: skip
            if result is not Undefined:
                results[response_name] = result
                if result.__class__ not in _SETTLED and is_awaitable(result):
                    awaitable_fields.append(response_name)

    def _field_set(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> FieldSet:
        """The fields to execute for ``grouped_field_set``, planned once per execution: the
        items of a list share one (graphql-core memoizes it per list)."""
        found = self._field_sets.get(id(grouped_field_set))
        if found is not None and found.parent_type is parent_type:
            return found
        plans = self._type_plans.get(parent_type)
        if plans is None:
            plans = self._type_plans[parent_type] = _plans_of(parent_type)
        entries = _entries(plans, grouped_field_set)
        planned = FieldSet(
            parent_type, grouped_field_set, entries, _leaf_batch(parent_type, entries)
        )
        # Kept with the set itself, so that its id is not another set's while it is kept.
        self._field_sets[id(grouped_field_set)] = planned
        return planned

    def complete_read(
        self,
        plan: Plain,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        parent_path: Path | None,
        response_name: str,
        position_context: Any,
        value: Any,
    ) -> Any:
        """What graphql-core's ``execute_field`` gives for a plain field whose value ``read``
        gave: a leaf's value is coerced here when that cannot fail; any other value is
        completed by graphql-core."""
        if value is NORMAL:
            path = Path(parent_path, response_name, parent_type.name)
            return self.execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        if value is None:
            if plan.nullable:
                return None
        elif plan.coerce is not None:
            coerced = self._coerced(plan.coerce, value)
            if coerced is not None:
                return coerced
        else:
            path = Path(parent_path, response_name, parent_type.name)
            completed = self._objects(plan, field_details_list, path, value, position_context)
            if completed is not NORMAL:
                return completed
        path = Path(parent_path, response_name, parent_type.name)
        return self.complete_plain(
            plan.field, parent_type, field_details_list, path, value, position_context
        )

    def _objects(
        self,
        plan: Plain,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        """An object or list of objects completed by ``complete_objects``; NORMAL for any
        value ``_all_of`` does not accept."""
        if plan.object_type is not None and self._all_of(plan.object_type, [value]):
            return self.complete_objects(
                plan, field_details_list, path, value, position_context, listed=False
            )
        if (
            plan.item_type is not None
            and value.__class__ in _SEQUENCES
            and self._all_of(plan.item_type, cast("Sequence[Any]", value))
        ):
            return self.complete_objects(
                plan, field_details_list, path, value, position_context, listed=True
            )
        return NORMAL

    def _all_of(self, object_type: GraphQLObjectType, values: Iterable[Any]) -> bool:
        """Whether each value completes as an ``object_type`` without trouble: not null, no
        exception or awaitable, and of the type (its is_type_of, which ignores the info)."""
        check = object_type.is_type_of
        is_awaitable = self.is_awaitable
        for value in values:
            if value is None or isinstance(value, Exception) or is_awaitable(value):
                return False
            if check is not None and not check(value, None):  # type: ignore[arg-type]
                return False
        return True

    def complete_objects(
        self,
        plan: Plain,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
        position_context: Any,
        *,
        listed: bool,
    ) -> Any:
        """graphql-core's completion of an object value (or of a list of them, ``listed``)
        that ``_all_of`` accepted, as ``execute_field`` does it, without a ResolveInfo."""
        return_type = plan.field.type
        try:
            if listed:
                completed = self._object_list(
                    plan, field_details_list, path, value, position_context
                )
            else:
                completed = self.collect_and_execute_subfields(
                    plan.object_type,  # type: ignore[arg-type]
                    field_details_list,
                    path,
                    value,
                    position_context,
                )
            if self.is_awaitable(completed):
                return _await_completed(self, completed, return_type, field_details_list, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return completed

    def _object_list(
        self,
        plan: Plain,
        field_details_list: FieldDetailsList,
        path: Path,
        items: Sequence[Any],
        position_context: Any,
    ) -> Any:
        """graphql-core's complete_iterable_value for non-null objects, no ``@stream``."""
        object_type: GraphQLObjectType = plan.item_type  # type: ignore[assignment]
        item_type: GraphQLNonNull[GraphQLObjectType] = plan.non_null_item  # type: ignore[assignment]
        execute = self._subfields_executor(object_type, field_details_list, position_context)
        is_awaitable = self.is_awaitable
        completed_results: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = path.add_key(index, None)
                try:
                    completed = execute(item_path, item)
                    if is_awaitable(completed):
                        completed = _await_completed(
                            self, completed, item_type, field_details_list, item_path
                        )
                        awaitable_indices.append(index)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    completed = None
                completed_results.append(completed)
        except Exception:
            if awaitable_indices:
                self.settle_in_background([completed_results[i] for i in awaitable_indices])
            raise
        if not awaitable_indices:
            return completed_results
        return _awaited_items(completed_results, awaitable_indices)

    def _subfields_executor(
        self,
        object_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        position_context: Any,
    ) -> Callable[[Path, Any], Any]:
        """collect_and_execute_subfields for the items of one list, collecting their
        sub-fields (and planning them) once rather than looking them up per item. Should
        collecting fail, each item does it again and fails with its own path, as before."""
        try:
            grouped_field_set, new_defer_usages, _ = self.collect_subfields(
                object_type, field_details_list
            )
        except Exception:
            return lambda item_path, item: self.collect_and_execute_subfields(
                object_type, field_details_list, item_path, item, position_context
            )
        if not new_defer_usages and position_context is None:
            # execute_collected_subfields then calls execute_fields (graphql-core's executor
            # and its incremental one alike): here with the items' plan at hand.
            field_set = self._field_set(object_type, grouped_field_set)
            return lambda item_path, item: self.execute_field_set(field_set, item, item_path, None)
        return lambda item_path, item: self.execute_collected_subfields(
            object_type, item, item_path, grouped_field_set, new_defer_usages, position_context
        )

    def _coerced(self, coerce: Callable[[Any], Any], value: Any) -> Any:
        """A leaf's output value; None when graphql-core's completion must decide (an
        awaitable or an exception as the value, an error, a coercion to nothing)."""
        if value.__class__ not in _INERT and (
            value is Undefined or isinstance(value, Exception) or self.is_awaitable(value)
        ):
            return None
        try:
            coerced = coerce(value)
        except Exception:  # complete_plain coerces again and reports it
            return None
        return None if coerced is Undefined else coerced

    def complete_plain(
        self,
        field: GraphQLField,
        parent_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """A plain field's value completed as graphql-core's ``execute_field`` completes a
        resolver's result."""
        return_type = field.type
        info = self.build_resolve_info(field, to_nodes(field_details_list), parent_type, path)
        try:
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
            if self.is_awaitable(completed):
                return _await_completed(self, completed, return_type, field_details_list, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return completed
