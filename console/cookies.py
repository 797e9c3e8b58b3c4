"""The console's cookies: the session cookie is signed, so a forged or altered one is refused
before any database work, and carries a random token whose digest names the session row."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from aiohttp import web

SESSION = "cedp_console"
NOTICE = "cedp_console_notice"
PATH = "/console"
_PURPOSE = b"cedp-bot: console session cookie"
_SEPARATOR = "."


class CookieSigner:
    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()

    def _mac(self, value: str) -> str:
        mac = hmac.new(self._key, value.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def sign(self, value: str) -> str:
        return f"{value}{_SEPARATOR}{self._mac(value)}"

    def unsign(self, signed: str | None) -> str | None:
        """The value, or None when the cookie is missing, malformed or not signed by us."""
        if not signed or _SEPARATOR not in signed:
            return None
        value, _, mac = signed.rpartition(_SEPARATOR)
        return value if hmac.compare_digest(mac, self._mac(value)) else None


def set_session(response: web.StreamResponse, signed: str, *, seconds: int, secure: bool) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (no cross-site form carries it), the console's
    path only, and refreshed on every page so it lasts as long as the session's idle limit."""
    response.set_cookie(
        SESSION,
        signed,
        max_age=seconds,
        path=PATH,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def clear_session(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION, path=PATH)


@dataclass(frozen=True, slots=True)
class Notice:
    """What the page after a form says about it: done, or why not."""

    text: str
    error: bool = False


def set_notice(response: web.StreamResponse, notice: Notice, *, secure: bool) -> None:
    value = json.dumps({"text": notice.text, "error": notice.error})
    encoded = base64.urlsafe_b64encode(value.encode()).decode()
    response.set_cookie(
        NOTICE, encoded, max_age=60, path=PATH, httponly=True, samesite="Lax", secure=secure
    )


def read_notice(request: web.Request) -> Notice | None:
    """The notice a redirect left; None when absent or garbled. The page that shows it clears
    it (`clear_notice`)."""
    encoded = request.cookies.get(NOTICE)
    if encoded is None:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(encoded.encode()))
        return Notice(str(value["text"]), bool(value["error"]))
    except (ValueError, KeyError, TypeError):
        return None


def clear_notice(response: web.StreamResponse) -> None:
    response.del_cookie(NOTICE, path=PATH)
