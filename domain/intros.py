"""Peer introductions: the values a directory profile holds, and how a matching round pairs
people. Pure: no storage, no chat; services/intros.py applies it."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

NOTE_MAX_CHARS = 500
TALK_ABOUT_MAX_CHARS = 300
FIELD_MAX_CHARS = 200
MAX_INTERESTS = 12
NEW_IN_POST_MONTHS = 12  # "also new in post": in post for at most this long

# NHS England's seven regions: what "region" means to every chief executive on the programme.
REGIONS = (
    "East of England",
    "London",
    "Midlands",
    "North East and Yorkshire",
    "North West",
    "South East",
    "South West",
)

# What members pick from; they may add their own as well.
SUGGESTED_INTERESTS = (
    "finance",
    "digital",
    "workforce",
    "quality and safety",
    "mental health",
    "community services",
    "urgent and emergency care",
    "elective recovery",
    "system working",
    "inclusion",
    "estates",
    "research",
    "board development",
    "turnaround",
)

_INTEREST = re.compile(r"^[a-z0-9][a-z0-9 &'-]{0,39}$")
_EMAIL = re.compile(r"^[^@\s<>]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{7,24}$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


class ContactKind(StrEnum):
    """A contact detail a member may choose to share once an introduction is accepted."""

    EMAIL = "email"
    PHONE = "phone"
    TELEGRAM = "telegram"  # their Telegram account, as the bot knows it
    SLACK = "slack"  # their Slack account


class Origin(StrEnum):
    """How an introduction came about: one member asked, or a matching round proposed it."""

    REQUEST = "request"
    ROUND = "round"


class Status(StrEnum):
    """Where an introduction stands. Declined is kept apart from expired in storage, and only
    there: the person who asked is told the same thing, at the same time, either way."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Answer(StrEnum):
    """A party's answer to an introduction."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ConsentKind(StrEnum):
    """What the consent record keeps, with its time, for each person it concerns."""

    JOINED = "joined"  # opted in to the directory, sharing what `detail` says
    UPDATED = "updated"  # changed their profile or what they share
    LEFT = "left"
    REQUESTED = "requested"
    ACCEPTED = "accepted"  # `detail`: what they agreed to share
    DECLINED = "declined"
    BLOCKED = "blocked"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    SUSPENDED = "suspended"  # by staff
    RESTORED = "restored"


def clean_interest(text: str) -> str:
    """One interest as stored: lower case, single spaces; ValueError says what is allowed."""
    interest = " ".join(text.lower().split())
    if not _INTEREST.match(interest):
        raise ValueError(
            "an interest is a few words (at most 40 characters) of letters, digits, "
            "spaces, & ' and -"
        )
    return interest


def parse_interests(text: str) -> list[str]:
    """`finance, digital; Mental health` → ["finance", "digital", "mental health"]."""
    found: list[str] = []
    for part in re.split(r"[,;\n]", text):
        if part.strip():
            interest = clean_interest(part)
            if interest not in found:
                found.append(interest)
    if not found:
        raise ValueError("type at least one interest, separated by commas")
    return found


def parse_email(text: str) -> str:
    email = text.strip()
    if len(email) > FIELD_MAX_CHARS or not _EMAIL.match(email):
        raise ValueError("that doesn't look like an email address (name@trust.nhs.uk)")
    return email


def parse_phone(text: str) -> str:
    phone = " ".join(text.split())
    digits = sum(ch.isdigit() for ch in phone)
    if not _PHONE.match(phone) or not 7 <= digits <= 15:
        raise ValueError("that doesn't look like a phone number (07700 900123 or +44 ...)")
    return phone


def parse_field(text: str, what: str, limit: int = FIELD_MAX_CHARS) -> str:
    """A short free-text field (a name, an organisation): not empty, at most `limit`."""
    value = " ".join(text.split())
    if not value:
        raise ValueError(f"please type your {what}")
    if len(value) > limit:
        raise ValueError(f"please keep your {what} to {limit} characters")
    return value


def parse_note(text: str) -> str:
    """An introduction's note: at most `NOTE_MAX_CHARS`, line breaks kept."""
    note = text.strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ValueError(
            f"your note has {len(note)} characters; please keep it to {NOTE_MAX_CHARS}"
        )
    return note


def parse_month(text: str, today: date) -> date:
    """When someone came into post, as the first of that month: `2025-09`, `09/2025`,
    `Sep 2025`, `September 2025`. Not in the future."""
    words = text.strip().lower().replace(",", " ").replace("/", " ").replace("-", " ").split()
    month = year = None
    if len(words) == 2:
        first, second = words
        if first.isdigit() and second.isdigit():
            year, month = (
                (int(first), int(second)) if len(first) == 4 else (int(second), int(first))
            )
        elif first in _MONTHS and second.isdigit():
            month, year = _MONTHS[first], int(second)
    elif len(words) == 1 and words[0].isdigit() and len(words[0]) == 4:
        month, year = 1, int(words[0])
    if month is None or year is None or not 1 <= month <= 12 or not 1948 <= year <= 9999:
        raise ValueError("type the month you came into post, like September 2025 or 2025-09")
    started = date(year, month, 1)
    if started > today:
        raise ValueError("that month is still to come; type the month you came into post")
    return started


def new_in_post(since: date | None, today: date) -> bool:
    """In post for at most `NEW_IN_POST_MONTHS` (by calendar month)."""
    if since is None:
        return False
    months = (today.year - since.year) * 12 + today.month - since.month
    return months <= NEW_IN_POST_MONTHS


# Matching rounds


@dataclass(frozen=True, slots=True)
class Candidate:
    """Someone a round may pair; `buddy`: volunteered to pair with newly appointed peers."""

    member_id: int
    buddy: bool = False


Group = tuple[int, ...]


def pair_up(
    people: Sequence[Candidate],
    allowed: Callable[[int, int], bool],
    rng: random.Random,
    *,
    buddies: bool = False,
) -> list[Group]:
    """Pairs (and, for an odd one out, one trio) among `people`, every pair `allowed`.

    Greedy, most constrained first: whoever has the fewest possible partners is paired first,
    with the possible partner who has the fewest themselves; ties are broken at random, so rounds
    differ. With `buddies`, a buddy is paired with someone who is not one where possible. The
    one left over joins a pair whose both members it may meet; someone nobody may meet sits the
    round out. Never pairs two people `allowed` refuses, whatever the input.
    """
    ids = [person.member_id for person in people]
    is_buddy = {person.member_id: person.buddy for person in people}
    options = {
        me: {other for other in ids if other != me and allowed(me, other) and allowed(other, me)}
        for me in ids
    }
    order = ids[:]
    rng.shuffle(order)
    position = {me: place for place, me in enumerate(order)}
    free = set(ids)
    partners_free = {me: len(options[me]) for me in ids}  # kept up to date as people are paired

    def take(person: int) -> None:
        free.discard(person)
        for other in options[person] & free:
            partners_free[other] -= 1

    groups: list[list[int]] = []
    while True:
        waiting = [me for me in order if me in free and partners_free[me] > 0]
        if not waiting:
            break
        me = min(waiting, key=partners_free.__getitem__)
        partner = min(
            sorted(options[me] & free, key=position.__getitem__),
            key=lambda other, me=me: (
                int(buddies and is_buddy[other] == is_buddy[me]),
                partners_free[other],
            ),
        )
        groups.append([me, partner])
        take(me)
        take(partner)
    for left in [me for me in order if me in free]:
        trio = next(
            (
                group
                for group in groups
                if len(group) == 2 and all(m in options[left] for m in group)
            ),
            None,
        )
        if trio is not None:
            trio.append(left)
            free.discard(left)
            break  # an odd number makes one trio; anyone else left sits this round out
    return [tuple(group) for group in groups]
