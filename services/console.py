"""Signing in to the staff console: a one-time link sent in a private chat, then a browser
session. Both are random tokens of 256 bits that only the person holds; the database keeps
their SHA-256 digests, so a copy of it opens nothing.

Who may use the console is not decided here: every page checks the member's current role
(console/app.py, through `Access.allows`), so a session outlives nobody's demotion.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.settings import Settings
from domain.errors import Refusal
from domain.people import MemberRef
from services.audit import Action, member_label, record
from storage.members import to_ref
from storage.repositories import Repositories

SIGN_IN_VALID_FOR = timedelta(minutes=10)
SIGN_IN_PATH = "/console/sign-in/"  # bot/logs.py blanks the token after it in every log line


class ConsoleError(Refusal):
    """The console cannot be offered; the message says why, for the staff member asking."""


@dataclass(frozen=True, slots=True)
class Visitor:
    """The member behind a console session, as they are now, and their session's form token."""

    member: MemberRef
    form_token: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def issue_link(
    repos: Repositories, member: MemberRef, now: datetime, settings: Settings
) -> str:
    """A sign-in link for `member`, valid for ten minutes and once; their earlier links stop."""
    if not settings.console_enabled:
        raise ConsoleError("The staff console is turned off on this server.")
    if settings.public_url is None:
        raise ConsoleError(
            "The staff console has no public address yet: whoever runs the bot needs to set "
            "CEDP_PUBLIC_URL."
        )
    token = secrets.token_urlsafe(32)
    await repos.console.add_sign_in(digest(token), member.id, now + SIGN_IN_VALID_FOR)
    return f"{settings.public_url}{SIGN_IN_PATH}{token}"


async def sign_in(repos: Repositories, link_token: str, now: datetime) -> str | None:
    """Use up a sign-in link and open a session: the session's token, for the cookie, or None
    when the link is unknown, used or expired."""
    member_id = await repos.console.redeem_sign_in(digest(link_token), now)
    if member_id is None:
        return None
    member = await repos.members.get(member_id)
    if member is None:  # erased since the link was sent (the link row cascades; belt and braces)
        return None
    session_token = secrets.token_urlsafe(32)
    await repos.console.add_session(
        digest(session_token), member_id, secrets.token_urlsafe(32), now
    )
    await record(
        repos, to_ref(member), Action.CONSOLE_SIGN_IN, await member_label(repos, member_id), now
    )
    return session_token


async def visitor(
    repos: Repositories, session_token: str, now: datetime, settings: Settings
) -> Visitor | None:
    """Who holds this session, marking it used; None when it is unknown or has ended."""
    ended_before = now - timedelta(hours=settings.console_session_hours)
    found = await repos.console.use_session(digest(session_token), now, ended_before)
    if found is None:
        return None
    member = await repos.members.get(found.member_id)
    return None if member is None else Visitor(to_ref(member), found.form_token)


async def first_submission(repos: Repositories, once_token: str, now: datetime) -> None:
    """Refuse a form carried out before: a double click, a reload, the back button."""
    if not await repos.console.first_submission(digest(once_token), now):
        raise ConsoleError("That form was already sent, so it was not carried out again.")


async def sign_out(repos: Repositories, session_token: str, form_token: object) -> None:
    """End the session, if `form_token` is its own (so no other site can sign anyone out)."""
    await repos.console.end_session(digest(session_token), str(form_token))
