"""Broadcast rules, the same for /broadcast in chat and for `cedp-bot broadcast`: who it
reaches and when, what staff may send, and what the senders are told to do."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.settings import Settings
from domain.notices import Category
from domain.people import OPERATOR, Role
from services import broadcasts
from services.broadcasts import MAX_ATTEMPTS, BroadcastError, Draft
from storage.broadcasts import ClaimedDelivery, DeliveryStatus, NewDelivery
from storage.jobs import retry_delay
from storage.member_settings import StoredSettings
from storage.repositories import Repositories
from tests.services.conftest import NOW  # 09:00 in London: outside the default quiet hours

LEASE = timedelta(minutes=5)
SETTINGS = Settings(semantic="off")  # default quiet hours 20:00-08:00


@pytest.fixture
def roster(unit):
    """Add members: `await roster("Alice", ("telegram", "1"), tags=("new-ceo",))`."""

    async def add(name: str, *accounts: tuple[str, str], tags: tuple[str, ...] = ()) -> int:
        async def work(repos: Repositories) -> int:
            member = await repos.members.create(
                display_name=name, role=Role.MEMBER, tags=tags, now=NOW
            )
            for platform, external_id in accounts:
                await repos.members.add_identity(member.id, platform, external_id)
            return member.id

        return await unit(work)

    return add


def _draft(**fields: object) -> Draft:
    return Draft(text="The open space event is on 7 December.", **fields)  # type: ignore[arg-type]


async def _plan(unit, draft: Draft, now: datetime = NOW) -> dict[str, NewDelivery]:
    """Each recipient's row by member name."""

    async def work(repos: Repositories) -> dict[str, NewDelivery]:
        planned = await broadcasts.plan(repos, draft, now, SETTINGS)
        names = {m.id: m.display_name for m in await repos.members.list()}
        return {names[d.member_id]: d for d in planned.deliveries}

    return await unit(work)


async def _schedule(unit, draft: Draft, now: datetime = NOW) -> int:
    planned = await unit(lambda r: broadcasts.schedule(r, draft, now, SETTINGS, OPERATOR))
    assert planned.broadcast_id is not None
    return planned.broadcast_id


def _claim_due(unit, platform: str = "telegram", now: datetime = NOW):
    return unit(lambda r: broadcasts.claim_due(r, platform, now, SETTINGS, lease=LEASE, limit=100))


async def _settle(unit, *outcomes) -> None:
    await unit(lambda r: r.broadcasts.record(list(outcomes), NOW))


async def _save_settings(unit, member_id: int, **stored: object) -> None:
    await unit(lambda r: r.member_settings.save(member_id, StoredSettings(**stored)))  # type: ignore[arg-type]


async def _set_last_platform(unit, member_id: int, platform: str) -> None:
    async def work(repos: Repositories) -> None:
        member = await repos.members.get(member_id)
        assert member is not None
        member.last_platform = platform

    await unit(work)


# Who it reaches


async def test_the_segment_is_members_with_any_of_the_tags_on_the_platform(unit, roster) -> None:
    await roster("Alice", ("telegram", "1"), tags=("new-ceo",))
    await roster("Bob", ("slack", "U2"), tags=("london", "new-ceo"))
    await roster("Carol", ("telegram", "3"), tags=("london",))
    await roster("Dan", ("telegram", "4"), tags=("north",))

    assert sorted(await _plan(unit, _draft())) == ["Alice", "Bob", "Carol", "Dan"]
    assert sorted(await _plan(unit, _draft(tags=("new-ceo", "london")))) == [
        "Alice",
        "Bob",
        "Carol",
    ]
    on_telegram = await _plan(unit, _draft(tags=("new-ceo", "london"), platform="telegram"))
    assert sorted(on_telegram) == ["Alice", "Carol"]
    assert on_telegram["Alice"] == NewDelivery(on_telegram["Alice"].member_id, "telegram", "1", NOW)


async def test_a_member_with_two_accounts_gets_one_row_on_the_platform_used_last(
    unit, roster
) -> None:
    alice = await roster("Alice", ("telegram", "1"), ("slack", "U1"))

    await _set_last_platform(unit, alice, "slack")
    [row] = (await _plan(unit, _draft())).values()
    assert (row.platform, row.recipient_id) == ("slack", "U1")

    await _set_last_platform(unit, alice, "telegram")
    [row] = (await _plan(unit, _draft())).values()
    assert (row.platform, row.recipient_id) == ("telegram", "1")

    broadcast = await _schedule(unit, _draft())
    report = await unit(lambda r: broadcasts.status(r, broadcast))
    assert report.recipients == 1


async def test_an_unreachable_account_gives_way_to_the_other_one(unit, roster) -> None:
    alice = await roster("Alice", ("telegram", "1"), ("slack", "U1"))
    await _set_last_platform(unit, alice, "telegram")
    await unit(lambda r: r.members.mark_unreachable("telegram", "1", "blocked the bot", NOW))

    [row] = (await _plan(unit, _draft())).values()

    assert (row.platform, row.recipient_id, row.excluded) == ("slack", "U1", None)


async def test_with_no_reachable_account_the_member_is_excluded_and_says_why(unit, roster) -> None:
    await roster("Alice", ("telegram", "1"))
    await roster("Bob")  # on the roster, never on the bot
    await unit(lambda r: r.members.mark_unreachable("telegram", "1", "blocked the bot", NOW))

    rows = await _plan(unit, _draft())

    assert rows["Alice"].excluded == "unreachable: blocked the bot"
    assert rows["Bob"].excluded == "unreachable: no account on the bot"


async def test_a_member_who_muted_the_category_is_excluded(unit, roster) -> None:
    alice = await roster("Alice", ("telegram", "1"))
    await _save_settings(unit, alice, muted=frozenset({"news"}))

    assert (await _plan(unit, _draft(category=Category.NEWS)))["Alice"].excluded == "muted"
    assert (await _plan(unit, _draft(category=Category.EVENTS)))["Alice"].excluded is None


async def test_quiet_hours_hold_it_until_they_end_in_the_members_time_zone(unit, roster) -> None:
    await roster("London", ("telegram", "1"))
    new_york = await roster("New York", ("telegram", "2"))
    await _save_settings(unit, new_york, timezone="America/New_York")  # 04:00 there

    rows = await _plan(unit, _draft())

    assert rows["London"].due_at == NOW
    assert rows["New York"].due_at == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 08:00 EST
    assert rows["New York"].excluded is None


async def test_an_essential_notice_ignores_mute_and_quiet_hours(unit, roster) -> None:
    alice = await roster("Alice", ("telegram", "1"))
    await _save_settings(
        unit, alice, muted=frozenset({"news", "events"}), timezone="America/New_York"
    )

    [row] = (await _plan(unit, _draft(category=Category.ESSENTIAL))).values()

    assert (row.excluded, row.due_at) == (None, NOW)


async def test_scheduling_for_nobody_is_refused(unit, roster) -> None:
    await roster("Alice", ("telegram", "1"), tags=("london",))

    with pytest.raises(BroadcastError, match="nobody is in that segment"):
        await _schedule(unit, _draft(tags=("north",)))
    assert await unit(broadcasts.list_broadcasts) == []


# What staff may send


@pytest.mark.parametrize(
    ("draft", "refusal"),
    [
        (Draft(text="  \n "), "the message is empty"),
        (Draft(text="x" * (broadcasts.MAX_TEXT_CHARS + 1)), "at most 3500 fit"),
        (_draft(choices=tuple(f"option {n}" for n in range(6))), "at most 5 choices"),
        (_draft(choices=("x" * 41,)), "at most 40 characters"),
        (_draft(choices=("Attend", "attend ")), "two choices are the same"),
        (_draft(send_at=NOW - timedelta(minutes=6)), "has passed"),
        (_draft(send_at=NOW.replace(tzinfo=None)), "with its UTC offset"),
        (_draft(send_at=NOW + timedelta(days=367)), "at most a year ahead"),
    ],
)
def test_a_draft_that_cannot_go_is_refused_saying_why(draft: Draft, refusal: str) -> None:
    with pytest.raises(BroadcastError, match=refusal):
        draft.checked(NOW)


def test_a_checked_draft_is_tidied_and_due_now_unless_timed() -> None:
    checked = Draft(
        text="  Hello \n", tags=("b", "a", "b"), choices=(" Yes ", "", "No"), names_to_staff=True
    ).checked(NOW)

    assert (checked.text, checked.tags, checked.choices) == ("Hello", ("a", "b"), ("Yes", "No"))
    assert (checked.send_at, checked.names_to_staff) == (NOW, True)
    a_moment_ago = NOW - timedelta(minutes=4)
    assert _draft(send_at=a_moment_ago).checked(NOW).send_at == a_moment_ago
    assert not _draft(names_to_staff=True).checked(NOW).names_to_staff  # no choices, no names


def test_a_time_given_in_another_offset_is_kept_and_shown_in_utc() -> None:
    in_delhi = datetime(2026, 11, 24, 20, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))

    send_at = _draft(send_at=in_delhi).checked(NOW).send_at

    assert send_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert send_at is not None and send_at.utcoffset() == timedelta(0)


# What the senders are told


async def test_claiming_sends_the_message_with_its_footer_to_each_due_recipient(
    unit, roster
) -> None:
    await roster("Alice", ("telegram", "1"))
    await roster("Bob", ("slack", "U2"))
    broadcast = await _schedule(unit, _draft(choices=("Attend", "Not this time")))

    [sendable] = await _claim_due(unit)

    assert sendable.delivery.recipient_id == "1"
    assert sendable.message.broadcast_id == broadcast
    assert sendable.message.choices == ("Attend", "Not this time")
    assert sendable.message.text.startswith("The open space event is on 7 December.\n\n— ")
    assert "To mute these, send /settings." in sendable.message.text
    assert "not who" in sendable.message.text
    assert await _claim_due(unit) == []  # held by its lease


async def test_a_mute_set_after_creation_excludes_the_member_at_claim_time(unit, roster) -> None:
    alice = await roster("Alice", ("telegram", "1"))
    await roster("Bob", ("telegram", "2"))
    broadcast = await _schedule(unit, _draft())
    await _save_settings(unit, alice, muted=frozenset({"news"}))

    sendable = await _claim_due(unit)

    assert [s.delivery.recipient_id for s in sendable] == ["2"]
    counts = (await unit(lambda r: broadcasts.status(r, broadcast))).counts
    assert counts[DeliveryStatus.EXCLUDED] == 1 and counts[DeliveryStatus.PENDING] == 1


async def test_quiet_hours_begun_since_creation_hold_the_row_until_they_end(unit, roster) -> None:
    await roster("Alice", ("telegram", "1"))
    evening = datetime(2026, 11, 24, 19, 59, tzinfo=UTC)
    await _schedule(unit, _draft(), now=evening)

    assert await _claim_due(unit, now=evening + timedelta(minutes=2)) == []  # 20:01 in London

    morning = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert await _claim_due(unit, now=morning - timedelta(seconds=1)) == []
    assert len(await _claim_due(unit, now=morning)) == 1


async def test_a_cancelled_broadcast_sends_nothing_more(unit, roster) -> None:
    await roster("Alice", ("telegram", "1"))
    await roster("Bob", ("telegram", "2"))
    broadcast = await _schedule(unit, _draft())

    assert await unit(lambda r: broadcasts.cancel(r, broadcast, NOW, OPERATOR)) == 2

    assert await _claim_due(unit) == []
    report = await unit(lambda r: broadcasts.status(r, broadcast))
    assert (report.state, report.counts[DeliveryStatus.CANCELLED]) == ("cancelled", 2)
    with pytest.raises(BroadcastError, match="cancelled already"):
        await unit(lambda r: broadcasts.cancel(r, broadcast, NOW, OPERATOR))
    with pytest.raises(BroadcastError, match="was cancelled"):
        await unit(lambda r: broadcasts.resend_failed(r, broadcast, NOW, OPERATOR))


async def test_a_row_in_flight_when_cancelled_is_cancelled_if_its_sender_died(unit, roster) -> None:
    await roster("Alice", ("telegram", "1"))
    broadcast = await _schedule(unit, _draft())
    assert len(await _claim_due(unit)) == 1  # then the sender is killed

    assert await unit(lambda r: broadcasts.cancel(r, broadcast, NOW, OPERATOR)) == 0
    assert await _claim_due(unit, now=NOW + LEASE) == []

    counts = (await unit(lambda r: broadcasts.status(r, broadcast))).counts
    assert (counts[DeliveryStatus.PENDING], counts[DeliveryStatus.CANCELLED]) == (0, 1)


def _claimed(attempts: int) -> ClaimedDelivery:
    return ClaimedDelivery(7, 1, 1, "telegram", "1", attempts)


@pytest.mark.parametrize("attempts", range(MAX_ATTEMPTS - 1))
def test_a_transient_failure_is_retried_later_and_later(attempts: int) -> None:
    outcome = broadcasts.failed_attempt(_claimed(attempts), "timed out", NOW)

    assert outcome.status is DeliveryStatus.PENDING and outcome.failed_attempt
    assert outcome.due_at == NOW + retry_delay(attempts + 1)
    assert retry_delay(attempts + 2) > retry_delay(attempts + 1)


def test_the_fifth_failure_is_the_last() -> None:
    outcome = broadcasts.failed_attempt(_claimed(MAX_ATTEMPTS - 1), "timed out", NOW)

    assert outcome.status is DeliveryStatus.FAILED and outcome.due_at is None
    assert outcome.reason == "gave up after 5 attempts: timed out"


async def test_failed_attempts_end_failed_after_five_and_resending_starts_again(
    unit, roster
) -> None:
    await roster("Alice", ("telegram", "1"))
    broadcast = await _schedule(unit, _draft())
    now = NOW
    for _ in range(MAX_ATTEMPTS):
        [sendable] = await _claim_due(unit, now=now)
        await _settle(unit, broadcasts.failed_attempt(sendable.delivery, "timed out", now))
        now += retry_delay(MAX_ATTEMPTS)
    assert await _claim_due(unit, now=now) == []
    report = await unit(lambda r: broadcasts.status(r, broadcast))
    assert report.counts[DeliveryStatus.FAILED] == 1
    assert [p.reason for p in report.problems] == ["gave up after 5 attempts: timed out"]

    assert await unit(lambda r: broadcasts.resend_failed(r, broadcast, now, OPERATOR)) == 1

    [again] = await _claim_due(unit, now=now)
    assert again.delivery.attempts == 0


# What staff see, and what recipients answer


async def test_the_status_json_has_exactly_the_promised_keys(unit, roster) -> None:
    await roster("Alice", ("telegram", "1"))
    broadcast = await _schedule(unit, _draft(choices=("Attend", "Not this time")))

    report = json.loads(
        json.dumps((await unit(lambda r: broadcasts.status(r, broadcast))).as_json())
    )

    assert report == {
        "recipients": 1,
        "pending": 1,
        "sent": 0,
        "failed": 0,
        "excluded": 0,
        "choices": {"Attend": 0, "Not this time": 0},
    }


async def _sent_to_everyone(unit, draft: Draft) -> int:
    broadcast = await _schedule(unit, draft)
    await _settle(unit, *(broadcasts.sent(s.delivery) for s in await _claim_due(unit)))
    return broadcast


@pytest.mark.parametrize("names_to_staff", [True, False])
async def test_staff_see_counts_and_names_only_when_the_broadcast_said_so(
    unit, roster, names_to_staff: bool
) -> None:
    alice = await roster("Alice", ("telegram", "1"))
    bob = await roster("Bob", ("telegram", "2"))
    draft = _draft(choices=("Attend", "Not this time"), names_to_staff=names_to_staff)
    broadcast = await _sent_to_everyone(unit, draft)

    for member, choice in [(alice, 1), (bob, 0), (alice, 0)]:  # Alice changes her mind
        await unit(lambda r, m=member, c=choice: broadcasts.answer(r, broadcast, m, c, NOW))

    report = await unit(lambda r: broadcasts.status(r, broadcast))
    assert report.choices == {"Attend": 2, "Not this time": 0}
    expected = {"Attend": ["Alice", "Bob"], "Not this time": []} if names_to_staff else None
    assert report.names == expected


async def test_only_a_recipient_may_answer_and_only_with_one_of_the_choices(unit, roster) -> None:
    alice = await roster("Alice", ("telegram", "1"), tags=("london",))
    bob = await roster("Bob", ("telegram", "2"))
    broadcast = await _sent_to_everyone(unit, _draft(tags=("london",), choices=("Attend",)))

    with pytest.raises(BroadcastError, match="no longer open for answers"):
        await unit(lambda r: broadcasts.answer(r, broadcast, bob, 0, NOW))
    with pytest.raises(BroadcastError, match="not one of the choices"):
        await unit(lambda r: broadcasts.answer(r, broadcast, alice, 1, NOW))
    with pytest.raises(BroadcastError, match="not one of the choices"):
        await unit(lambda r: broadcasts.answer(r, broadcast, alice, -1, NOW))

    _, label = await unit(lambda r: broadcasts.answer(r, broadcast, alice, 0, NOW))
    assert label == "Attend"
    assert (await unit(lambda r: broadcasts.status(r, broadcast))).choices == {"Attend": 1}


async def test_an_unknown_broadcast_is_named_in_the_refusal(unit) -> None:
    with pytest.raises(BroadcastError, match="no broadcast with id 9"):
        await unit(lambda r: broadcasts.status(r, 9))
