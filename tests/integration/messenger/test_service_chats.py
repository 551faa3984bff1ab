"""Chat use cases of the messenger against the real database: create, get, update, delete and
leave, including the races the API tests cannot stage."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from domain.errors import Invalid
from domain.files import service as files
from domain.messenger import service
from domain.messenger.errors import (
    ChatMustBeGroup,
    ChatNotFound,
    CreatorCannotLeave,
    NotAMember,
    NotTheCreator,
    PrivateChatExists,
    PrivateChatImmutable,
    UnknownUsers,
)
from domain.messenger.rules import private_key
from tests.api.rest.messenger_factories import GIF, PNG
from tests.integration.messenger.factories import (
    as_actor,
    chat_id_of,
    create_chat,
    delete_account,
    find_chat,
    group,
    marker,
    member_ids,
    new_user,
    new_users,
    private,
    private_chat,
    purge_user,
    racing,
    read,
    refused,
    send,
    state,
    upload,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from domain.accounts.model import User
    from domain.messenger.model import Chat
    from domain.uow import SqlAlchemyUnitOfWork
    from tests.integration.messenger.factories import Hub


def group_of(*members: User, title: str | None = "Team") -> service.NewChat:
    return service.NewChat(is_private=False, member_ids=[m.id for m in members], title=title)


async def update(
    hub: Hub, viewer: User, chat: Chat | uuid.UUID, changes: service.ChatChanges
) -> Chat:
    async with hub.uow() as uow:
        return await service.update_chat(
            uow, hub.ports, actor=as_actor(viewer), chat_id=chat_id_of(chat), changes=changes
        )


async def delete(hub: Hub, viewer: User, chat: Chat | uuid.UUID) -> None:
    async with hub.uow() as uow:
        await service.delete_chat(uow, actor=as_actor(viewer), chat_id=chat_id_of(chat))


async def leave(hub: Hub, viewer: User, chat: Chat | uuid.UUID) -> None:
    async with hub.uow() as uow:
        await service.leave_chat(uow, actor=as_actor(viewer), chat_id=chat_id_of(chat))


async def get(hub: Hub, viewer: User, chat: Chat | uuid.UUID) -> Chat:
    async with hub.uow() as uow:
        return await service.get_chat(uow, actor=as_actor(viewer), chat_id=chat_id_of(chat))


class TestCreateChatPrivate:
    async def test_the_pair_are_its_members_creator_first(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat, created = await create_chat(hub, olga, private_chat(ivan))
        assert created
        assert chat.is_private
        assert chat.creator_id == olga.id
        assert chat.private_key == private_key(ivan.id, olga.id)
        assert await member_ids(hub, chat) == [olga.id, ivan.id]

    async def test_naming_oneself_besides_the_companion_changes_nothing(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat, _ = await create_chat(hub, ivan, private_chat(ivan, olga, olga))
        assert await member_ids(hub, chat) == [ivan.id, olga.id]

    async def test_title_and_avatar_are_not_the_chats_own(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        new = service.NewChat(
            is_private=True, member_ids=[olga.id], title="Ours", avatar=upload(PNG, "a.png")
        )
        chat, _ = await create_chat(hub, ivan, new)
        assert (chat.title, chat.avatar) == (None, None)
        assert (await state(hub)).files == []

    async def test_a_second_chat_of_the_pair_is_refused_whoever_asks(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        await private(hub, ivan, olga)
        async with refused(hub, PrivateChatExists) as error:
            await create_chat(hub, olga, private_chat(ivan))
        assert error.value.field_errors == {
            "non_field_errors": ["Private chat with these members already exists"]
        }

    async def test_fallback_answers_the_existing_chat_as_not_created(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        first = await private(hub, ivan, olga)
        before = await state(hub)
        again, created = await create_chat(hub, olga, private_chat(ivan), fallback=True)
        assert (again.id, created) == (first.id, False)
        assert await state(hub) == before

    @pytest.mark.parametrize("companions", [0, 2])
    async def test_anything_but_one_companion_is_refused(
        self, hub: Hub, ivan: User, olga: User, petr: User, companions: int
    ) -> None:
        named = [ivan, olga, petr][: companions + 1]
        async with refused(hub, Invalid) as error:
            await create_chat(hub, ivan, private_chat(*named))
        assert error.value.field_errors == {
            "members": ["A private chat has exactly one companion."]
        }

    async def test_an_unknown_companion_is_refused(self, hub: Hub, ivan: User) -> None:
        ghost = await new_user(hub)
        await purge_user(hub, ghost)
        async with refused(hub, UnknownUsers) as error:
            await create_chat(hub, ivan, private_chat(ghost))
        assert error.value.field_errors == {"members": ["Some of these users do not exist."]}

    async def test_a_companion_who_deleted_their_account_is_refused(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        await delete_account(hub, olga)
        async with refused(hub, UnknownUsers):
            await create_chat(hub, ivan, private_chat(olga))

    async def test_concurrent_creations_by_both_make_one_chat(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        results = await racing(
            hub,
            lambda uow: service.create_chat(
                uow, hub.ports, actor=as_actor(ivan), new=private_chat(olga)
            ),
            lambda uow: service.create_chat(
                uow, hub.ports, actor=as_actor(olga), new=private_chat(ivan)
            ),
        )
        assert sorted(type(r).__name__ for r in results) == ["PrivateChatExists", "tuple"]
        rows = (await state(hub)).rows
        assert (len(rows["chats"]), len(rows["chat_members"])) == (1, 2)

    async def test_concurrent_creations_with_fallback_both_answer_the_one_chat(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        results = await racing(
            hub,
            lambda uow: service.create_chat(
                uow, hub.ports, actor=as_actor(ivan), new=private_chat(olga), fallback=True
            ),
            lambda uow: service.create_chat(
                uow, hub.ports, actor=as_actor(olga), new=private_chat(ivan), fallback=True
            ),
        )
        made = [r for r in results if isinstance(r, tuple)]
        assert len(made) == 2, results
        assert len({chat.id for chat, _ in made}) == 1
        assert sorted(created for _, created in made) == [False, True]
        assert len((await state(hub)).rows["chats"]) == 1

    async def test_the_pair_may_start_again_after_deleting_their_chat(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        old = await private(hub, ivan, olga)
        await delete(hub, olga, old)
        new = await private(hub, olga, ivan)
        assert new.id != old.id


class TestCreateChatGroup:
    async def test_the_creator_comes_first_then_the_members_as_named(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat, created = await create_chat(hub, ivan, group_of(petr, olga, title="Team"))
        assert created
        assert (chat.title, chat.is_private, chat.creator_id) == ("Team", False, ivan.id)
        assert chat.private_key is None
        assert await member_ids(hub, chat) == [ivan.id, petr.id, olga.id]

    async def test_the_creator_named_among_the_members_is_listed_once(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga, ivan, olga)
        assert await member_ids(hub, chat) == [ivan.id, olga.id]

    async def test_a_group_of_the_creator_alone_is_allowed(self, hub: Hub, ivan: User) -> None:
        chat = await group(hub, ivan, ivan)
        assert await member_ids(hub, chat) == [ivan.id]

    @pytest.mark.parametrize("title", [None, "", "   "])
    async def test_a_title_is_required(
        self, hub: Hub, ivan: User, olga: User, title: str | None
    ) -> None:
        async with refused(hub, Invalid) as error:
            await create_chat(hub, ivan, group_of(olga, title=title))
        assert error.value.field_errors == {"title": ["This field is required."]}

    async def test_a_title_of_255_characters_is_kept_and_256_refused(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga, title="t" * 255)
        assert chat.title == "t" * 255
        async with refused(hub, Invalid) as error:
            await create_chat(hub, ivan, group_of(olga, title="t" * 256))
        assert set(error.value.field_errors) == {"title"}

    async def test_no_members_is_refused_with_the_title_error_too(
        self, hub: Hub, ivan: User
    ) -> None:
        async with refused(hub, Invalid) as error:
            await create_chat(hub, ivan, group_of(title=None))
        assert error.value.field_errors == {
            "title": ["This field is required."],
            "members": ["This list may not be empty."],
        }

    async def test_100_named_members_join_and_101_are_refused(self, hub: Hub, ivan: User) -> None:
        crowd = await new_users(hub, 101)
        chat = await group(hub, ivan, *crowd[:100])
        assert len(await member_ids(hub, chat)) == 101  # the creator is added to the hundred
        async with refused(hub, Invalid) as error:
            await create_chat(hub, ivan, group_of(*crowd))
        assert error.value.field_errors == {
            "members": ["Ensure this field has no more than 100 elements."]
        }

    async def test_an_unknown_member_is_refused(self, hub: Hub, ivan: User, olga: User) -> None:
        ghost = await new_user(hub)
        await purge_user(hub, ghost)
        async with refused(hub, UnknownUsers):
            await create_chat(hub, ivan, group_of(olga, ghost))

    async def test_a_member_who_deleted_their_account_is_refused(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        await delete_account(hub, petr)
        async with refused(hub, UnknownUsers):
            await create_chat(hub, ivan, group_of(olga, petr))

    async def test_an_avatar_is_stored_and_served_as_its_proven_type(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        new = service.NewChat(
            is_private=False,
            member_ids=[olga.id],
            title="Team",
            avatar=upload(PNG, "../team photo.png", declared="text/plain"),
        )
        chat, _ = await create_chat(hub, ivan, new)
        assert chat.avatar is not None
        assert chat.avatar.endswith("/team_photo.png")
        async with hub.uow() as uow:
            stored = await files.find_file(uow, chat.avatar)
        assert stored is not None
        assert (stored.content_type, stored.size, stored.owner_id) == (
            "image/png",
            len(PNG),
            ivan.id,
        )
        assert await hub.ports.files.read(chat.avatar) == PNG

    async def test_an_avatar_that_is_no_picture_is_refused(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        new = service.NewChat(
            is_private=False, member_ids=[olga.id], title="Team", avatar=upload(GIF, "a.png")
        )
        async with refused(hub, Invalid) as error:
            await create_chat(hub, ivan, new)
        assert error.value.field_errors == {"avatar": ["Upload a valid avatar file (jpg or png)."]}


class TestGetChat:
    async def test_a_member_gets_the_chat(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        assert (await get(hub, olga, chat)).id == chat.id

    async def test_someone_elses_chat_is_forbidden(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        with pytest.raises(NotAMember):
            await get(hub, stranger, chat)

    async def test_an_unknown_chat_is_not_found(self, hub: Hub, ivan: User) -> None:
        with pytest.raises(ChatNotFound):
            await get(hub, ivan, uuid.uuid4())


class TestUpdateChat:
    async def test_the_creator_renames_the_group(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga, title="Old")
        renamed = await update(hub, ivan, chat, service.ChatChanges(title="New"))
        assert renamed.title == "New"
        assert renamed.updated_at > chat.updated_at
        assert (await get(hub, olga, chat)).title == "New"

    async def test_changing_only_the_members_keeps_the_title(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, title="Old")
        await update(hub, ivan, chat, service.ChatChanges(member_ids=[petr.id]))
        assert (await get(hub, petr, chat)).title == "Old"

    async def test_an_overlong_title_is_refused(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, Invalid) as error:
            await update(hub, ivan, chat, service.ChatChanges(title="t" * 256))
        assert set(error.value.field_errors) == {"title"}

    async def test_members_are_replaced_and_the_creator_stays_first(
        self, hub: Hub, ivan: User, olga: User, petr: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        await update(hub, ivan, chat, service.ChatChanges(member_ids=[stranger.id, petr.id]))
        assert await member_ids(hub, chat) == [ivan.id, petr.id, stranger.id]
        with pytest.raises(NotAMember):
            await get(hub, olga, chat)
        assert (await get(hub, stranger, chat)).id == chat.id

    async def test_a_member_who_stays_keeps_their_read_marker(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        card = await send(hub, ivan, chat)
        await read(hub, olga, card)
        kept = await marker(hub, chat, olga)
        assert kept is not None
        await update(hub, ivan, chat, service.ChatChanges(member_ids=[olga.id]))
        assert await marker(hub, chat, olga) == kept

    async def test_a_removed_member_no_longer_receives_the_chats_events(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        await update(hub, ivan, chat, service.ChatChanges(member_ids=[olga.id]))
        with hub.watch() as published:
            await send(hub, ivan, chat)
        assert {p.channel for p in published} == {f"user:{ivan.id}", f"user:{olga.id}"}

    async def test_an_empty_member_list_is_refused(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, Invalid) as error:
            await update(hub, ivan, chat, service.ChatChanges(member_ids=[]))
        assert error.value.field_errors == {"members": ["This list may not be empty."]}

    async def test_an_unknown_member_is_refused(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, UnknownUsers):
            await update(hub, ivan, chat, service.ChatChanges(member_ids=[uuid.uuid4()]))

    async def test_a_new_avatar_is_stored(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        changed = await update(hub, ivan, chat, service.ChatChanges(avatar=upload(PNG, "x.png")))
        assert changed.avatar is not None
        assert await hub.ports.files.read(changed.avatar) == PNG

    async def test_an_avatar_that_is_no_picture_is_refused(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, Invalid):
            await update(hub, ivan, chat, service.ChatChanges(title="New", avatar=upload(GIF)))

    async def test_a_member_who_is_not_the_creator_is_refused(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga, title="Old")
        async with refused(hub, NotTheCreator):
            await update(hub, olga, chat, service.ChatChanges(title="Mine", member_ids=[olga.id]))

    async def test_an_outsider_is_refused_as_a_non_member(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, NotAMember):
            await update(hub, stranger, chat, service.ChatChanges(title="Mine"))

    async def test_a_private_chat_cannot_be_changed(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await private(hub, ivan, olga)
        async with refused(hub, PrivateChatImmutable):
            await update(hub, ivan, chat, service.ChatChanges(title="Us"))

    async def test_an_unknown_chat_is_not_found(self, hub: Hub, ivan: User) -> None:
        async with refused(hub, ChatNotFound):
            await update(hub, ivan, uuid.uuid4(), service.ChatChanges(title="New"))

    async def test_a_group_whose_creator_deleted_their_account_can_no_longer_be_changed(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        await delete_account(hub, ivan)
        async with refused(hub, NotTheCreator):
            await update(hub, olga, chat, service.ChatChanges(title="Ours now"))


class TestDeleteChat:
    async def test_the_creator_deletes_the_group_with_its_members_and_messages(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        await send(hub, olga, chat)
        await delete(hub, ivan, chat)
        rows = (await state(hub)).rows
        assert (rows["chats"], rows["chat_members"], rows["messages"]) == ([], [], [])

    async def test_another_member_may_not_delete_a_group(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, NotTheCreator):
            await delete(hub, olga, chat)

    @pytest.mark.parametrize("deleter", ["creator", "companion"])
    async def test_either_member_deletes_a_private_chat(
        self, hub: Hub, ivan: User, olga: User, deleter: str
    ) -> None:
        chat = await private(hub, ivan, olga)
        await delete(hub, ivan if deleter == "creator" else olga, chat)
        assert await find_chat(hub, chat) is None

    async def test_an_outsider_is_refused(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await private(hub, ivan, olga)
        async with refused(hub, NotAMember):
            await delete(hub, stranger, chat)

    async def test_an_unknown_chat_is_not_found(self, hub: Hub, ivan: User) -> None:
        async with refused(hub, ChatNotFound):
            await delete(hub, ivan, uuid.uuid4())


class TestLeaveChat:
    async def test_a_member_leaves_and_loses_access(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        await leave(hub, olga, chat)
        assert await member_ids(hub, chat) == [ivan.id, petr.id]
        with pytest.raises(NotAMember):
            await get(hub, olga, chat)

    async def test_the_creator_cannot_leave(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, CreatorCannotLeave) as error:
            await leave(hub, ivan, chat)
        assert error.value.message == "Creator can't leave the chat"

    async def test_a_private_chat_cannot_be_left(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await private(hub, ivan, olga)
        async with refused(hub, ChatMustBeGroup) as error:
            await leave(hub, olga, chat)
        assert error.value.message == "Chat must not be private"

    async def test_an_outsider_is_refused(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, NotAMember):
            await leave(hub, stranger, chat)

    async def test_an_unknown_chat_is_not_found(self, hub: Hub, ivan: User) -> None:
        async with refused(hub, ChatNotFound):
            await leave(hub, ivan, uuid.uuid4())

    async def test_the_last_member_leaving_deletes_the_group(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        await purge_user(hub, ivan)  # the creator's row is gone, and their membership with it
        await leave(hub, olga, chat)
        assert await find_chat(hub, chat) is not None
        await leave(hub, petr, chat)
        assert await find_chat(hub, chat) is None

    async def test_the_last_members_leaving_at_once_delete_the_group(
        self, hub: Hub, ivan: User
    ) -> None:
        members = await new_users(hub, 4)
        chat = await group(hub, ivan, *members)
        await purge_user(hub, ivan)

        def leaving(member: User) -> Callable[[SqlAlchemyUnitOfWork], Awaitable[None]]:
            return lambda uow: service.leave_chat(uow, actor=as_actor(member), chat_id=chat.id)

        results = await racing(hub, *(leaving(member) for member in members))
        assert results == [None] * 4
        assert await find_chat(hub, chat) is None

    async def test_members_of_a_group_whose_creator_deleted_their_account_can_still_leave(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        await delete_account(hub, ivan)
        await leave(hub, olga, chat)
        assert await member_ids(hub, chat) == [ivan.id, petr.id]
