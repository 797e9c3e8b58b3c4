"""Broadcasts: who receives one, how it reads, and what became of it.

Staff compose a `Draft`; `preview` says exactly who it would reach, and `schedule` writes the
broadcast with one delivery row per recipient in one transaction. Recipients come from the
roster (members by tags and platform), never from a channel: each member once, on the
platform they wrote from last. The senders (bot/adapters/broadcasting.py) take due rows through
`claim_due`, which applies each member's settings as they stand at that moment, and record what
happened with the `Outcome` helpers here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.settings import Settings
from domain.errors import Refusal
from domain.notices import Category, Preferences
from domain.people import MemberRef
from services.audit import Action, record
from services.settings import preferences_for
from storage.broadcasts import (
    Broadcast,
    ClaimedDelivery,
    DeliveryStatus,
    NewDelivery,
    Outcome,
    Recipient,
)
from storage.jobs import retry_delay
from storage.members import in_segment
from storage.models import Identity, Member
from storage.repositories import Repositories

MAX_TEXT_CHARS = 3500  # leaves room for the footer within Telegram's 4,096
MAX_CHOICES = 5
MAX_CHOICE_CHARS = 40
MAX_ATTEMPTS = 5
LATEST_START = timedelta(days=366)
PAST_TOLERANCE = timedelta(minutes=5)  # "now" typed a moment ago is still now

CATEGORY_NAMES = {
    Category.NEWS: "Programme news",
    Category.EVENTS: "Programme events",
    Category.ESSENTIAL: "Essential programme notice",
}
MUTED = "muted"
NO_ACCOUNT = "unreachable: no account on the bot"


class BroadcastError(Refusal):
    """A broadcast that cannot be composed, sent or changed; the message says why."""


@dataclass(frozen=True, slots=True)
class Draft:
    """A broadcast as staff compose it; `send_at` None means now."""

    text: str
    category: Category = Category.NEWS
    tags: tuple[str, ...] = ()
    platform: str | None = None
    choices: tuple[str, ...] = ()
    send_at: datetime | None = None
    names_to_staff: bool = False

    def checked(self, now: datetime) -> Draft:
        """The draft tidied (text trimmed, time filled in), or `BroadcastError` saying why not."""
        text = self.text.strip()
        if not text:
            raise BroadcastError("the message is empty")
        if len(text) > MAX_TEXT_CHARS:
            raise BroadcastError(
                f"the message has {len(text)} characters; at most {MAX_TEXT_CHARS} fit"
            )
        choices = tuple(choice.strip() for choice in self.choices if choice.strip())
        if len(choices) > MAX_CHOICES:
            raise BroadcastError(f"at most {MAX_CHOICES} choices fit under a message")
        if any(len(choice) > MAX_CHOICE_CHARS for choice in choices):
            raise BroadcastError(f"a choice takes at most {MAX_CHOICE_CHARS} characters")
        if len({choice.casefold() for choice in choices}) < len(choices):
            raise BroadcastError("two choices are the same")
        return Draft(
            text,
            self.category,
            tuple(sorted(set(self.tags))),
            self.platform,
            choices,
            checked_send_at(self.send_at or now, now),
            self.names_to_staff and bool(choices),
        )


def checked_send_at(send_at: datetime, now: datetime) -> datetime:
    """A time a broadcast may be scheduled for (from now to a year ahead, with its offset), or
    `BroadcastError` saying why not; the command line checks it as it reads `--at`. In UTC."""
    if send_at.tzinfo is None:
        raise BroadcastError("give the time with its UTC offset, e.g. 2026-12-07T09:00+00:00")
    send_at = send_at.astimezone(UTC)  # shown as UTC in the preview and the refusals
    if send_at < now - PAST_TOLERANCE:
        raise BroadcastError(f"{send_at:%Y-%m-%d %H:%M} UTC has passed")
    if send_at > now + LATEST_START:
        raise BroadcastError("a broadcast can be scheduled at most a year ahead")
    return send_at


@dataclass(frozen=True, slots=True)
class BroadcastMessage:
    """A broadcast as every recipient reads it: text with its footer, and the choices."""

    broadcast_id: int
    text: str
    choices: tuple[str, ...]


def message_text(
    text: str, category: Category, choices: Sequence[str], names_to_staff: bool
) -> str:
    """The text members receive: the staff's words, then what kind of notice it is, how to
    mute it, and who sees their answer."""
    footer = f"— {CATEGORY_NAMES[category]} from the CEDP team."
    if category.mutable:
        footer += " To mute these, send /settings."
    if choices:
        footer += (
            "\nYour answer is shared with the programme team by name."
            if names_to_staff
            else "\nThe team sees how many chose each answer, not who."
        )
    return f"{text}\n\n{footer}"


def message_of(broadcast: Broadcast) -> BroadcastMessage:
    category = Category(broadcast.category)
    text = message_text(broadcast.text, category, broadcast.choices, broadcast.names_to_staff)
    return BroadcastMessage(broadcast.id, text, tuple(broadcast.choices))


@dataclass(frozen=True, slots=True)
class Plan:
    """Who a draft reaches: a row per member of the segment, and the counts staff see."""

    draft: Draft
    deliveries: tuple[NewDelivery, ...]
    broadcast_id: int | None = None  # set once scheduled

    @property
    def recipients(self) -> int:
        return len(self.deliveries)

    @property
    def to_send(self) -> int:
        return sum(1 for d in self.deliveries if d.excluded is None)

    @property
    def held(self) -> int:
        """Recipients whose quiet hours hold it when it is due."""
        assert self.draft.send_at is not None
        return sum(
            1 for d in self.deliveries if d.excluded is None and d.due_at > self.draft.send_at
        )

    def excluded(self, reason_starts: str) -> int:
        return sum(1 for d in self.deliveries if (d.excluded or "").startswith(reason_starts))

    @property
    def message(self) -> str:
        draft = self.draft
        return message_text(draft.text, draft.category, draft.choices, draft.names_to_staff)

    def summary(self) -> str:
        """The counts in a sentence, for the preview in chat and at the terminal."""
        assert self.draft.send_at is not None
        muted, unreachable = self.excluded(MUTED), self.excluded("unreachable")
        lines = [f"Recipients: {self.recipients} members; it goes to {self.to_send}."]
        if muted or unreachable:
            lines.append(
                f"Excluded: {muted} muted {self.draft.category}, {unreachable} unreachable."
            )
        if self.held:
            lines.append(f"{self.held} are in their quiet hours then; theirs goes when those end.")
        return "\n".join(lines)


def _account_for(member: Member, platform: str | None) -> Identity | None:
    """Where this member receives it: the requested platform, or the one they used last; a
    reachable account first. None when they have no account on that platform at all."""
    accounts = [i for i in member.identities if platform is None or i.platform == platform]
    accounts.sort(
        key=lambda i: (i.unreachable_since is not None, i.platform != member.last_platform, i.id)
    )
    return accounts[0] if accounts else None


def _delivery_for(member: Member, draft: Draft, preferences: Preferences) -> NewDelivery | None:
    assert draft.send_at is not None
    account = _account_for(member, draft.platform)
    if account is None:
        if draft.platform is not None:
            return None  # not on that platform: not in this segment
        return NewDelivery(member.id, "none", "", draft.send_at, NO_ACCOUNT)
    due = preferences.held_until(draft.category, draft.send_at) or draft.send_at
    excluded = None
    if preferences.mutes(draft.category):
        excluded = MUTED
    elif account.unreachable_since is not None:
        excluded = f"unreachable: {account.unreachable_reason or 'the platform refused'}"
    return NewDelivery(member.id, account.platform, account.external_id, due, excluded)


async def plan(repos: Repositories, draft: Draft, now: datetime, settings: Settings) -> Plan:
    """Exactly who the draft reaches if sent now, and who is excluded or held, and why."""
    draft = draft.checked(now)
    members = [m for m in await repos.members.list() if in_segment(m, draft.tags)]
    preferences = await preferences_for(repos, [m.id for m in members], settings)
    deliveries = (_delivery_for(m, draft, preferences[m.id]) for m in members)
    return Plan(draft, tuple(d for d in deliveries if d is not None))


async def schedule(
    repos: Repositories, draft: Draft, now: datetime, settings: Settings, by: MemberRef
) -> Plan:
    """Create the broadcast and every recipient's row; returns the plan with the id set."""
    planned = await plan(repos, draft, now, settings)
    if not planned.recipients:
        raise BroadcastError("nobody is in that segment")
    checked = planned.draft
    assert checked.send_at is not None
    broadcast = await repos.broadcasts.create(
        text=checked.text,
        category=checked.category,
        tags=checked.tags,
        platform=checked.platform,
        choices=checked.choices,
        names_to_staff=checked.names_to_staff,
        send_at=checked.send_at,
        now=now,
        deliveries=planned.deliveries,
    )
    await record(
        repos,
        by,
        Action.BROADCAST_SEND,
        f"broadcast:{broadcast.id}",
        now,
        recipients=planned.recipients,
        send_at=checked.send_at.isoformat(timespec="minutes"),
        segment=",".join(checked.tags) or "everyone",
    )
    return replace(planned, broadcast_id=broadcast.id)


# What the senders call


@dataclass(frozen=True, slots=True)
class Sendable:
    """A claimed row whose member should receive it now."""

    delivery: ClaimedDelivery
    message: BroadcastMessage


async def claim_due(
    repos: Repositories,
    platform: str,
    now: datetime,
    settings: Settings,
    *,
    lease: timedelta,
    limit: int,
    recipient_id: str | None = None,
) -> list[Sendable]:
    """Claim due rows, then apply each member's settings as they are now: a member who has
    muted the category since is excluded, one in quiet hours waits for their end, a cancelled
    broadcast's rows are cancelled. Returns what should be sent."""
    claimed = await repos.broadcasts.claim(
        platform, now, lease=lease, limit=limit, recipient_id=recipient_id
    )
    if not claimed:
        return []
    broadcasts = await repos.broadcasts.get_many(row.broadcast_id for row in claimed)
    preferences = await preferences_for(repos, {row.member_id for row in claimed}, settings)
    messages = {broadcast_id: message_of(b) for broadcast_id, b in broadcasts.items()}
    later: list[Outcome] = []
    ready: list[Sendable] = []
    for row in claimed:
        broadcast = broadcasts[row.broadcast_id]
        category = Category(broadcast.category)
        held = preferences[row.member_id].held_until(category, now)
        if broadcast.cancelled_at is not None:
            later.append(Outcome(row.id, DeliveryStatus.CANCELLED))
        elif preferences[row.member_id].mutes(category):
            later.append(Outcome(row.id, DeliveryStatus.EXCLUDED, MUTED))
        elif held is not None:
            later.append(Outcome(row.id, DeliveryStatus.PENDING, due_at=held))
        else:
            ready.append(Sendable(row, messages[broadcast.id]))
    await repos.broadcasts.record(later, now)
    return ready


def sent(row: ClaimedDelivery) -> Outcome:
    return Outcome(row.id, DeliveryStatus.SENT)


def refused(row: ClaimedDelivery, reason: str) -> Outcome:
    """The platform refused for good (blocked, deactivated): failed, listed in the status."""
    return Outcome(row.id, DeliveryStatus.FAILED, f"unreachable: {reason}", failed_attempt=True)


def failed_attempt(row: ClaimedDelivery, error: str, now: datetime) -> Outcome:
    """A transient failure: due again after a growing delay, failed after the last attempt."""
    failures = row.attempts + 1
    if failures >= MAX_ATTEMPTS:
        return Outcome(
            row.id,
            DeliveryStatus.FAILED,
            f"gave up after {failures} attempts: {error}",
            failed_attempt=True,
        )
    return Outcome(
        row.id,
        DeliveryStatus.PENDING,
        error,
        due_at=now + retry_delay(failures),
        failed_attempt=True,
    )


# What staff see and change


@dataclass(frozen=True, slots=True)
class BroadcastStatus:
    broadcast: Broadcast
    counts: dict[DeliveryStatus, int]
    choices: dict[str, int]
    names: dict[str, list[str]] | None  # only when the broadcast said names would be shared
    problems: list[Recipient] = field(default_factory=list)  # failed, and excluded unreachable

    @property
    def recipients(self) -> int:
        """Everyone it was, is or will be sent to, or who was excluded: a cancel takes the
        rows it stopped out, so pending, sent, failed and excluded add up to this."""
        return sum(n for status, n in self.counts.items() if status is not DeliveryStatus.CANCELLED)

    @property
    def state(self) -> str:
        """cancelled, sending (or waiting for its time), or done."""
        if self.broadcast.cancelled_at is not None:
            return "cancelled"
        return "sending" if self.counts[DeliveryStatus.PENDING] else "done"

    def as_json(self) -> dict[str, Any]:
        return {
            "recipients": self.recipients,
            "pending": self.counts[DeliveryStatus.PENDING],
            "sent": self.counts[DeliveryStatus.SENT],
            "failed": self.counts[DeliveryStatus.FAILED],
            "excluded": self.counts[DeliveryStatus.EXCLUDED],
            "choices": self.choices,
        }


async def _broadcast(repos: Repositories, broadcast_id: int) -> Broadcast:
    broadcast = await repos.broadcasts.get(broadcast_id)
    if broadcast is None:
        raise BroadcastError(f"no broadcast with id {broadcast_id}")
    return broadcast


async def status(repos: Repositories, broadcast_id: int) -> BroadcastStatus:
    broadcast = await _broadcast(repos, broadcast_id)
    answered = await repos.broadcasts.answer_counts(broadcast_id)
    choices = {label: answered.get(index, 0) for index, label in enumerate(broadcast.choices)}
    names = None
    if broadcast.names_to_staff:
        names = {label: [] for label in broadcast.choices}
        for index, name in await repos.broadcasts.answer_names(broadcast_id):
            if index < len(broadcast.choices):
                names[broadcast.choices[index]].append(name)
    problems = [
        recipient
        for recipient in await repos.broadcasts.recipients(
            broadcast_id, (DeliveryStatus.FAILED, DeliveryStatus.EXCLUDED)
        )
        if recipient.status is DeliveryStatus.FAILED or (recipient.reason or "") != MUTED
    ]
    return BroadcastStatus(
        broadcast, await repos.broadcasts.counts(broadcast_id), choices, names, problems
    )


async def list_broadcasts(repos: Repositories, limit: int | None = None) -> list[BroadcastStatus]:
    """Newest first; the latest `limit` when given."""
    return [await status(repos, b.id) for b in await repos.broadcasts.list(limit)]


async def cancel(repos: Repositories, broadcast_id: int, now: datetime, by: MemberRef) -> int:
    """Cancel what is still pending; returns how many will not be sent."""
    broadcast = await _broadcast(repos, broadcast_id)
    if broadcast.cancelled_at is not None:
        raise BroadcastError(f"broadcast {broadcast_id} was cancelled already")
    stopped = await repos.broadcasts.cancel(broadcast, now)
    await record(
        repos, by, Action.BROADCAST_CANCEL, f"broadcast:{broadcast_id}", now, unsent=stopped
    )
    return stopped


async def resend_failed(
    repos: Repositories, broadcast_id: int, now: datetime, by: MemberRef
) -> int:
    """Send again to those it failed to reach; returns how many."""
    broadcast = await _broadcast(repos, broadcast_id)
    if broadcast.cancelled_at is not None:
        raise BroadcastError(f"broadcast {broadcast_id} was cancelled")
    again = await repos.broadcasts.resend_failed(broadcast_id, now)
    await record(repos, by, Action.BROADCAST_RESEND, f"broadcast:{broadcast_id}", now, again=again)
    return again


async def answer(
    repos: Repositories, broadcast_id: int, member_id: int, choice: int, now: datetime
) -> tuple[Broadcast, str]:
    """Record a recipient's choice (they may change it); returns the broadcast and the label."""
    broadcast = await repos.broadcasts.get(broadcast_id)
    if broadcast is None or not await repos.broadcasts.is_recipient(broadcast_id, member_id):
        raise BroadcastError("that message is no longer open for answers")
    if not 0 <= choice < len(broadcast.choices):
        raise BroadcastError("that answer is not one of the choices")
    await repos.broadcasts.answer(broadcast_id, member_id, choice, now)
    return broadcast, broadcast.choices[choice]
