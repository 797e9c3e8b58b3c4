"""Every staff action appends one entry to the audit trail, in the transaction that does it, so
the action and its record commit together or not at all.

The trail names people by their pseudonym (`members.pseudonym`), never by name, account or
contact details: erasing a member deletes the one row that links the pseudonym to them. The
operator at the terminal is recorded as `terminal:<login>`.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from enum import StrEnum

from domain.people import OPERATOR, MemberRef
from storage.repositories import Repositories


class Action(StrEnum):
    """The staff actions the trail records; `cedp-bot audit list` shows these names."""

    PULSE_RESULTS = "pulse.results"
    PULSE_CREATE = "pulse.create"
    PULSE_CLOSE = "pulse.close"
    BROADCAST_SEND = "broadcast.send"
    BROADCAST_CANCEL = "broadcast.cancel"
    BROADCAST_RESEND = "broadcast.resend"
    MEMBER_EXPORT = "member.export"
    MEMBER_ERASE = "member.erase"
    MEMBER_ADD = "member.add"
    MEMBER_ROLE = "member.role"
    MEMBER_TAGS = "member.tags"
    INVITE_CREATE = "invite.create"
    INVITE_REVOKE = "invite.revoke"
    TEAM_ANSWER = "team.answer"
    DIRECTORY_SUSPEND = "directory.suspend"
    DIRECTORY_RESTORE = "directory.restore"
    COACHES_IMPORT = "coaches.import"
    INTRO_ROUND_START = "intros.round-start"
    INTRO_ROUND_STOP = "intros.round-stop"
    KB_ACCEPT = "kb.accept"
    CONSOLE_SIGN_IN = "console.sign-in"


def terminal_actor() -> str:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name in this environment (a bare container)
        login = "unknown"
    return f"terminal:{login}"


async def member_label(repos: Repositories, member_id: int) -> str:
    """How the trail names a member, as actor or subject."""
    pseudonym = await repos.members.pseudonym(member_id)
    return pseudonym if pseudonym is not None else "unknown-member"


async def record(
    repos: Repositories,
    by: MemberRef,
    action: Action,
    subject: str,
    now: datetime,
    **details: object,
) -> None:
    """Append `by` did `action` to `subject`; details are short facts, never personal data."""
    actor = terminal_actor() if by.id == OPERATOR.id else await member_label(repos, by.id)
    facts = {key: str(value) for key, value in details.items()}
    await repos.audit.append(actor, action.value, subject, now, facts)
