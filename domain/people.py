"""Roles and the snapshot of a member that every layer passes around."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a member may do; people who have not joined have no role at all."""

    MEMBER = "member"
    COACH = "coach"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class MemberRef:
    """A snapshot of the member behind an event, taken when the event was identified."""

    id: int
    display_name: str
    role: Role
    tags: frozenset[str] = frozenset()


# Whoever runs `cedp-bot` has the server, its database and its settings, so where a rule asks
# who is asking (the results role check, the audit trail), the terminal's operator is staff.
# No member has id 0.
OPERATOR = MemberRef(0, "the operator at the terminal", Role.STAFF)
