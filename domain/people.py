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
