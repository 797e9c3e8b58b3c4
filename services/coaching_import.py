"""Coaches as staff keep them in a YAML file: reading and checking it, importing it in one
transaction, writing it back out; and the lists staff read at the terminal.

The file is a list of coaches in the format of issue 11 (scripts and tests rely on it):

    - name: Dr Priya Shah
      kind: coach                 # coach | mentor
      account: telegram:5001      # optional: joins or links a member
      specialisms: [finance, leading change]
      format: video               # video | phone | in person
      bio: Former trust chief executive, accredited executive coach.
      timezone: Europe/London
      session_minutes: 60
      buffer_minutes: 15
      notice_hours: 24
      horizon_weeks: 8
      weekly: ["mon 09:00-12:00", "wed 14:00-17:00"]
      exceptions: ["2026-12-25", "2026-12-28 09:00-12:00"]

Every value is read as the text it is written as (a bio of `yes` stays "yes"), from the YAML
node tree, so each problem names the file, its line and the entry. An import is idempotent: an
entry is matched to a coach by name, else by the coach behind its account; what is already so is
left alone. Nothing is imported unless every entry is good.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.parsing import parse_account, whole_number
from domain.coaching import CoachKind, DayException, SessionFormat, WeeklyWindow
from domain.notices import DEFAULT_TIMEZONE, parse_timezone
from domain.people import MemberRef, Role
from services.audit import Action, record
from services.coaching import CoachingError
from services.members import Account
from services.yaml_nodes import (
    NULL,
    BadYaml,
    bounded,
    choice_of,
    compose,
    distinct,
    one,
)
from storage.coaching import Coach
from storage.models import Member
from storage.repositories import Repositories

NAME_MAX = 200  # the coaches.name column
BIO_MAX = 1000  # "a short bio"
SPECIALISM_MAX = 60
SESSION_MINUTES = (15, 240)
BUFFER_MINUTES = (0, 120)
NOTICE_HOURS = (0, 720)
HORIZON_WEEKS = (1, 52)


class ImportRefused(CoachingError):
    """The file has problems; each is `FILE:LINE: entry ...: what is wrong`."""

    def __init__(self, problems: Sequence[str]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__("\n".join([f"nothing was imported; {count}:", *problems]))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class CoachEntry:
    """One coach as the file describes it, checked; `line` is where its entry starts."""

    name: str
    source: str
    line: int
    kind: CoachKind = CoachKind.COACH
    account: Account | None = None
    specialisms: tuple[str, ...] = ()
    format: SessionFormat = SessionFormat.VIDEO
    bio: str = ""
    timezone: str = DEFAULT_TIMEZONE
    session_minutes: int = 60
    buffer_minutes: int = 15
    notice_hours: int = 24
    horizon_weeks: int = 8
    weekly: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()

    def problem(self, message: str) -> str:
        return f"{self.source}:{self.line}: entry {self.name!r}: {message}"

    def profile(self) -> dict[str, Any]:
        """The coach's columns, as storage keeps them."""
        return {
            "name": self.name,
            "kind": self.kind.value,
            "specialisms": list(self.specialisms),
            "format": self.format.value,
            "bio": self.bio,
            "timezone": self.timezone,
            "session_minutes": self.session_minutes,
            "buffer_minutes": self.buffer_minutes,
            "notice_hours": self.notice_hours,
            "horizon_weeks": self.horizon_weeks,
            "weekly": list(self.weekly),
            "exceptions": list(self.exceptions),
        }


# Reading the file


# Each key of an entry and how its value is read; ValueError says what is wrong.
_FIELDS: dict[str, Callable[[Node], Any]] = {
    "name": one(bounded(NAME_MAX, "the name")),
    "kind": one(choice_of(CoachKind)),
    "account": one(parse_account),
    "specialisms": distinct(bounded(SPECIALISM_MAX, "a specialism")),
    "format": one(choice_of(SessionFormat)),
    "bio": one(bounded(BIO_MAX, "the bio", may_be_empty=True)),
    "timezone": one(lambda text: parse_timezone(text).key),
    "session_minutes": one(whole_number(*SESSION_MINUTES)),
    "buffer_minutes": one(whole_number(*BUFFER_MINUTES)),
    "notice_hours": one(whole_number(*NOTICE_HOURS)),
    "horizon_weeks": one(whole_number(*HORIZON_WEEKS)),
    "weekly": distinct(WeeklyWindow.parse),
    "exceptions": distinct(DayException.parse),
}
EXPORTED_KEYS = tuple(_FIELDS)


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _whole(entry: CoachEntry) -> list[str]:
    """What is wrong with an entry as a whole, once each value is good."""
    problems = []
    for text in entry.weekly:
        window = WeeklyWindow.parse(text)
        if _minutes(window.end) - _minutes(window.start) < entry.session_minutes:
            problems.append(f"weekly window {text!r} is shorter than one session")
    if timedelta(hours=entry.notice_hours) >= timedelta(weeks=entry.horizon_weeks):
        problems.append("notice_hours reaches past horizon_weeks: nothing could be booked")
    return [entry.problem(message) for message in problems]


def _entry(node: Node, index: int, source: str, problems: list[str]) -> CoachEntry | None:
    """The entry `node` describes, or None after adding its problems to `problems`."""
    line = node.start_mark.line + 1
    if not isinstance(node, MappingNode):
        problems.append(f"{source}:{line}: entry #{index} is not a mapping of keys to values")
        return None
    named = [v for k, v in node.value if k.value == "name" and isinstance(v, ScalarNode)]
    name = named[0].value.strip() if named and named[0].tag != NULL else None
    label = f"entry {name!r}" if name else f"entry #{index}"

    def at(place: Node, message: str) -> None:
        problems.append(f"{source}:{place.start_mark.line + 1}: {label}: {message}")

    values: dict[str, Any] = {}
    seen: set[str] = set()
    found = len(problems)
    for key_node, value in node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key in seen:
            at(key_node, f"{key} is given twice")
        elif key not in _FIELDS:
            at(key_node, f"unknown key {key!r}; the keys are {', '.join(_FIELDS)}")
        elif value.tag != NULL:  # a key given empty counts as left out
            try:
                values[key] = _FIELDS[key](value)
            except ValueError as error:
                at(getattr(error, "node", value), f"{key}: {error}")
        seen.add(str(key))
    if name is None:
        at(node, "name is required")
    if len(problems) > found:
        return None
    entry = CoachEntry(source=source, line=line, **values)
    problems.extend(_whole(entry))
    return entry


def read_coaches(text: str, source: str) -> list[CoachEntry]:
    """The coaches a file describes, every one checked; `ImportRefused` lists every problem,
    each with `source`, its line and the entry's name."""
    try:
        document = compose(text)
    except BadYaml as error:
        raise ImportRefused([f"{source}:{error.line}: {error}"]) from None
    if document is None:
        return []
    if not isinstance(document, SequenceNode):
        line = document.start_mark.line + 1
        raise ImportRefused([f"{source}:{line}: must be a list of coaches (- name: ...)"])
    problems: list[str] = []
    entries = [
        entry
        for index, node in enumerate(document.value, start=1)
        if (entry := _entry(node, index, source, problems)) is not None
    ]
    problems.extend(_repeats(entries))
    if problems:
        raise ImportRefused(problems)
    return entries


def _repeats(entries: Sequence[CoachEntry]) -> list[str]:
    """A name or an account given to two entries: which one is meant cannot be told."""
    problems = []
    names: dict[str, CoachEntry] = {}
    accounts: dict[Account, CoachEntry] = {}
    for entry in entries:
        earlier = names.setdefault(entry.name.lower(), entry)
        if earlier is not entry:
            problems.append(entry.problem(f"the name is also given at line {earlier.line}"))
        if entry.account is not None:
            earlier = accounts.setdefault(entry.account, entry)
            if earlier is not entry:
                problems.append(
                    entry.problem(f"{':'.join(entry.account)} is also given at line {earlier.line}")
                )
    return problems


# Importing


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The coaches an import added, changed and found as they were, by name."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class _Conflict(Exception):
    """The entry cannot be matched to one coach and one member."""


async def _become_coach(repos: Repositories, member: Member) -> bool:
    """Give the member the coach role; staff keep theirs, which lets them do more."""
    if member.role in {Role.COACH, Role.STAFF}:
        return False
    await repos.members.set_role(member, Role.COACH)
    return True


async def _match(repos: Repositories, entry: CoachEntry) -> tuple[Coach | None, Member | None]:
    """The coach the entry is (by name, else the coach behind its account) and the member who
    holds its account, if anyone does."""
    coach = await repos.coaching.coach_named(entry.name)
    holder = await repos.members.find_by_identity(*entry.account) if entry.account else None
    if coach is None and holder is not None:
        coach = await repos.coaching.coach_of_member(holder.id)
    if coach is not None and holder is not None and holder.id != coach.member_id:
        raise _Conflict(
            f"{':'.join(entry.account or ())} is the account of member {holder.id} "
            f"({holder.display_name}), not of coach {coach.name}"
        )
    return coach, holder


async def _importone(repos: Repositories, entry: CoachEntry, now: datetime) -> bool | None:
    """Add or update the entry's coach: None when added, else whether anything changed."""
    coach, holder = await _match(repos, entry)
    if coach is None:
        member = holder or await repos.members.create(
            display_name=entry.name, role=Role.COACH, tags=(), now=now, identity=entry.account
        )
        await _become_coach(repos, member)
        await repos.coaching.add_coach(Coach(member_id=member.id, **entry.profile()))
        return None
    member = holder or await repos.members.get(coach.member_id)
    assert member is not None  # a coach's member goes with the coach (ON DELETE CASCADE)
    changed = await _become_coach(repos, member)
    if entry.account is not None and holder is None:
        await repos.members.add_identity(member.id, *entry.account)
        changed = True
    for column, value in entry.profile().items():
        if getattr(coach, column) != value:
            setattr(coach, column, value)
            changed = True
    if changed:
        await repos.coaching.save(coach)
    return changed


async def import_coaches(
    repos: Repositories, entries: Sequence[CoachEntry], now: datetime, by: MemberRef
) -> ImportReport:
    """Add new coaches and update changed ones; `ImportRefused` (so the caller's transaction
    rolls back) when any entry cannot be matched to one coach and one member."""
    report, problems = ImportReport(), []
    for entry in entries:
        try:
            outcome = await _importone(repos, entry, now)
        except _Conflict as conflict:
            problems.append(entry.problem(str(conflict)))
            continue
        {None: report.added, True: report.updated, False: report.unchanged}[outcome].append(
            entry.name
        )
    if problems:
        raise ImportRefused(problems)
    counts = {"added": len(report.added), "updated": len(report.updated)}
    await record(repos, by, Action.COACHES_IMPORT, "coaches", now, **counts)
    return report


# Exporting and listing


def _account(member: Member | None) -> str | None:
    """The member's first platform account, the one the file names."""
    if member is None or not member.identities:
        return None
    first = min(member.identities, key=lambda identity: identity.id)
    return f"{first.platform}:{first.external_id}"


async def export_coaches(repos: Repositories) -> str:
    """Every coach in the import format, by name; importing it again changes nothing."""
    described = []
    for coach in await repos.coaching.coaches():
        account = _account(await repos.members.get(coach.member_id))
        entry: dict[str, Any] = {}
        for key in EXPORTED_KEYS:
            if key == "account":
                if account is not None:
                    entry[key] = account
            else:
                entry[key] = getattr(coach, key)
        described.append(entry)
    return yaml.safe_dump(
        described, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
    )
