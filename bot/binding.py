"""Every choice is bound to the account it is shown to, so a button works only for that person.

A bound payload is the packed payload (bot.payloads), "~" and a tag: HMAC-SHA256 over the payload,
the recipient's platform and their account id, cut to 64 bits and base64url-encoded. Pressed by
anyone else, edited, or typed by hand, it fails the check, and the `bind_choices` middleware
refuses it before any handler runs. Guessing a tag online is hopeless (2**64 tries at the
rate limit), so 64 bits buy room in Telegram's 64 bytes for the payload itself.

The key is `CEDP_SECRET_KEY`; when that is unset, one is generated at first start and kept in the
database, so every worker on one database binds alike.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime

from bot.messages import Choice, Choices, Edit, Reply
from bot.payloads import Payload, PayloadError, unpack
from bot.settings import Settings
from storage.database import Database
from storage.keys import SecretKeyRepository

TAG_SEPARATOR = "~"
TAG_BYTES = 8
LIMIT_BYTES = 64  # Telegram's callback_data; Slack's button values allow more
KEY_NAME = "payload-binding"
_PURPOSE = b"cedp-bot: bind choice payloads to their recipient"


class NotYours(Exception):
    """A pressed payload that was not bound to the account pressing it."""


class PayloadTooLong(Exception):
    """A payload kind that cannot fit the limit once bound: a programming error, raised loudly."""


class Binder:
    """Binds packed payloads to an account, and opens what comes back from that account."""

    def __init__(self, secret: bytes) -> None:
        key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)  # copied per tag, keyed once

    def _tag(self, payload: str, platform: str, account: str) -> bytes:
        # Lengths first, so no two (platform, account, payload) triples share a message.
        message = f"{len(platform)}:{platform}{len(account)}:{account}{payload}"
        mac = self._keyed.copy()
        mac.update(message.encode("utf-8", "surrogatepass"))
        return base64.urlsafe_b64encode(mac.digest()[:TAG_BYTES]).rstrip(b"=")

    def bind(self, payload: str, platform: str, account: str) -> str:
        """`payload` as only this account's presses will open it."""
        bound = f"{payload}{TAG_SEPARATOR}{self._tag(payload, platform, account).decode()}"
        if len(bound.encode()) > LIMIT_BYTES:
            raise PayloadTooLong(f"{bound!r} is over {LIMIT_BYTES} bytes once bound")
        return bound

    def open(self, bound: str, platform: str, account: str) -> Payload | None:
        """The payload this account was shown, or None when it is of a kind or shape this bot
        no longer makes (a button from an older version); raises `NotYours` for a payload bound
        to someone else, tampered with or made up."""
        if len(bound) > LIMIT_BYTES or not bound.isascii():
            raise NotYours
        payload, separator, tag = bound.rpartition(TAG_SEPARATOR)
        expected = self._tag(payload, platform, account)
        if not separator or not hmac.compare_digest(tag.encode(), expected):
            raise NotYours
        try:
            return unpack(payload)
        except PayloadError:
            return None

    def bind_options(
        self, options: Sequence[Choice], platform: str, account: str
    ) -> tuple[Choice, ...]:
        return tuple(
            Choice(option.label, self.bind(option.payload, platform, account)) for option in options
        )

    def bind_replies(self, replies: list[Reply], platform: str, account: str) -> list[Reply]:
        """Replies as they go to this account: every choice in them bound to it."""
        return [
            dataclasses.replace(reply, options=self.bind_options(reply.options, platform, account))
            if isinstance(reply, Choices | Edit) and reply.options
            else reply
            for reply in replies
        ]


async def secret_in(settings: Settings, keys: SecretKeyRepository, now: datetime) -> bytes:
    """The bot's secret: `CEDP_SECRET_KEY`, else the key stored at first start. Each use derives
    its own key from it (binding here, asker digests in services/learning.py)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    return (await keys.get_or_create(KEY_NAME, secrets.token_urlsafe(32), now)).encode()


async def load_secret(settings: Settings, database: Database, now: datetime) -> bytes:
    """`secret_in`, in a transaction of its own (at start)."""
    async with database.transaction() as session:
        return await secret_in(settings, SecretKeyRepository(session), now)
