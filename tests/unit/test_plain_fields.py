"""Plain fields read directly (resolvers.plainfields) answer exactly as Strawberry's and
graphql-core's own per-field path does: every case runs the same document on two schemas of
the same types, one with ``PlainFieldExecutor`` and one with Strawberry's stock executor, and
compares data and errors (message, path, locations)."""

from __future__ import annotations

import asyncio
import operator
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import Enum
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NewType

import pytest
import strawberry
from strawberry import relay
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from typing_extensions import override

from resolvers import leafbatch, plainfields
from resolvers.plainfields import PlainFieldExecutor, _GlobalIdTexts, plain_field
from resolvers.root import GraphQLLimits, build_schema

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from graphql import GraphQLObjectType, GraphQLResolveInfo


# A scalar that shows anything: a value that should have been awaited would show too.
Shown = NewType("Shown", object)
SCALARS: dict[object, Any] = {
    Shown: strawberry.scalar(name="Shown", serialize=str, parse_value=str)
}


@strawberry.enum
class Mood(Enum):
    HAPPY = "happy"
    SAD = "sad"


class Shouting(FieldExtension):
    @override
    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        return str(next_(source, info, **kwargs)).upper()


class Denied(BasePermission):
    message = "not for you"

    @override
    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Pet:
    name: str
    age: int | None
    nickname: str
    mood: Mood
    shown: Shown | None
    tags: list[str]
    scores: list[int | None]
    friend: Pet | None
    friends: list[Pet]
    loud: str = strawberry.field(extensions=[Shouting()])
    secret: str | None = strawberry.field(permission_classes=[Denied], default=None)

    @strawberry.field
    def greeting(self, punctuation: str = "!") -> str:
        return f"hello {self.name}{punctuation}"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Dog(Named):
    name: str
    barks: bool


@strawberry.type
class Cat(Named):
    name: str
    lives: int


@strawberry.type
class Book(relay.Node):
    code: relay.NodeID[str]
    title: str


@strawberry.type
class Tome(relay.Node):
    """A node with ids of any class (the test sets them)."""

    code: relay.NodeID[Any]


@strawberry.type
class Diary:
    at: datetime
    day: date
    hour: time
    maybe: datetime | None


@strawberry.type
class Profile(relay.Node):
    """All leaves: a selection of them completes in one batch (resolvers.leafbatch)."""

    code: relay.NodeID[str]
    name: str
    bio: str | None
    seen: datetime | None
    online: bool


class Watched(Profile):
    """A Profile whose name is a property: reading it counts."""

    reads = 0

    @property  # type: ignore[explicit-override]  # (over a dataclass field)
    def name(self) -> str:
        Watched.reads += 1
        return self.bio or "watched"

    @name.setter
    def name(self, value: str) -> None:
        pass


class Fallback(Profile):
    """A Profile answering attributes it lacks through ``__getattr__``."""

    calls = 0

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        Fallback.calls += 1
        return f"got {name}"


@strawberry.type
class CustomBook(relay.Node):
    code: relay.NodeID[str]

    @override
    @classmethod
    def resolve_id(cls, root: CustomBook, *, info: strawberry.Info) -> str:
        return f"custom-{root.code}"


@strawberry.type
class Query:
    pet: Pet | None
    pets: list[Pet] | None
    strict_pet: Pet
    named: list[Named] | None
    dog: Dog | None
    dogs: list[Dog] | None
    animal: Dog | Cat | None
    books: list[Book]
    custom_books: list[CustomBook]
    tomes: list[Tome]
    diaries: list[Diary] | None
    profiles: list[Profile] | None


def pet(name: str = "rex", **changes: Any) -> Any:
    """A source object for Pet (Pet implements no interface: any object with the
    attributes is one)."""
    values: dict[str, Any] = {
        "name": name,
        "age": 3,
        "nickname": name.upper(),
        "mood": Mood.HAPPY,
        "shown": 7,
        "tags": ["a", "b"],
        "scores": [1, None, 3],
        "friend": None,
        "friends": [],
        "loud": f"{name} barks",
        "secret": "s",
    }
    values.update(changes)
    return SimpleNamespace(**values)


class Moment(datetime):
    """A datetime that shows otherwise: its own isoformat must be the one called."""

    @override
    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "a moment"


def diary(**changes: Any) -> Any:
    values: dict[str, Any] = {
        "at": datetime(2026, 12, 7, 20, 30, 1, 250, tzinfo=UTC),
        "day": date(2026, 12, 7),
        "hour": time(20, 30, 1, 5),
        "maybe": datetime.fromisoformat("2026-01-02T03:04:05"),  # naive
    }
    values.update(changes)
    return SimpleNamespace(**values)


def profile(key: str, cls: type[Profile] = Profile, **changes: Any) -> Profile:
    values: dict[str, Any] = {
        "code": key,
        "name": f"name {key}",
        "bio": "bio",
        "seen": datetime(2026, 12, 7, 20, 30, tzinfo=UTC),
        "online": True,
    }
    values.update(changes)
    return cls(**values)


class Unshowable:
    @override
    def __str__(self) -> str:
        raise ValueError("no text")


class Text(str):
    """Text, but not exactly a str."""

    __slots__ = ()


def root(**values: Any) -> Any:
    defaults: dict[str, Any] = {
        "pet": pet(),
        "pets": [pet("rex"), pet("fido")],
        "strict_pet": pet("max"),
        "named": [Dog(name="d", barks=True), Cat(name="c", lives=9)],
        "animal": Cat(name="c", lives=7),
        "dog": Dog(name="rex", barks=True),
        "dogs": [Dog(name="a", barks=True), Dog(name="b", barks=False)],
        "books": [Book(code="1", title="One"), Book(code="2", title="Two")],
        "custom_books": [CustomBook(code="9")],
        "tomes": [Tome(code="t")],
        "diaries": [diary()],
        "profiles": [profile("p1"), profile("p2", bio=None, seen=None)],
    }
    defaults.update(values)
    return SimpleNamespace(**defaults)


class CountingExecutor(PlainFieldExecutor):
    """Counts the ResolveInfo objects built: a plain leaf field builds none."""

    infos = 0

    @override
    def build_resolve_info(self, *args: Any, **kwargs: Any) -> GraphQLResolveInfo[Any]:
        CountingExecutor.infos += 1
        return super().build_resolve_info(*args, **kwargs)


def schemas(extensions: Iterable[Any] = ()) -> tuple[strawberry.Schema, strawberry.Schema]:
    types: list[type] = [Dog, Cat]
    fast = strawberry.Schema(
        query=Query,
        types=types,
        extensions=list(extensions),
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=CountingExecutor,
    )
    stock = strawberry.Schema(
        query=Query,
        types=types,
        extensions=list(extensions),
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=StrawberryGraphQLCoreExecutionContext,
    )
    return fast, stock


def formatted(errors: list[Any] | None) -> list[dict[str, Any]]:
    return sorted((error.formatted for error in errors or []), key=repr)


async def same_answer(
    document: str,
    source: Any = None,
    variables: dict[str, Any] | None = None,
    extensions: Iterable[Any] = (),
) -> tuple[Any, list[dict[str, Any]]]:
    """The answer of the plain-field executor, checked equal to the stock executor's."""
    fast, stock = schemas(extensions)
    made = source if source is not None else root()
    theirs = await stock.execute(document, root_value=made, variable_values=variables)
    ours = await fast.execute(document, root_value=made, variable_values=variables)
    assert ours.data == theirs.data
    assert repr(ours.data) == repr(theirs.data)  # the fields' order too
    assert formatted(ours.errors) == formatted(theirs.errors)
    return ours.data, formatted(ours.errors)


PET_FIELDS = "name age nickname mood tags scores"


class TestSameAnswers:
    async def test_plain_leaves_read_without_a_resolve_info(self) -> None:
        before = CountingExecutor.infos
        data, errors = await same_answer(f"{{ pets {{ {PET_FIELDS} }} }}")
        assert errors == []
        assert data["pets"][0] == {
            "name": "rex",
            "age": 3,
            "nickname": "REX",
            "mood": "HAPPY",
            "tags": ["a", "b"],
            "scores": [1, None, 3],
        }
        # Only the lists of leaves (tags, scores) of each pet build one: graphql-core
        # completes them.
        assert CountingExecutor.infos - before == 2 * 2

    async def test_a_null_non_null_leaf_is_the_same_error_at_the_same_path(self) -> None:
        source = root(pets=[pet("rex"), pet("fido", nickname=None)], pet=pet(nickname=None))
        data, errors = await same_answer(
            "{ pets { name nickname } pet { name nickname } strictPet { nickname } }", source
        )
        # Null propagates to the nullable parents: the list (non-null items) and `pet`.
        assert data == {"pets": None, "pet": None, "strictPet": {"nickname": "MAX"}}
        paths = sorted(error["path"] for error in errors)
        assert paths == [["pet", "nickname"], ["pets", 1, "nickname"]]
        assert errors[0]["message"] == "Cannot return null for non-nullable field Pet.nickname."

    async def test_a_null_non_null_leaf_under_a_non_null_root_nulls_the_data(self) -> None:
        data, errors = await same_answer(
            "{ strictPet { nickname } }", root(strict_pet=pet(nickname=None))
        )
        assert data is None
        assert [error["path"] for error in errors] == [["strictPet", "nickname"]]

    async def test_a_nullable_leaf_that_is_null_is_null(self) -> None:
        data, errors = await same_answer("{ pet { age } }", root(pet=pet(age=None)))
        assert (data, errors) == ({"pet": {"age": None}}, [])

    async def test_values_that_do_not_coerce_are_the_same_errors(self) -> None:
        source = root(
            pets=[
                pet("big", age=2**40),  # Int is 32-bit: the nullable field is null
                pet("odd", age="three"),
                pet("moody", mood="cheerful"),  # not a Mood: the non-null field errs
                pet("tagged", tags=["ok", object()]),
            ],
            pet=pet(nickname=["x"]),  # a list is no String
        )
        data, errors = await same_answer(
            "{ pets { name age } pet { nickname } more: pets { mood } tagged: pets { tags } }",
            source,
        )
        assert data["pets"][0] == {"name": "big", "age": None}
        assert data["pet"] is None
        assert data["more"] is None
        messages = " | ".join(error["message"] for error in errors)
        assert "Int cannot represent non 32-bit signed integer value" in messages
        assert "Enum 'Mood' cannot represent value" in messages

    async def test_an_attribute_that_raises_is_the_fields_error(self) -> None:
        class Raising(SimpleNamespace):
            @property
            def nickname(self) -> str:
                raise ValueError("no nickname today")

        source = root(pet=Raising(**vars(pet())), strict_pet=Raising(**vars(pet())))
        data, errors = await same_answer("{ pet { name nickname } }", source)
        assert data == {"pet": None}
        assert errors[0]["message"] == "no nickname today"
        assert errors[0]["path"] == ["pet", "nickname"]

    async def test_an_awaitable_attribute_is_awaited(self) -> None:
        class Later(SimpleNamespace):
            @property
            def age(self) -> Any:
                return self.later(41)

            @property
            def shown(self) -> Any:
                return self.later("seen")

            @staticmethod
            async def later(value: object) -> object:
                await asyncio.sleep(0)
                return value

        source = root(pet=Later(**{k: v for k, v in vars(pet()).items() if k != "shown"}))
        data, errors = await same_answer("{ pet { name age shown } }", source)
        assert (data, errors) == ({"pet": {"name": "rex", "age": 41, "shown": "seen"}}, [])

    @pytest.mark.parametrize(("skip", "include"), [(True, True), (False, True), (False, False)])
    async def test_skip_and_include(self, *, skip: bool, include: bool) -> None:
        document = """
            query Q($skip: Boolean!, $include: Boolean!) {
              pet {
                name @skip(if: $skip)
                age @include(if: $include)
                nickname
                ... on Pet @skip(if: $skip) { mood }
              }
            }
        """
        data, errors = await same_answer(document, variables={"skip": skip, "include": include})
        assert errors == []
        assert ("name" in data["pet"]) is not skip
        assert ("age" in data["pet"]) is include
        assert ("mood" in data["pet"]) is not skip

    async def test_aliases_and_repeated_fields(self) -> None:
        data, errors = await same_answer(
            "{ pet { a: name b: name name name ... on Pet { name nickname } } }"
        )
        assert errors == []
        assert data == {"pet": {"a": "rex", "b": "rex", "name": "rex", "nickname": "REX"}}

    async def test_plain_fields_of_interface_and_union_members(self) -> None:
        data, errors = await same_answer(
            """{
              named { __typename name ... on Dog { barks } ... on Cat { lives } }
              animal { __typename ... on Named { name } ... on Cat { lives } }
            }"""
        )
        assert errors == []
        assert data["named"] == [
            {"__typename": "Dog", "name": "d", "barks": True},
            {"__typename": "Cat", "name": "c", "lives": 9},
        ]
        assert data["animal"] == {"__typename": "Cat", "name": "c", "lives": 7}

    async def test_a_wrong_object_for_an_interface_member_is_the_same_error(self) -> None:
        data, errors = await same_answer(
            "{ named { name } }", root(named=[Dog(name="d", barks=True), pet()])
        )
        assert data == {"named": None}
        assert len(errors) == 1

    async def test_objects_of_a_type_with_interfaces_are_checked_as_before(self) -> None:
        data, errors = await same_answer("{ dog { name } dogs { name barks } }")
        assert errors == []
        assert data == {
            "dog": {"name": "rex"},
            "dogs": [{"name": "a", "barks": True}, {"name": "b", "barks": False}],
        }
        # Not a Dog where a Dog is due: the same "Expected value of type" errors (a Cat
        # passes, as it is Named: Strawberry's is_type_of accepts the interfaces' classes).
        wrong = root(dog=pet(), dogs=[Dog(name="a", barks=True), pet()])
        data, errors = await same_answer("{ dog { name } dogs { name } }", wrong)
        assert data == {"dog": None, "dogs": None}
        assert sorted(error["path"] for error in errors) == [["dog"], ["dogs", 1]]

    async def test_a_null_or_odd_item_of_a_list_of_objects(self) -> None:
        for items in ([pet("a"), None], [pet("a"), ValueError("bad pet")], (pet("a"),), "ab"):
            data, _ = await same_answer("{ pets { name } }", root(pets=items))
            assert data is not None

    async def test_awaitable_items_of_a_list_of_objects(self) -> None:
        async def later(value: Any) -> Any:
            await asyncio.sleep(0)
            return value

        class Later(SimpleNamespace):
            @property
            def friends(self) -> Any:
                return [later(pet("x")), pet("y")]

            @property
            def friend(self) -> Any:
                return later(pet("z"))

        source = root(
            pet=Later(**{k: v for k, v in vars(pet()).items() if k not in {"friends", "friend"}})
        )
        data, errors = await same_answer("{ pet { friend { name } friends { name } } }", source)
        assert errors == []
        assert data == {"pet": {"friend": {"name": "z"}, "friends": [{"name": "x"}, {"name": "y"}]}}

    async def test_nested_objects_and_lists_of_objects(self) -> None:
        friends = [pet("a"), pet("b", nickname=None), pet("c")]
        source = root(pet=pet(friend=pet("f"), friends=friends))
        data, errors = await same_answer(
            "{ pet { friend { name friend { name } } friends { name nickname } } }", source
        )
        # `friends` is [Pet!]!: the null climbs to `pet`, the first nullable field.
        assert data == {"pet": None}
        assert [error["path"] for error in errors] == [["pet", "friends", 1, "nickname"]]

    async def test_fields_with_arguments_extensions_or_permissions_take_their_resolvers(
        self,
    ) -> None:
        data, errors = await same_answer(
            '{ pet { greeting plain: greeting(punctuation: "?") loud secret } }'
        )
        assert data == {
            "pet": {
                "greeting": "hello rex!",
                "plain": "hello rex?",
                "loud": "REX BARKS",
                "secret": None,
            }
        }
        assert [error["message"] for error in errors] == ["not for you"]

    async def test_relay_ids(self) -> None:
        data, errors = await same_answer("{ books { id title } customBooks { id } }")
        assert errors == []
        assert data["books"][0]["id"] == relay.to_base64("Book", "1")
        assert data["customBooks"][0]["id"] == relay.to_base64("CustomBook", "custom-9")

    async def test_relay_ids_of_every_class_and_their_remembered_texts(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Equal ids of other classes (1 and True, 1 and 1.0) show differently: none may take
        # the text remembered for another. A small memory is cleared as it fills.
        monkeypatch.setattr(_GlobalIdTexts, "SIZE", 3)
        codes: list[Any] = [1, True, 1.0, "1", uuid.UUID(int=1), 1, True, "1", uuid.UUID(int=1)]
        for _ in range(2):
            data, errors = await same_answer(
                "{ tomes { id } }", root(tomes=[Tome(code=code) for code in codes])
            )
            assert errors == []
            assert [tome["id"] for tome in data["tomes"]] == [
                relay.to_base64("Tome", str(code)) for code in codes
            ]

    def test_the_remembered_id_texts_stay_few(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_GlobalIdTexts, "SIZE", 3)
        texts = _GlobalIdTexts("Tome")
        assert [texts.text(code) for code in range(10)] == [
            relay.to_base64("Tome", str(code)) for code in range(10)
        ]
        assert len(texts.texts) <= 3

    async def test_relay_ids_of_nodes_of_several_classes(self) -> None:
        class OddBook(Book):
            @override
            @classmethod
            def resolve_id(cls, root: Any, *, info: strawberry.Info) -> str:
                return f"odd-{root.code}"

        books = [Book(code="1", title=""), OddBook(code="2", title=""), Book(code="3", title="")]
        books += [OddBook(code="4", title=""), OddBook(code="5", title="")]
        data, errors = await same_answer("{ books { id } }", root(books=books))
        assert errors == []
        assert [book["id"] for book in data["books"]] == [
            relay.to_base64("Book", code) for code in ("1", "odd-2", "3", "odd-4", "odd-5")
        ]

    async def test_a_relay_id_that_is_none_is_the_same_error(self) -> None:
        data, errors = await same_answer(
            "{ books { id } }",
            root(books=[Book(code=None, title="?")]),  # type: ignore[arg-type]
        )
        assert data is None
        assert errors[0]["path"] == ["books", 0, "id"]

    async def test_dates_and_times(self) -> None:
        odd_zone = timezone(timedelta(hours=5, minutes=30))
        diaries = [
            diary(),
            diary(at=datetime(2026, 1, 1, tzinfo=odd_zone), maybe=None),
            diary(at=Moment(2026, 1, 1), maybe=Moment(2026, 1, 2)),  # their own isoformat
            diary(
                day=datetime.fromisoformat("2026-03-04T05:06"), at=date(2026, 3, 4)
            ),  # other class
        ]
        data, errors = await same_answer("{ diaries { at day hour maybe } }", root(diaries=diaries))
        assert errors == []
        assert data["diaries"][0] == {
            "at": "2026-12-07T20:30:01.000250+00:00",
            "day": "2026-12-07",
            "hour": "20:30:01.000005",
            "maybe": "2026-01-02T03:04:05",
        }
        assert data["diaries"][1]["at"] == "2026-01-01T00:00:00+05:30"
        assert data["diaries"][2]["at"] == data["diaries"][2]["maybe"] == "a moment"
        assert data["diaries"][3]["day"] == "2026-03-04T05:06:00"

    async def test_equal_times_of_other_zones_show_their_own_offsets(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # UTC times' texts are remembered (a small memory here, cleared as it fills); an equal
        # time of another zone never takes one.
        monkeypatch.setattr(plainfields, "_DATETIME_TEXTS_SIZE", 2)
        instant = datetime(2026, 12, 7, 20, 30, 1, 250, tzinfo=UTC)
        zones = [UTC, timezone(timedelta(hours=5, minutes=30)), UTC, timezone(timedelta(0)), UTC]
        diaries = [
            diary(at=instant.astimezone(zone), maybe=instant + timedelta(seconds=index))
            for index, zone in enumerate(zones * 2)
        ]
        data, errors = await same_answer("{ diaries { at maybe } }", root(diaries=diaries))
        assert errors == []
        assert [entry["at"][-6:] for entry in data["diaries"]] == [
            "+00:00", "+05:30", "+00:00", "+00:00", "+00:00",
        ] * 2  # fmt: skip
        assert data["diaries"][9]["maybe"] == "2026-12-07T20:30:10.000250+00:00"
        assert len(plainfields._datetime_texts) <= 2

    async def test_values_that_are_no_dates_are_the_same_errors(self) -> None:
        # Text and numbers have no isoformat; a date does (for a Time too).
        cases: list[tuple[dict[str, Any], int]] = [
            ({"at": "2026-01-01"}, 1),
            ({"at": None}, 1),
            ({"maybe": 7}, 1),
            ({"hour": date(2026, 5, 6)}, 0),
        ]
        for changes, erring in cases:
            _, errors = await same_answer(
                "{ diaries { day at hour maybe } }", root(diaries=[diary(), diary(**changes)])
            )
            assert len(errors) == erring, changes

    async def test_the_same_type_under_other_selections(self) -> None:
        # Each selection of a type is planned on its own: none answers with another's fields.
        data, errors = await same_answer(
            """{
              pet { name age friends { nickname } }
              strictPet { nickname mood __typename }
              pets { age name friend { name } }
              dog { name } dogs { barks __typename name }
              named { ... on Dog { barks } name }
            }""",
            root(pet=pet(friends=[pet("f")]), pets=[pet("a", friend=pet("b")), pet("c")]),
        )
        assert errors == []
        assert data["pet"] == {"name": "rex", "age": 3, "friends": [{"nickname": "F"}]}
        assert data["strictPet"] == {"nickname": "MAX", "mood": "HAPPY", "__typename": "Pet"}
        assert data["pets"][0] == {"age": 3, "name": "a", "friend": {"name": "b"}}
        assert data["dogs"][1] == {"barks": False, "__typename": "Dog", "name": "b"}

    async def test_subfields_that_do_not_collect_fail_per_item(self) -> None:
        class Failing(Exception):
            pass

        def failing(executor: type[Any]) -> type[Any]:
            class Collector(executor):  # type: ignore[misc]
                @override
                def collect_subfields(self, return_type: Any, field_details_list: Any) -> Any:
                    if return_type.name == "Pet":
                        raise Failing("no sub-fields today")
                    return super().collect_subfields(return_type, field_details_list)

            return Collector

        answers = []
        for executor in (PlainFieldExecutor, StrawberryGraphQLCoreExecutionContext):
            schema = strawberry.Schema(
                query=Query,
                types=[Dog, Cat],
                config=StrawberryConfig(scalar_map=SCALARS),
                execution_context_class=failing(executor),
            )
            for pets in ([pet("a"), pet("b")], []):
                result = await schema.execute(
                    "{ pets { name } dog { name } }", root_value=root(pets=pets)
                )
                answers.append((result.data, formatted(result.errors)))
        assert answers[:2] == answers[2:]
        assert answers[0][0] == {"pets": None, "dog": {"name": "rex"}}
        assert [error["path"] for error in answers[0][1]] == [["pets", 0]]
        assert answers[1] == ({"pets": [], "dog": {"name": "rex"}}, [])

    async def test_deferred_fragments_in_lists(self) -> None:
        # Items whose selection defers a fragment, and lists inside a deferred fragment, take
        # graphql-core's incremental path (its defer usages, its delivery groups).
        document = """{
          pets {
            name
            ... @defer { nickname friends { name ... @defer { age } } more: friends { name } }
          }
          dogs { name }
        }"""
        source = root(pets=[pet("a", friends=[pet("x"), pet("y")]), pet("b")])
        answers = []
        for executor in (PlainFieldExecutor, StrawberryGraphQLCoreExecutionContext):
            schema = strawberry.Schema(
                query=Query,
                types=[Dog, Cat],
                config=StrawberryConfig(
                    scalar_map=SCALARS, enable_experimental_incremental_execution=True
                ),
                execution_context_class=executor,
            )
            result: Any = await schema.execute(document, root_value=source)
            parts = [result.initial_result.formatted]
            parts += [part.formatted async for part in result.subsequent_results]
            answers.append(parts)
        assert answers[0] == answers[1]
        assert len(answers[0]) > 1
        assert "nickname" not in repr(answers[0][0])

    async def test_objects_of_leaves_only(self) -> None:
        document = "{ profiles { id name bio seen online } }"
        data, errors = await same_answer(document)
        assert errors == []
        assert data["profiles"][1] == {
            "id": relay.to_base64("Profile", "p2"),
            "name": "name p2",
            "bio": None,
            "seen": None,
            "online": True,
        }
        assert data["profiles"][0]["seen"] == "2026-12-07T20:30:00+00:00"
        # Another order, aliases, and the same object twice.
        data, errors = await same_answer("{ profiles { online a: name seen b: bio name id } }")
        assert errors == []
        assert list(data["profiles"][0]) == ["online", "a", "seen", "b", "name", "id"]

    @pytest.mark.parametrize(
        "changes",
        [
            {"name": None},  # null for a non-null field
            {"name": 7},  # Int for a String: coerced
            {"bio": Text("t")},
            {"seen": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))},
            {"seen": datetime.fromisoformat("2026-01-01T00:00")},
            {"seen": "yesterday"},  # no isoformat: an error
            {"seen": date(2026, 1, 1)},
            {"online": 1},
            {"code": None},  # the id's resolver fails
            {"code": 12},  # the id's text is of its str()
            {"code": Unshowable()},  # its str() fails: the id's error
        ],
    )
    async def test_objects_of_leaves_with_unusual_values(self, changes: dict[str, Any]) -> None:
        profiles = [profile("p1"), profile("p2", **changes), profile("p3")]
        await same_answer("{ profiles { id name bio seen online } }", root(profiles=profiles))
        await same_answer("{ profiles { name bio } }", root(profiles=profiles))

    async def test_objects_of_leaves_read_from_properties_and_getattr(self) -> None:
        profiles = [profile("p1"), profile("w", Watched), profile("f", Fallback)]
        profiles += [profile("w2", Watched, bio="b")]
        before = Watched.reads
        data, errors = await same_answer(
            "{ profiles { name bio online } }", root(profiles=profiles)
        )
        assert errors == []
        assert [p["name"] for p in data["profiles"]] == ["name p1", "bio", "name f", "b"]
        assert Watched.reads - before == 2 * 2  # once per object, in each executor
        # An object the batch does not complete (a null for a non-null field) reads each
        # field once all the same, however it reads them.
        before, calls = Watched.reads, Fallback.calls
        odd = [profile("w", Watched, online=None), profile("f", Fallback, online=None)]
        del odd[1].__dict__["bio"]
        await same_answer("{ profiles { name bio online } }", root(profiles=[profile("p"), odd[0]]))
        await same_answer("{ profiles { name bio online } }", root(profiles=[odd[1]]))
        assert (Watched.reads - before, Fallback.calls - calls) == (2, 2)
        # A missing attribute: __getattr__ answers it, or it is the field's error.
        del profiles[2].__dict__["bio"]
        missing = profile("m")
        del missing.__dict__["online"]
        data, errors = await same_answer(
            "{ profiles { name bio online } }", root(profiles=[*profiles, missing])
        )
        assert data["profiles"] is None
        assert [error["path"] for error in errors] == [["profiles", 4, "online"]]

    async def test_batches_of_several_selections(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # One batch per selection of a type, kept across executions (here one at a time).
        monkeypatch.setattr(plainfields, "BATCHES", 1)
        fast, stock = schemas()
        selections = ["name bio", "a: name bio", "bio name", "bio name", "name a: bio"]
        for selection in [*selections, "online seen"]:
            document = f"{{ profiles {{ {selection} }} }}"
            ours = await fast.execute(document, root_value=root())
            theirs = await stock.execute(document, root_value=root())
            assert (repr(ours.data), ours.errors) == (repr(theirs.data), theirs.errors)
            profile_type = fast._schema.get_type("Profile")
            assert len(plainfields._batches[profile_type]) == 1  # type: ignore[index]
        assert ours.data == {
            "profiles": [
                {"online": True, "seen": "2026-12-07T20:30:00+00:00"},
                {"online": True, "seen": None},
            ]
        }

    async def test_objects_of_leaves_with_many_kinds_of_values(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A batch remembers a decision per tuple of value classes (here one at a time).
        monkeypatch.setattr(leafbatch, "DECISIONS", 1)
        profiles = [
            profile("a"),
            profile("b", bio=None),
            profile("c", name=3),
            profile("d"),
            profile("e", seen=None, bio=None),
            profile("f", online=0),
            profile("g", bio=None),
        ]
        data, errors = await same_answer(
            "{ profiles { name bio seen online } }", root(profiles=profiles)
        )
        assert errors == []
        assert [p["name"] for p in data["profiles"]][2] == "3"

    async def test_a_field_middleware_sees_every_field(self) -> None:
        seen: list[str] = []

        class Watching(SchemaExtension):
            @override
            def resolve(
                self,
                _next: Callable[..., Any],
                root: Any,
                info: GraphQLResolveInfo[Any],
                *args: str,
                **kwargs: Any,
            ) -> Any:
                seen.append(info.field_name)
                return _next(root, info, *args, **kwargs)

        _, errors = await same_answer("{ pet { name nickname } }", extensions=[Watching])
        assert errors == []
        # Once per executor: the middleware wrapped each field, plain or not, both times.
        assert seen == ["pet", "name", "nickname"] * 2


class Pair:
    def __init__(self, a: object, b: object) -> None:
        self.a, self.b = a, b


class TestLeafBatch:
    def test_its_decisions_stay_few(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(leafbatch, "DECISIONS", 2)
        leaves = tuple(
            leafbatch.Leaf(name, name, operator.attrgetter(name), str, None, None, True)
            for name in ("a", "b")
        )
        batch = leafbatch.LeafBatch.of(leaves)
        assert batch is not None
        for a, b in (("x", "y"), (None, "y"), ("x", None), (None, None), (1, "y")):
            answer = batch.results(Pair(a, b))
            assert answer == (None if a == 1 else {"a": a, "b": b})
            assert len(batch.decisions) <= 2


class TestWhichFieldsArePlain:
    """On the project's schema: the fields of the chat list are read directly."""

    @staticmethod
    def type_of(name: str) -> GraphQLObjectType:
        found = build_schema(GraphQLLimits())._schema.get_type(name)
        assert found is not None
        return found  # type: ignore[return-value]

    def test_plain_fields_and_node_ids(self) -> None:
        user = self.type_of("User")
        for name in ("id", "username", "bio", "role", "lastOnlineAt", "isOnline"):
            assert plain_field(user, user.fields[name]) is not None, name
        chat = self.type_of("Chat")
        for name in ("id", "members", "lastMessage", "unreadMessagesCount"):
            assert plain_field(chat, chat.fields[name]) is not None, name

    def test_fields_with_resolvers_are_not(self) -> None:
        query = self.type_of("Query")
        assert plain_field(query, query.fields["chats"]) is None
        message = self.type_of("Message")
        assert plain_field(message, message.fields["chat"]) is None
