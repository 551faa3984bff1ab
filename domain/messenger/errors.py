"""Errors of the messenger aggregate, in seed 001's wording where it had one."""

from __future__ import annotations

from domain.errors import Conflict, Invalid, NotFound, PermissionDenied


class ChatNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Chat", message="No Chat matches the given query.")


class MessageNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Message", message="No Message matches the given query.")


class NotAMember(PermissionDenied):
    default_message = "You are not a member of this chat."

    def __init__(self, entity: str = "Chat") -> None:
        super().__init__()
        # What the outsider asked about: GraphQL tells them no such one exists.
        self.entity = entity


class NotTheSender(PermissionDenied):
    default_message = "Only the sender may change or delete a message."


class NotTheCreator(PermissionDenied):
    default_message = "Only the creator may change or delete this chat."


class PrivateChatExists(Invalid):
    """Seed 001 answered a second private chat of a pair with a bare list."""

    def __init__(self) -> None:
        super().__init__(
            {"non_field_errors": ["Private chat with these members already exists"]},
            message="Private chat with these members already exists",
        )


class PrivateChatImmutable(Conflict):
    default_message = "A private chat cannot be changed."


class ChatMustBeGroup(Invalid):
    def __init__(self) -> None:
        super().__init__({}, message="Chat must not be private")


class CreatorCannotLeave(Invalid):
    def __init__(self) -> None:
        super().__init__({}, message="Creator can't leave the chat")


class OwnMessage(Invalid):
    def __init__(self) -> None:
        super().__init__({}, message="The sender does not read their own message.")


class UnknownUsers(Invalid):
    def __init__(self, field: str) -> None:
        super().__init__({field: ["Some of these users do not exist."]})
