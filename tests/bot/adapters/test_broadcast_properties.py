"""Broadcasts under random sequences of actions: nobody is sent one twice, nor one they are not
meant to get, nor one they muted, nor one in their quiet hours, nor one staff cancelled; the
status staff see matches what the platforms received; answers count once and stay anonymous
unless the broadcast said otherwise.

Every example drives the real services and one real `BroadcastSender` per platform, whose fake
platforms fail for now, refuse for good or take the message as drawn, on a SQLite file and on
PostgreSQL (the `bot` fixture), against a model of what should happen kept here. A crash is a
claim whose outcome is never recorded; a straggler records it after its lease ran out. Actions
come in short stories that give each promise its chance to break. `CEDP_FUZZ_EXAMPLES` sets the
number of examples (50).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bot.adapters.broadcasting import BroadcastSender
from bot.adapters.testing import TEST_PLATFORM
from bot.core import Bot
from bot.messages import Reply
from domain.notices import Category
from domain.people import OPERATOR, Role
from handlers.broadcasts import choice_lines, reply_for
from services import broadcasts
from services import settings as member_settings
from services.broadcasts import MUTED, NO_ACCOUNT, BroadcastError, Draft
from services.settings import SettingsError
from storage.broadcasts import Broadcast, BroadcastAnswer, BroadcastDelivery, DeliveryStatus
from storage.models import Identity, Member, MemberSettings, MemberTag
from storage.repositories import Repositories
from tests.bot.adapters.test_delivery import FakeOutlet
from tests.conftest import FakeClock, unit

EXAMPLES = int(os.environ.get("CEDP_FUZZ_EXAMPLES", "50"))
PROPERTIES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PLATFORMS = ("telegram", "slack", TEST_PLATFORM)
# Most examples turn quiet hours off, so that most sends are not held and what a mute, a cancel
# or a lease should stop reaches the claim; the rest give members quiet hours of their own.
QUIET_MODES = ("off", "off", "off", "mixed")
TAGS = ("london", "north", "new-ceo")
ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
QUIET_HOURS = ("default", "off", "22:00-07:00", "09:00-17:00", "23:30-00:30", "00:30-01:30")
# Working days, and nights when clocks change in London, New York and Lord Howe Island.
STARTS = (
    datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    datetime(2026, 11, 25, 13, 30, tzinfo=UTC),
    datetime(2026, 12, 1, 17, 45, tzinfo=UTC),
    datetime(2026, 3, 28, 23, 40, tzinfo=UTC),
    datetime(2026, 10, 24, 23, 40, tzinfo=UTC),
    datetime(2026, 3, 8, 5, 40, tzinfo=UTC),
    datetime(2026, 4, 4, 14, 40, tzinfo=UTC),
)
LATER = (None, None, None, timedelta(minutes=30), timedelta(hours=5), timedelta(days=1))
MOSTLY = st.sampled_from([True, True, False])
STEPS = (timedelta(seconds=30), timedelta(seconds=61), timedelta(minutes=30), timedelta(hours=3))
DEFAULT_QUIET = "20:00-08:00"  # CEDP_QUIET_HOURS as the `bot` fixture leaves it
_SERIAL = re.compile(r"^Notice (\d+)\.")


@dataclass
class Account:
    platform: str
    external_id: str
    unreachable: bool = False  # marked so in the database
    blocked: bool = False  # the platform refuses it for good

    @property
    def address(self) -> str:
        return f"dm-{self.external_id}"


@dataclass
class Person:
    member_id: int
    name: str
    tags: frozenset[str]
    accounts: list[Account]  # in the order they were added
    last_platform: str | None
    muted: set[Category] = field(default_factory=set)
    quiet: str = "default"
    zone: str = "Europe/London"

    def mutes(self, category: Category) -> bool:
        return category.mutable and category in self.muted

    def in_quiet_hours(self, moment: datetime) -> bool:
        span = DEFAULT_QUIET if self.quiet == "default" else self.quiet
        if span == "off":
            return False
        start, end = (time.fromisoformat(part) for part in span.split("-"))
        local = moment.astimezone(ZoneInfo(self.zone)).time()
        return start <= local < end if start < end else local >= start or local < end

    def account_for(self, platform: str | None) -> Account | None:
        """Where a broadcast should reach them: a reachable account first, then the one they
        used last, then the first added."""
        candidates = [a for a in self.accounts if platform is None or a.platform == platform]
        ranked = sorted(
            enumerate(candidates),
            key=lambda pair: (pair[1].unreachable, pair[1].platform != self.last_platform, pair[0]),
        )
        return ranked[0][1] if ranked else None


@dataclass
class Sent:
    """A broadcast as scheduled, and what the model expects of it."""

    serial: int
    id: int
    category: Category
    choices: tuple[str, ...]
    names: bool
    send_at: datetime
    accounts: dict[int, Account | None]  # the segment: member id → the account chosen
    cancelled_step: int | None = None
    answers: dict[int, int] = field(default_factory=dict)  # member id → latest choice


@dataclass(frozen=True)
class Receipt:
    step: int
    at: datetime
    platform: str
    external_id: str
    serial: int
    text: str
    by_crash: bool  # taken by a platform from a sender that died before recording it
    held_until: datetime | None  # the lease a crashed sender had on the row then


class Platform(FakeOutlet):
    """A fake platform that tells the world what it took, and when."""

    def __init__(self, world: World, platform: str) -> None:
        super().__init__()
        self.platform = platform
        self.world = world

    async def send(self, address: str, replies: Sequence[Reply], *, bulk: bool = False) -> None:
        await super().send(address, replies, bulk=bulk)
        self.world.received(self.platform, address.removeprefix("dm-"), replies[0].text)


class World:
    """The bot under test, the fake platforms, and the model the invariants compare with."""

    def __init__(self, bot: Bot, clock: FakeClock, data: st.DataObject) -> None:
        self.bot, self.clock, self.data = bot, clock, data
        self.quiet_mode = data.draw(st.sampled_from(QUIET_MODES))
        self.people: list[Person] = []
        self.sent: list[Sent] = []
        self.receipts: list[Receipt] = []
        self.checked = 0  # receipts checked so far
        self.leases: dict[tuple[int, int], datetime] = {}  # rows a crash held, until when
        self.step = 0
        self.platforms = {platform: Platform(self, platform) for platform in PLATFORMS}
        self.senders = {p: BroadcastSender(bot, outlet) for p, outlet in self.platforms.items()}
        self.lease = timedelta(seconds=bot.services.settings.broadcast_lease_seconds)

    def draw(self, strategy: st.SearchStrategy):  # type: ignore[no-untyped-def]
        return self.data.draw(strategy)

    def received(
        self, platform: str, external_id: str, text: str, *, by_crash: bool = False
    ) -> None:
        serial = _SERIAL.match(text)
        assert serial is not None, text
        person, _ = self.owner(platform, external_id)
        held = self.leases.get((self.sent[int(serial[1]) - 1].id, person.member_id))
        receipt = Receipt(
            self.step, self.clock(), platform, external_id, int(serial[1]), text, by_crash, held
        )
        self.receipts.append(receipt)

    def owner(self, platform: str, external_id: str) -> tuple[Person, Account]:
        for person in self.people:
            for account in person.accounts:
                if (account.platform, account.external_id) == (platform, external_id):
                    return person, account
        raise AssertionError(f"{platform}:{external_id} is nobody's account")

    def run(self, work):  # type: ignore[no-untyped-def]
        return unit(self.bot.services.database, work)

    # Actions

    async def add_member(self) -> None:
        number = len(self.people) + 1
        tags = frozenset(self.draw(st.sets(st.sampled_from(TAGS), max_size=2)))
        count = self.draw(st.sampled_from([1, 1, 1, 2, 0]))  # some on two platforms, some on none
        platforms = self.draw(st.permutations(PLATFORMS))[:count]
        fates = [
            self.draw(st.sampled_from(["ok", "ok", "ok", "ok", "unreachable", "blocked"]))
            for _ in platforms
        ]
        accounts = [
            Account(p, f"{p}-{number}", fate == "unreachable", fate == "blocked")
            for p, fate in zip(platforms, fates, strict=True)
        ]
        last = self.draw(st.sampled_from(platforms)) if platforms else None
        name = f"<m{number}>"

        async def create(repos: Repositories) -> int:
            member = await repos.members.create(
                display_name=name, role=Role.MEMBER, tags=tags, now=self.clock()
            )
            member.last_platform = last
            for account in accounts:
                await repos.members.add_identity(member.id, account.platform, account.external_id)
                if account.unreachable:
                    await repos.members.mark_unreachable(
                        account.platform, account.external_id, "blocked the bot", self.clock()
                    )
            return member.id

        person = Person(await self.run(create), name, tags, accounts, last)
        self.people.append(person)
        for account in accounts:
            if account.blocked:
                self.platforms[account.platform].blocked.add(account.address)
        quiet = "off" if self.quiet_mode == "off" else self.draw(st.sampled_from(QUIET_HOURS))
        await self._set_quiet_hours(person, quiet)

    def person(self) -> Person:
        """Mostly someone the latest broadcast is meant for, whose settings matter to it now."""
        meant_for = [p for p in self.people if self.sent and p.member_id in self.sent[-1].accounts]
        if meant_for and self.draw(st.booleans()):
            return self.draw(st.sampled_from(meant_for))
        return self.draw(st.sampled_from(self.people))

    async def mute(self) -> None:
        person = self.person()
        latest = [self.sent[-1].category] * 3 if self.sent else []
        category = self.draw(st.sampled_from([*latest, *Category]))
        muted = self.draw(MOSTLY)
        settings_ = self.bot.services.settings
        change = lambda r: member_settings.mute(  # noqa: E731
            r, person.member_id, category, muted, settings=settings_
        )
        if not category.mutable:
            with pytest.raises(SettingsError):
                await self.run(change)
            return
        await self.run(change)
        (person.muted.add if muted else person.muted.discard)(category)

    async def set_quiet_hours(self) -> None:
        await self._set_quiet_hours(self.person(), self.draw(st.sampled_from(QUIET_HOURS)))

    async def _set_quiet_hours(self, person: Person, quiet: str) -> None:
        settings_ = self.bot.services.settings
        await self.run(
            lambda r: member_settings.set_quiet_hours(
                r, person.member_id, quiet, settings=settings_
            )
        )
        person.quiet = quiet

    async def set_timezone(self) -> None:
        person, zone = self.person(), self.draw(st.sampled_from(ZONES))
        settings_ = self.bot.services.settings
        await self.run(
            lambda r: member_settings.set_timezone(r, person.member_id, zone, settings=settings_)
        )
        person.zone = zone

    async def schedule(self) -> None:
        serial = len(self.sent) + 1
        category = self.draw(st.sampled_from(list(Category)))
        tags = self.draw(st.sampled_from([(), (), (), TAGS[:1], TAGS[1:]]))
        platform = self.draw(st.sampled_from([None, None, None, *PLATFORMS]))
        choices = tuple(f"choice {n}" for n in range(self.draw(st.integers(0, 3))))
        names = self.draw(st.booleans())
        now = self.clock()
        later = self.draw(st.sampled_from(LATER))
        draft = Draft(
            f"Notice {serial}.",
            category=category,
            tags=tags,
            platform=platform,
            choices=choices,
            send_at=None if later is None else now + later,
            names_to_staff=names,
        )
        segment = {
            p.member_id: p.account_for(platform)
            for p in self.people
            if (not tags or p.tags & set(tags))
            and (platform is None or p.account_for(platform) is not None)
        }
        settings_ = self.bot.services.settings
        scheduling = lambda r: broadcasts.schedule(r, draft, now, settings_, OPERATOR)  # noqa: E731
        if not segment:
            with pytest.raises(BroadcastError, match="nobody is in that segment"):
                await self.run(scheduling)
            return
        planned = await self.run(scheduling)
        assert planned.broadcast_id is not None
        send_at = now + (later or timedelta())
        sent = Sent(serial, planned.broadcast_id, category, choices, names and bool(choices),
                    send_at, segment)  # fmt: skip
        self.sent.append(sent)
        by_member = {row.member_id: row for row in planned.deliveries}
        assert by_member.keys() == segment.keys(), "the segment is members by tags and platform"
        for person in self.people:
            if person.member_id not in segment:
                continue
            row, account = by_member[person.member_id], segment[person.member_id]
            if account is None:
                assert (row.platform, row.excluded) == ("none", NO_ACCOUNT)
                continue
            assert (row.platform, row.recipient_id) == (account.platform, account.external_id)
            if person.mutes(category):
                assert row.excluded == MUTED
            elif account.unreachable:
                assert (row.excluded or "").startswith("unreachable")
            else:
                assert row.excluded is None
            held = category.mutable and person.in_quiet_hours(send_at)
            assert (row.due_at > send_at) == held, "held exactly when in quiet hours"
            assert not person.in_quiet_hours(row.due_at) or not category.mutable

    async def advance(self) -> None:
        self.clock.now += self.draw(st.sampled_from(STEPS))

    async def expire(self) -> None:
        """Time enough for every lease taken so far to run out."""
        self.clock.now += self.lease + timedelta(seconds=1)

    async def send(self) -> None:
        """A pass of every platform's sender, with some members' accounts failing for now."""
        for platform, outlet in self.platforms.items():
            offline = self.draw(st.sets(st.integers(0, len(self.people) - 1)))
            outlet.offline = {
                a.address
                for i in offline
                for a in self.people[i].accounts
                if a.platform == platform
            }
            await self._drain(platform)

    async def _drain(self, platform: str) -> None:
        outlet = self.platforms[platform]
        tried = len(outlet.attempts)
        await self.senders[platform].run_once()
        for address, _ in outlet.attempts[tried:]:
            if address in outlet.blocked:  # the sender marks the account as it is refused
                self.owner(platform, address.removeprefix("dm-"))[1].unreachable = True

    async def crash(self) -> None:
        """Senders claim rows, their platforms take some, and they die before recording any."""
        for platform in PLATFORMS:
            for item, _ in await self._claim_and_send(platform, by_crash=True):
                row = item.delivery
                self.leases[(row.broadcast_id, row.member_id)] = self.clock() + self.lease

    async def straggle(self) -> None:
        """Senders claim rows and their platforms take some, then they stall past their lease
        while staff may cancel, and at last record what became of them as a sender does."""
        taken = [pair for p in PLATFORMS for pair in await self._claim_and_send(p)]
        await self.expire()
        stalled = {item.delivery.broadcast_id for item, took in taken if took}
        for sent in self.sent:
            if sent.id in stalled and sent.cancelled_step is None and self.draw(MOSTLY):
                await self.run(lambda r, s=sent: broadcasts.cancel(r, s.id, self.clock(), OPERATOR))
                sent.cancelled_step = self.step + 1  # after this step's claims
        now = self.clock()
        outcomes = [
            broadcasts.sent(item.delivery)
            if took
            else broadcasts.failed_attempt(item.delivery, "ConnectionError", now)
            for item, took in taken
        ]
        await self.run(lambda r: r.broadcasts.record(outcomes, now))

    async def _claim_and_send(
        self, platform: str, *, by_crash: bool = False
    ) -> list[tuple[broadcasts.Sendable, bool]]:
        """Claim a few due rows of `platform` as a sender does; its platform takes some of them
        (never from an account that refuses). Returns each claimed row and whether it was taken."""
        settings_, now, limit = (
            self.bot.services.settings,
            self.clock(),
            self.draw(st.integers(1, 3)),
        )
        claimed = await self.run(
            lambda r: broadcasts.claim_due(
                r, platform, now, settings_, lease=self.lease, limit=limit
            )
        )
        taken = []
        for item in claimed:
            row = item.delivery
            _, account = self.owner(platform, row.recipient_id)
            took = self.draw(MOSTLY) and not account.blocked
            if took:
                text = reply_for(item.message).text
                self.received(platform, row.recipient_id, text, by_crash=by_crash)
            taken.append((item, took))
        return taken

    def broadcast(self) -> Sent:
        """Mostly the latest one, whose rows are the likeliest to be still on their way."""
        return self.draw(st.sampled_from([self.sent[-1]] * 3 * len(self.sent) + self.sent))

    async def cancel(self) -> None:
        sent = self.broadcast()
        cancelling = lambda r: broadcasts.cancel(r, sent.id, self.clock(), OPERATOR)  # noqa: E731
        if sent.cancelled_step is not None:
            with pytest.raises(BroadcastError, match="cancelled already"):
                await self.run(cancelling)
            return
        await self.run(cancelling)
        sent.cancelled_step = self.step

    async def resend_failed(self) -> None:
        sent = self.broadcast()
        resending = lambda r: broadcasts.resend_failed(r, sent.id, self.clock(), OPERATOR)  # noqa: E731
        if sent.cancelled_step is not None:
            with pytest.raises(BroadcastError, match="was cancelled"):
                await self.run(resending)
            return
        await self.run(resending)

    async def answer(self) -> None:
        sent, person = self.broadcast(), self.person()
        choice = self.draw(st.integers(-1, 3))
        answering = lambda r: broadcasts.answer(  # noqa: E731
            r, sent.id, person.member_id, choice, self.clock()
        )
        if person.member_id in self.sent_to(sent) and 0 <= choice < len(sent.choices):
            _, label = await self.run(answering)
            assert label == sent.choices[choice]
            sent.answers[person.member_id] = choice
        else:
            with pytest.raises(BroadcastError):
                await self.run(answering)

    # Invariants

    def sent_to(self, sent: Sent) -> set[int]:
        """Members a sender (not a crash) delivered this broadcast to."""
        return {
            self.owner(r.platform, r.external_id)[0].member_id
            for r in self.receipts
            if r.serial == sent.serial and not r.by_crash
        }

    async def check(self) -> None:
        for receipt in self.receipts[self.checked :]:
            self._check_receipt(receipt)
        self.checked = len(self.receipts)
        senders = Counter(
            (r.serial, self.owner(r.platform, r.external_id)[0].member_id)
            for r in self.receipts
            if not r.by_crash
        )
        assert max(senders.values(), default=0) <= 1, "a sender delivered one row twice"
        for sent in self.sent:
            await self._check_status(sent)

    def _check_receipt(self, receipt: Receipt) -> None:
        sent = self.sent[receipt.serial - 1]
        person, account = self.owner(receipt.platform, receipt.external_id)
        assert sent.accounts.get(person.member_id, False) is account, "outside the segment"
        assert receipt.at >= sent.send_at, "sent before its time"
        assert sent.cancelled_step is None or receipt.step < sent.cancelled_step, "cancelled"
        assert not person.mutes(sent.category), "sent to a member who muted it"
        assert not (sent.category.mutable and person.in_quiet_hours(receipt.at)), "quiet hours"
        assert ("by name" in receipt.text) == sent.names
        held = receipt.held_until
        assert held is None or held <= receipt.at, "taken while a crashed sender held it"

    async def _check_status(self, sent: Sent) -> None:
        async def read(repos: Repositories):  # type: ignore[no-untyped-def]
            report = await broadcasts.status(repos, sent.id)
            rows = await repos.broadcasts.recipients(sent.id, list(DeliveryStatus))
            return report, rows

        report, rows = await self.run(read)
        counts = report.as_json()
        cancelled = report.counts[DeliveryStatus.CANCELLED]
        assert report.recipients + cancelled == len(sent.accounts)
        assert (
            sum(v for k, v in counts.items() if k not in {"recipients", "choices"})
            == (counts["recipients"])
        ), f"the status counts do not add up to the recipients: {counts}"
        names = {p.name: p.member_id for p in self.people}
        sent_rows = {names[r.member_name] for r in rows if r.status is DeliveryStatus.SENT}
        assert sent_rows == self.sent_to(sent), "sent in the status is what platforms received"
        if sent.category is Category.ESSENTIAL:
            assert all(r.reason != MUTED for r in rows), "an essential notice was muted"
        assert (report.state == "cancelled") == (sent.cancelled_step is not None)
        chosen = Counter(sent.answers.values())
        assert report.choices == {label: chosen[i] for i, label in enumerate(sent.choices)}
        if sent.names:
            by_id = {p.member_id: p.name for p in self.people}
            assert report.names == {
                label: sorted(by_id[m] for m, c in sent.answers.items() if c == i)
                for i, label in enumerate(sent.choices)
            }
        else:
            assert report.names is None
            shown = "\n".join(choice_lines(report))
            assert not any(p.name in shown for p in self.people), "names shown to staff"

    async def finish(self) -> None:
        """With the clock far ahead and every platform up, everything ends sent or settled."""
        for outlet in self.platforms.values():
            outlet.offline = set()
        for _ in range(16):
            if not await self._pending():
                break
            self.step += 1
            self.clock.now += timedelta(hours=6)
            for platform in PLATFORMS:
                await self._drain(platform)
        await self.check()
        assert not await self._pending(), "still pending after the drain"

    async def _pending(self) -> list[int]:
        """Rows still to be sent, of every broadcast."""
        async with self.bot.services.database.transaction() as session:
            pending = BroadcastDelivery.status == DeliveryStatus.PENDING
            return list(
                (await session.execute(select(BroadcastDelivery.id).where(pending))).scalars()
            )


# Stories: short runs of actions that give each promise its chance to break (a mute, a change
# of quiet hours or a cancel between a schedule and its send; a crash followed by a send within
# its lease, or by a cancel and the lease running out), mixed with single actions.
STORIES = (
    ("schedule", "send"),
    ("schedule", "mute", "send"),
    ("schedule", "set_quiet_hours", "send"),
    ("schedule", "set_timezone", "send"),
    ("schedule", "cancel", "send"),
    ("schedule", "crash", "send"),
    ("schedule", "crash", "cancel", "expire", "send"),
    ("schedule", "straggle", "send"),
    ("crash", "expire", "send"),
    ("advance", "send"),
    ("resend_failed", "send"),
    ("answer",),
    ("add_member",),
    ("mute",),
    ("cancel",),
)
NEEDS_A_BROADCAST = {"cancel", "resend_failed", "answer"}


async def _wipe(bot: Bot) -> None:
    """Examples share the test's database: each starts with nobody and no broadcasts."""
    async with bot.services.database.transaction() as session:
        for table in (BroadcastAnswer, BroadcastDelivery, Broadcast, MemberSettings):
            await session.execute(delete(table))
        for table in (MemberTag, Identity, Member):
            await session.execute(delete(table))
        assert (await session.execute(select(Member.id))).first() is None


@PROPERTIES
@given(data=st.data())
async def test_random_broadcast_histories_keep_every_promise(
    bot: Bot, clock: FakeClock, data: st.DataObject
) -> None:
    await _wipe(bot)
    clock.now = data.draw(st.sampled_from(STARTS))
    world = World(bot, clock, data)
    for _ in range(data.draw(st.integers(3, 6))):
        await world.add_member()
    stories = data.draw(st.lists(st.sampled_from(STORIES), min_size=3, max_size=10))
    for action in ["schedule", *(action for story in stories for action in story)]:
        if action in NEEDS_A_BROADCAST and not world.sent:
            continue
        world.step += 1
        await getattr(world, action)()
        await world.check()
    await world.finish()
