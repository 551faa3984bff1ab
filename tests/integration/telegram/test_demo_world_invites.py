"""The demo world shows an invite campaign end to end, through the gateway as an invite job
uses it: the phone imported as a contact, the person invited (or, where their privacy refuses
it, sent the channel's invite link), the temporary contact deleted again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.adapters.simulated.sandbox import DEMO_WORLD
from domain.adapters.simulated.worldfile import read_world_file
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.telegram.errors import PrivacyRestricted
from domain.telegram.model import AccountCredentials
from domain.telegram.rules import random_id
from tests.world import ACCOUNT_PHONE, API_HASH

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

CHANNEL = "demo_channel"
PHONES = {
    "ivan": "+79990000001",  # a member already
    "maria": "+79990000002",  # invites from contacts; the account is none of hers
    "oleg": "+79990000003",  # invites from nobody
    "anna": "+79990000004",  # invites from everybody
    "petr": "+79990000005",  # invites from contacts; the account is one of his
    "elena": "+79990000006",  # invites from nobody
    "client": "+79991000042",  # one of the 10,000 people
}


async def invite(gateway: SimulatedGateway, creds: AccountCredentials, phone: str) -> str:
    """What an invite job does for one phone; how it ended."""
    user = await gateway.import_phone(creds, phone)
    assert user is not None
    try:
        outcome = await gateway.invite_to_channel(creds, CHANNEL, user.id)
        ended = "invited" if outcome.invited else "member"
    except PrivacyRestricted:
        link = await gateway.export_invite_link(creds, CHANNEL)
        await gateway.send_message(
            creds, str(user.id), f"Join us: {link}", random_id=random_id("invite", phone)
        )
        ended = "link"
    await gateway.delete_contact(creds, user.id)
    return ended


async def test_the_demo_world_shows_invites_end_to_end(runtime: Runtime) -> None:
    assert runtime.sandbox is not None
    assert runtime.world is not None
    await runtime.sandbox.replace_world(read_world_file(DEMO_WORLD))
    gateway = SimulatedGateway(runtime.world)
    code = await gateway.send_login_code(AccountCredentials(ACCOUNT_PHONE, 1, API_HASH))
    pending = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=code.session)
    signed = await gateway.sign_in(pending, code="12345", phone_code_hash=code.phone_code_hash)
    creds = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=signed.session)

    ended = {name: await invite(gateway, creds, phone) for name, phone in PHONES.items()}

    assert ended == {
        "ivan": "member",
        "maria": "link",
        "oleg": "link",
        "anna": "invited",
        "petr": "invited",
        "elena": "link",
        "client": "invited",
    }
    world = await runtime.sandbox.world()
    (channel,) = world["channels"]
    assert channel["members"] == [1001, 1004, 1005, 7_000_000_042]
    (account,) = world["accounts"]
    assert account["contacts"] == []  # every temporary contact deleted again
    outbox: list[dict[str, Any]] = world["outbox"]
    assert [e["type"] for e in outbox if e.get("user_id") == 1004] == [
        "contact_import",
        "invite",
        "contact_delete",
    ]
    assert [e["type"] for e in outbox if e.get("user_id") == 1003] == [
        "contact_import",
        "message",
        "contact_delete",
    ]
    assert sum(e["type"] == "contact_delete" for e in outbox) == len(PHONES)
