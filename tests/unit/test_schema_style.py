"""The house style of the GraphQL schema (docs/graphql.md), read off the built schema: every
mutation one ``input`` and a ``<Mutation>Payload`` union of its success and the errors it can
return, nullable lookups, the ``@adminOnly`` mark. A new field breaks these tests until it
follows the style and has its entry here."""

from __future__ import annotations

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    ObjectTypeDefinitionNode,
    get_named_type,
    parse,
)

from resolvers.root import GraphQLLimits, build_schema

SCHEMA = build_schema(GraphQLLimits())._schema
VALIDATION, NOT_FOUND, CONFLICT = "ValidationError", "NotFoundError", "ConflictError"
AUTHENTICATION, RATE_LIMITED, DENIED = (
    "AuthenticationError",
    "RateLimitedError",
    ("PermissionDeniedError"),
)

# What each mutation can answer besides its success: errors that are results of the call.
# Refusals of the call itself (UNAUTHENTICATED, FORBIDDEN) are GraphQL errors, not listed.
MUTATION_ERRORS: dict[str, set[str]] = {
    "register": {VALIDATION},
    "login": {AUTHENTICATION, RATE_LIMITED},
    "refreshToken": {AUTHENTICATION},
    "logout": set(),
    "updateProfile": {VALIDATION},
    "deleteAccount": set(),
    "goOnline": set(),
    "goOffline": set(),
    # A wrong-form id in an input is a ValidationError; a chat outsider hears NotFoundError.
    "createChat": {VALIDATION},
    "updateChat": {VALIDATION, NOT_FOUND, DENIED, CONFLICT},
    "deleteChat": {VALIDATION, NOT_FOUND, DENIED},
    "leaveChat": {VALIDATION, NOT_FOUND},
    "sendMessage": {VALIDATION, NOT_FOUND},
    "editMessage": {VALIDATION, NOT_FOUND, DENIED},
    "deleteMessage": {VALIDATION, NOT_FOUND, DENIED},
    "readMessage": {VALIDATION, NOT_FOUND},
    "readAllMessages": {VALIDATION, NOT_FOUND},
    "addTelegramAccount": {VALIDATION, CONFLICT},
    "setTelegramAccountUses": {VALIDATION, NOT_FOUND},
    "requestTelegramLoginCode": {VALIDATION, NOT_FOUND},
    "signInTelegramAccount": {VALIDATION, NOT_FOUND, CONFLICT},
    "sendTelegramMessage": {VALIDATION, NOT_FOUND, CONFLICT},
    # An unknown name is a ValidationError on ``name`` listing the valid ones.
    "runScheduledJob": {VALIDATION},
    "sandboxLoadWorld": {VALIDATION},
    "sandboxSetUserStatus": {NOT_FOUND},
    "sandboxSetBotRights": {VALIDATION, NOT_FOUND},
    "sandboxAddPost": {VALIDATION, NOT_FOUND},
    "sandboxSetAccountFlood": {VALIDATION, NOT_FOUND},
    "sandboxAdvanceClock": {VALIDATION},
    # Online tracking: a wrong-form id is a ValidationError, an unknown one NotFoundError;
    # ConflictError is a slot refusal (codes tracking_user_limit, no_free_tracker,
    # not_enough_slots), or for a setting a phone's Telegram account made concurrently.
    "createTracker": {VALIDATION},
    "updateTracker": {VALIDATION, NOT_FOUND},
    "deleteTracker": {VALIDATION, NOT_FOUND, CONFLICT},
    "createTrackerSetting": {VALIDATION, NOT_FOUND, CONFLICT},
    "updateTrackerSetting": {VALIDATION, NOT_FOUND, CONFLICT},
    "deleteTrackerSetting": {VALIDATION, NOT_FOUND},
    "createTrackingClient": {VALIDATION},
    "updateTrackingClient": {VALIDATION, NOT_FOUND},
    "deleteTrackingClient": {VALIDATION, NOT_FOUND},
    "createTrackedUser": {VALIDATION, NOT_FOUND, CONFLICT},
    "updateTrackedUser": {VALIDATION, NOT_FOUND, CONFLICT},
    "deleteTrackedUser": {VALIDATION, NOT_FOUND},
    # Bots: a wrong-form id, a malformed channel reference or post text is a ValidationError,
    # an unknown id NotFoundError; ConflictError is bot_in_use (delete), bot_inactive
    # (link to a bot given) and no_usable_bot (post without an active link and bot).
    "registerBot": {VALIDATION},
    "updateBot": {VALIDATION, NOT_FOUND},
    "deleteBot": {VALIDATION, NOT_FOUND, CONFLICT},
    "linkChannel": {VALIDATION, NOT_FOUND, CONFLICT},
    "deactivateChannelLink": {VALIDATION, NOT_FOUND},
    "postToChannel": {VALIDATION, NOT_FOUND, CONFLICT},
    # Mailing clients' CSV import: a file wrong as a whole, or a wrong-form owner id, is a
    # ValidationError; an owner id nobody has NotFoundError (as in the other mailing
    # mutations); a non-admin naming another owner PermissionDeniedError.
    "importClients": {VALIDATION, NOT_FOUND, DENIED},
    # Mailing (signed-in users): a wrong-form id is a ValidationError, an unknown id or another
    # owner's NotFoundError (an admin naming an ownerId nobody has, too); PermissionDeniedError
    # is a non-admin naming an ownerId other than themself.
    "createMailingClient": {VALIDATION, NOT_FOUND, DENIED},
    "updateMailingClient": {VALIDATION, NOT_FOUND},
    "deleteMailingClient": {VALIDATION, NOT_FOUND},
    "createMailing": {VALIDATION, NOT_FOUND, DENIED},
    "updateMailing": {VALIDATION, NOT_FOUND},
    "deleteMailing": {VALIDATION, NOT_FOUND},
    # Cancelling: ConflictError is a finished mailing (a cancelled one cancels again: success).
    "cancelMailing": {VALIDATION, NOT_FOUND, CONFLICT},
    # Invites (admins): bad settings, pause, quota or phones are a ValidationError naming the
    # fields (nothing stored), a wrong-form account id too; an unknown account NotFoundError.
    # Only admins reach them (FORBIDDEN before any work): no PermissionDeniedError.
    "updateInviteSettings": {VALIDATION},
    "pauseTelegramAccount": {VALIDATION, NOT_FOUND},
    "resumeTelegramAccount": {VALIDATION, NOT_FOUND},
    "setInviteQuota": {VALIDATION, NOT_FOUND},
    "retryFailedInvites": {VALIDATION},
    "queueInvites": {VALIDATION},
}

ADMIN_ONLY = {
    "Query.scheduledJobs",
    "Mutation.runScheduledJob",
    "Query.telegramAccounts",
    "Query.sandboxWorld",
    "Mutation.addTelegramAccount",
    "Mutation.setTelegramAccountUses",
    "Mutation.requestTelegramLoginCode",
    "Mutation.signInTelegramAccount",
    "Mutation.sendTelegramMessage",
    "Mutation.sandboxLoadWorld",
    "Mutation.sandboxSetUserStatus",
    "Mutation.sandboxSetBotRights",
    "Mutation.sandboxAddPost",
    "Mutation.sandboxSetAccountFlood",
    "Mutation.sandboxAdvanceClock",
    "Query.trackers",
    "Query.trackingClients",
    "Query.trackedUsers",
    "Query.onlineStatuses",
    "Query.onlineSessions",
    "Query.dailyOnlineTotals",
    "Mutation.createTracker",
    "Mutation.updateTracker",
    "Mutation.deleteTracker",
    "Mutation.createTrackerSetting",
    "Mutation.updateTrackerSetting",
    "Mutation.deleteTrackerSetting",
    "Mutation.createTrackingClient",
    "Mutation.updateTrackingClient",
    "Mutation.deleteTrackingClient",
    "Mutation.createTrackedUser",
    "Mutation.updateTrackedUser",
    "Mutation.deleteTrackedUser",
    "Subscription.onlineStatus",
    "Query.bots",
    "Query.channelLinks",
    "Query.channelPosts",
    "Query.channelDailyStats",
    "Mutation.registerBot",
    "Mutation.updateBot",
    "Mutation.deleteBot",
    "Mutation.linkChannel",
    "Mutation.deactivateChannelLink",
    "Mutation.postToChannel",
    "Subscription.botChannelEvents",
    "Query.inviteSettings",
    "Query.inviteStats",
    "Query.inviteHistory",
    "Query.inviteLogs",
    "Query.inviteAccounts",
    "Mutation.updateInviteSettings",
    "Mutation.pauseTelegramAccount",
    "Mutation.resumeTelegramAccount",
    "Mutation.setInviteQuota",
    "Mutation.retryFailedInvites",
    "Mutation.queueInvites",
    "Subscription.inviteEvents",
}

LOOKUPS = ("node", "chat", "message", "task")


def mutations() -> dict[str, GraphQLField]:
    assert SCHEMA.mutation_type is not None
    return dict(SCHEMA.mutation_type.fields)


def capitalised(name: str) -> str:
    return name[0].upper() + name[1:]


def payload_union(name: str, field: GraphQLField) -> GraphQLUnionType:
    assert isinstance(field.type, GraphQLNonNull), name
    union = field.type.of_type
    assert isinstance(union, GraphQLUnionType), name
    assert union.name == f"{capitalised(name)}Payload"
    return union


def implements_error(member: GraphQLObjectType) -> bool:
    error = SCHEMA.get_type("Error")
    assert isinstance(error, GraphQLInterfaceType)
    return error in member.interfaces


class TestMutations:
    def test_every_mutation_has_an_entry(self) -> None:
        assert set(mutations()) == set(MUTATION_ERRORS)

    def test_each_takes_one_input_of_its_own_type(self) -> None:
        for name, field in mutations().items():
            assert list(field.args) == ["input"], name
            assert get_named_type(field.args["input"].type).name == f"{capitalised(name)}Input"

    def test_each_answers_its_success_and_only_its_errors(self) -> None:
        for name, field in mutations().items():
            members = payload_union(name, field).types
            success = [m for m in members if not implements_error(m)]
            errors = {m.name for m in members if implements_error(m)}
            assert [m.name for m in success] == [f"{capitalised(name)}Success"], name
            assert errors == MUTATION_ERRORS[name], name


class TestLookups:
    def test_lookups_by_id_are_nullable(self) -> None:
        assert SCHEMA.query_type is not None
        for name in LOOKUPS:
            assert not isinstance(SCHEMA.query_type.fields[name].type, GraphQLNonNull), name


class TestAdminOnly:
    def test_the_directive_marks_exactly_the_admin_fields(self) -> None:
        document = parse(build_schema(GraphQLLimits()).as_str())
        marked = {
            f"{definition.name.value}.{field.name.value}"
            for definition in document.definitions
            if isinstance(definition, ObjectTypeDefinitionNode)
            for field in definition.fields or ()
            if any(d.name.value == "adminOnly" for d in field.directives or ())
        }

        assert marked == ADMIN_ONLY
