"""GraphQL shapes of the sandbox: the admins' controls of the simulated Telegram."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from schema.errors import NotFoundError, ValidationError
from schema.scalars import BigInt


@strawberry.type(description="What a sandbox control did to the simulated world.")
class SandboxResult:
    now: datetime = strawberry.field(description="The simulated clock after the change.")


@strawberry.input
class SandboxLoadWorldInput:
    world: JSON = strawberry.field(description="A world document (the world file's format).")
    merge: bool = strawberry.field(
        default=True, description="Upsert by id into the world; false replaces it."
    )


@strawberry.input
class SandboxSetUserStatusInput:
    telegram_id: BigInt
    online: bool


@strawberry.input
class SandboxSetBotRightsInput:
    bot: str = strawberry.field(description="The bot's @username or id.")
    channel: str = strawberry.field(description="The channel's @username, link or id.")
    post_messages: bool


@strawberry.input
class SandboxAddPostInput:
    channel: str
    text: str
    views: int = 0


@strawberry.input
class SandboxSetAccountFloodInput:
    phone: str
    seconds: int


@strawberry.input
class SandboxAdvanceClockInput:
    seconds: float


@strawberry.type
class SandboxLoadWorldSuccess(SandboxResult):
    pass


@strawberry.type
class SandboxSetUserStatusSuccess(SandboxResult):
    pass


@strawberry.type
class SandboxSetBotRightsSuccess(SandboxResult):
    pass


@strawberry.type
class SandboxAddPostSuccess(SandboxResult):
    message_id: int = strawberry.field(description="The new post's id in its channel.")


@strawberry.type
class SandboxSetAccountFloodSuccess(SandboxResult):
    pass


@strawberry.type
class SandboxAdvanceClockSuccess(SandboxResult):
    pass


SandboxLoadWorldPayload = Annotated[
    SandboxLoadWorldSuccess | ValidationError, strawberry.union("SandboxLoadWorldPayload")
]
SandboxSetUserStatusPayload = Annotated[
    SandboxSetUserStatusSuccess | NotFoundError, strawberry.union("SandboxSetUserStatusPayload")
]
SandboxSetBotRightsPayload = Annotated[
    SandboxSetBotRightsSuccess | ValidationError | NotFoundError,
    strawberry.union("SandboxSetBotRightsPayload"),
]
SandboxAddPostPayload = Annotated[
    SandboxAddPostSuccess | ValidationError | NotFoundError,
    strawberry.union("SandboxAddPostPayload"),
]
SandboxSetAccountFloodPayload = Annotated[
    SandboxSetAccountFloodSuccess | ValidationError | NotFoundError,
    strawberry.union("SandboxSetAccountFloodPayload"),
]
SandboxAdvanceClockPayload = Annotated[
    SandboxAdvanceClockSuccess | ValidationError, strawberry.union("SandboxAdvanceClockPayload")
]
