"""Each repository's purge deletes what passed its moment before the cut-off and nothing else:
open questions, open and accepted introductions, live states and deliveries still being
handled stay, whatever their age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from domain.intros import Answer, ConsentKind, Origin, Status
from domain.people import Role
from storage.broadcasts import (
    BroadcastAnswer,
    BroadcastDelivery,
    DeliveryStatus,
    NewDelivery,
)
from storage.broadcasts import (
    Outcome as Sent,
)
from storage.conversations import ConversationKey, StoredState
from storage.database import Database
from storage.faq import Outcome
from storage.intros import ConsentEntry, Introduction, IntroParty
from storage.models import Delivery, RateLimitWindow
from storage.repositories import Repositories
from storage.throttle import RATE_WINDOW
from tests.conftest import unit

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CUT = NOW - timedelta(days=90)
SECOND = timedelta(seconds=1)
LEASE = timedelta(seconds=30)


async def column(database: Database, stored: Any) -> list[Any]:
    """Every value of one column, as the table now holds it."""
    async with database.transaction() as session:
        return list(await session.scalars(select(stored)))


async def member(repos: Repositories, name: str) -> int:
    return (await repos.members.create(display_name=name, role=Role.MEMBER, tags=(), now=NOW)).id


async def test_answered_team_questions_go_from_the_answer_and_open_ones_stay(
    database: Database,
) -> None:
    async def ask(repos: Repositories, question: str, answered_at: datetime | None) -> int:
        row = await repos.team_questions.create(
            question=question,
            platform="test",
            recipient_id="alice",
            asker_name="Alice Jones",
            now=CUT - timedelta(days=400),
        )
        if answered_at is not None:
            await repos.team_questions.answer(row.id, "Yes.", answered_at)
        return row.id

    async def seed(repos: Repositories) -> dict[str, int]:
        return {
            "outside": await ask(repos, "Old and answered?", CUT - SECOND),
            "inside": await ask(repos, "Answered at the cut?", CUT),
            "open": await ask(repos, "Never answered?", None),
        }

    ids = await unit(database, seed)

    assert await unit(database, lambda repos: repos.team_questions.purge_answered(CUT)) == 1
    open_ids = [row.id for row in await unit(database, lambda repos: repos.team_questions.open())]
    assert open_ids == [ids["open"]]
    assert await unit(database, lambda repos: repos.team_questions.get(ids["inside"])) is not None
    assert await unit(database, lambda repos: repos.team_questions.get(ids["outside"])) is None


async def test_introductions_that_did_not_happen_go_after_their_lapse_and_others_stay(
    database: Database,
) -> None:
    async def seed(repos: Repositories) -> dict[str, int]:
        ann, bob = await member(repos, "Ann Lee"), await member(repos, "Bob Hart")

        async def introduction(status: Status, expires_at: datetime) -> int:
            made = await repos.intros.add(
                Introduction(
                    origin=Origin.REQUEST,
                    status=status,
                    note="Would love to talk about finance",
                    created_at=expires_at - timedelta(days=7),
                    expires_at=expires_at,
                ),
                [
                    IntroParty(member_id=ann, asked=True, answer=Answer.ACCEPTED),
                    IntroParty(member_id=bob, answer=Answer.PENDING),
                ],
            )
            await repos.intros.record(ann, ConsentKind.REQUESTED, NOW, introduction_id=made.id)
            return made.id

        old = CUT - SECOND
        return {
            "expired": await introduction(Status.EXPIRED, old),
            "declined": await introduction(Status.DECLINED, old),
            "withdrawn": await introduction(Status.WITHDRAWN, old),
            "expired at the cut": await introduction(Status.EXPIRED, CUT),
            "accepted": await introduction(Status.ACCEPTED, old),
            "open": await introduction(Status.OPEN, old),
        }

    ids = await unit(database, seed)

    assert await unit(database, lambda repos: repos.intros.purge_closed(CUT)) == 3

    kept = {ids["expired at the cut"], ids["accepted"], ids["open"]}
    assert set(await column(database, Introduction.id)) == kept
    # Their parties went with them; the consent record stays whole, unlinked from what went.
    assert sorted(await column(database, IntroParty.introduction_id)) == sorted([*kept, *kept])
    links = await column(database, ConsentEntry.introduction_id)
    assert len(links) == 6 and links.count(None) == 3 and set(links) - {None} == kept


async def test_conversation_states_go_once_expired_before_the_cut(database: Database) -> None:
    cut = NOW - timedelta(hours=24)

    async def seed(repos: Repositories) -> None:
        for person, expires_at in (("old", cut - SECOND), ("at-cut", cut), ("live", NOW)):
            key = ConversationKey("test", person, person)
            await repos.conversations.save(key, StoredState("book", "slot", {}), expires_at)

    await unit(database, seed)

    assert await unit(database, lambda repos: repos.conversations.purge_expired(cut)) == 1
    assert await unit(database, lambda repos: repos.conversations.purge_expired(cut)) == 0


async def test_delivery_ids_go_after_the_cut_but_never_while_being_handled(
    database: Database,
) -> None:
    cut = NOW - timedelta(hours=48)
    old = cut - SECOND

    async def seed(repos: Repositories) -> None:
        inbox = repos.inbox
        stored = ["done", "done at the cut", "unhandled", "replies unsent"]
        await inbox.store(
            "telegram", [(name, "{}", "p") for name in stored], old, worker="w1", lease=LEASE
        )
        for name, at in (("done", old), ("done at the cut", cut), ("replies unsent", old)):
            assert await repos.throttle.first_delivery("telegram", name, at)
        await inbox.hold_replies(
            "telegram", "replies unsent", [{"text": "hi"}], reply_to="c", reply_person="p"
        )
        await inbox.finish("telegram", ["done"], old)
        await inbox.finish("telegram", ["done at the cut"], cut)

    await unit(database, seed)

    assert await unit(database, lambda repos: repos.inbox.purge_done(cut)) == 1
    assert set(await column(database, Delivery.event_id)) == {
        "done at the cut",
        "unhandled",
        "replies unsent",
    }
    stale = await unit(
        database,
        lambda repos: repos.inbox.claim_stale("telegram", NOW, worker="w2", lease=LEASE),
    )
    assert {delivery.event_id for delivery in stale} == {"unhandled", "replies unsent"}


async def test_a_handled_delivery_stays_while_a_platform_may_redeliver_it(
    database: Database,
) -> None:
    handled_at = NOW - timedelta(hours=47)
    await unit(database, lambda repos: repos.throttle.first_delivery("slack", "Ev1", handled_at))

    assert (
        await unit(database, lambda repos: repos.inbox.purge_done(NOW - timedelta(hours=48))) == 0
    )
    again = await unit(database, lambda repos: repos.throttle.first_delivery("slack", "Ev1", NOW))
    assert not again  # still refused as a redelivery


async def test_logged_questions_go_after_the_cut(database: Database) -> None:
    async def seed(repos: Repositories) -> None:
        for question, at in (("old", CUT - SECOND), ("at the cut", CUT), ("new", NOW)):
            await repos.faq.record(question, Outcome.DECLINED, None, at)

    await unit(database, seed)

    assert await unit(database, lambda repos: repos.faq.purge_asked(CUT)) == 1
    missed = await unit(database, lambda repos: repos.faq.most_missed())
    assert sorted(item.question for item in missed) == ["at the cut", "new"]


async def test_candidate_phrasings_go_by_the_day_they_were_kept(database: Database) -> None:
    async def seed(repos: Repositories) -> None:
        for question, on in (("old", CUT.date() - timedelta(days=1)), ("that day", CUT.date())):
            await repos.candidates.add("fees", question, "digest", on)

    await unit(database, seed)

    assert await unit(database, lambda repos: repos.candidates.purge_created(CUT)) == 1
    waiting = await unit(database, lambda repos: repos.candidates.waiting())
    assert [row.question for row in waiting] == ["that day"]


async def test_link_codes_go_once_expired(database: Database) -> None:
    async def seed(repos: Repositories) -> tuple[int, str]:
        bob = await member(repos, "Bob Hart")
        live = await repos.link_codes.create(bob, NOW, timedelta(minutes=15))
        # Made earlier (creating a code clears the expired ones, so this one comes second).
        await repos.link_codes.create(await member(repos, "Ann Lee"), NOW - LEASE * 2, LEASE)
        return bob, live

    bob, live = await unit(database, seed)

    assert await unit(database, lambda repos: repos.link_codes.purge_expired(NOW)) == 1
    assert await unit(database, lambda repos: repos.link_codes.redeem(live, NOW)) == bob


async def test_rate_limit_windows_go_once_over(database: Database) -> None:
    async def seed(repos: Repositories) -> None:
        await repos.throttle.count_hit("test:old", NOW - RATE_WINDOW - SECOND, RATE_WINDOW)
        await repos.throttle.count_hit("test:current", NOW - SECOND, RATE_WINDOW)

    await unit(database, seed)

    assert await unit(database, lambda repos: repos.throttle.purge_windows(NOW - RATE_WINDOW)) == 1
    assert await column(database, RateLimitWindow.key) == ["test:current"]


async def test_broadcast_recipients_and_answers_go_once_the_broadcast_is_old_but_pending_rows_stay(
    database: Database,
) -> None:
    async def broadcast(repos: Repositories, send_at: datetime, people: list[int]) -> list[int]:
        made = await repos.broadcasts.create(
            text="The March residential is confirmed.",
            category="events",
            tags=(),
            platform=None,
            choices=("Coming", "Not coming"),
            names_to_staff=False,
            send_at=send_at,
            now=send_at,
            deliveries=[NewDelivery(person, "test", f"p{person}", send_at) for person in people],
        )
        claimed = await repos.broadcasts.claim("test", send_at, lease=LEASE, limit=10)
        sent = [row for row in claimed if row.member_id == people[0]]
        await repos.broadcasts.record([Sent(row.id, DeliveryStatus.SENT) for row in sent], send_at)
        await repos.broadcasts.answer(made.id, people[0], 0, send_at)
        return [row.id for row in claimed if row not in sent]  # held back: still pending

    async def seed(repos: Repositories) -> list[int]:
        ann, bob = await member(repos, "Ann Lee"), await member(repos, "Bob Hart")
        pending = await broadcast(repos, CUT - SECOND, [ann, bob])
        await broadcast(repos, CUT, [ann])
        return pending

    pending = await unit(database, seed)

    assert await unit(database, lambda repos: repos.broadcasts.purge_sent(CUT)) == 2
    assert len(await column(database, BroadcastAnswer.member_id)) == 1
    statuses = await column(database, BroadcastDelivery.status)
    assert sorted(statuses) == [DeliveryStatus.PENDING, DeliveryStatus.SENT]
    assert set(pending) <= set(await column(database, BroadcastDelivery.id))
