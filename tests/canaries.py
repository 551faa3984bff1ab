"""The secrets the tests use, as canaries: values distinct enough that finding one in a log
line can only mean it leaked there. ``tests/logcheck.py`` greps every log line of a test run
for them (and for anything shaped like a JWT, a bot token or a simulated session).

The factories and the test world use these, so they flow through registration, logins, the
pages, the webhook, bot registration and Telegram sign-ins across the whole suite.
"""

from __future__ import annotations

# Users' password (the REST and GraphQL factories, the pages' logins, the authz matrix).
PASSWORD = "canary-password-Lq7ZpX2v"
# The Telegram account's api_hash (32 hex digits, as my.telegram.org shows one).
API_HASH = "ca11ab1e0ddba11ca11ab1e5eed5eed0"
# A Telegram account's two-step verification password.
TELEGRAM_PASSWORD = "canary-2fa-password-Vr5Kd"
# The test world's bot (id 5001), and a token shaped like the ones @BotFather gives.
BOT_TOKEN = "5001:canary-bot-token-Wm3Xs8Tq"
SHAPED_BOT_TOKEN = "7123456789:AAFcanaryBotTokenShapedLikeTelegrams0"
# The invite webhook's shared secret.
WEBHOOK_SECRET = "canary-webhook-secret-Hn4kJ8"
# The JWT signing key (TGHUB_SECRET_KEY) and the keys secrets are encrypted with.
SIGNING_KEY = "canary-signing-key-that-is-long-enough-0123456789"
OLD_ENCRYPTION_KEY = "canary-encryption-key-old-R2d"
NEW_ENCRYPTION_KEY = "canary-encryption-key-new-C3p"

ALL = {
    "a user's password": PASSWORD,
    "the Telegram api_hash": API_HASH,
    "the Telegram 2FA password": TELEGRAM_PASSWORD,
    "the world's bot token": BOT_TOKEN,
    "a bot token": SHAPED_BOT_TOKEN,
    "the webhook secret": WEBHOOK_SECRET,
    "the JWT signing key": SIGNING_KEY,
    "an encryption key": OLD_ENCRYPTION_KEY,
    "another encryption key": NEW_ENCRYPTION_KEY,
}
