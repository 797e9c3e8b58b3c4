"""Repositories keep their promises on both databases, also with two workers at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.messages import Role
from storage.conversations import ConversationKey, StoredState
from storage.database import Database
from storage.faq import Outcome
from storage.invites import RedeemFailure
from storage.migrate import upgrade_database
from storage.repositories import Repositories

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
async def workers(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one database, as two `cedp-bot serve` processes would have."""
    first, second = Database(database_url), Database(database_url)
    await upgrade_database(first.engine)
    yield first, second
    await first.dispose()
    await second.dispose()


async def _in(database: Database, work):
    async with database.transaction() as session:
        return await work(Repositories.bound_to(session))


async def test_rate_limit_counts_every_hit_from_both_workers(workers) -> None:
    async def hit(database: Database) -> int:
        return await _in(
            database, lambda r: r.throttle.count_hit("telegram:1", NOW, timedelta(minutes=1))
        )

    counts = await asyncio.gather(*(hit(workers[i % 2]) for i in range(30)))
    assert sorted(counts) == list(range(1, 31))


async def test_rate_limit_window_starts_again_after_it_ends(workers) -> None:
    database = workers[0]
    window = timedelta(minutes=1)
    for _ in range(3):
        await _in(database, lambda r: r.throttle.count_hit("k", NOW, window))
    later = NOW + window
    assert await _in(database, lambda r: r.throttle.count_hit("k", later, window)) == 1


async def test_a_delivery_is_first_only_once_across_workers(workers) -> None:
    results = await asyncio.gather(
        *(
            _in(workers[i % 2], lambda r: r.throttle.first_delivery("slack", "Ev1", NOW))
            for i in range(10)
        ),
        return_exceptions=True,
    )
    firsts = [result for result in results if result is True]
    assert len(firsts) == 1
    assert all(result in (True, False) for result in results)


async def test_invite_uses_are_never_oversold_across_workers(workers) -> None:
    invite = await _in(
        workers[0],
        lambda r: r.invites.create(role=Role.MEMBER, tags=[], max_uses=3, expires_at=None, now=NOW),
    )
    results = await asyncio.gather(
        *(_in(workers[i % 2], lambda r: r.invites.redeem(invite.code, NOW)) for i in range(10))
    )
    assert sum(not isinstance(result, RedeemFailure) for result in results) == 3
    assert results.count(RedeemFailure.USED_UP) == 7


async def test_conversation_state_round_trips_and_expires(workers) -> None:
    database = workers[0]
    key = ConversationKey("test", "chat", "alice")
    state = StoredState("join", "code", {"attempts": 2, "note": "ünïcode"})
    await _in(database, lambda r: r.conversations.save(key, state, NOW + timedelta(minutes=5)))
    assert await _in(workers[1], lambda r: r.conversations.load(key, NOW)) == state
    expired = NOW + timedelta(minutes=5)
    assert await _in(database, lambda r: r.conversations.load(key, expired)) is None
    assert await _in(database, lambda r: r.conversations.load(key, NOW)) is None  # deleted


async def test_removing_a_member_removes_their_identities_and_tags(workers) -> None:
    database = workers[0]
    member = await _in(
        database,
        lambda r: r.members.create(
            display_name="Pat",
            role=Role.MEMBER,
            tags=["a", "b"],
            now=NOW,
            identity=("telegram", "42"),
        ),
    )
    assert await _in(database, lambda r: r.members.remove(member.id))
    assert await _in(database, lambda r: r.members.find_by_identity("telegram", "42")) is None
    rejoined = await _in(
        database,
        lambda r: r.members.create(
            display_name="Pat", role=Role.MEMBER, tags=[], now=NOW, identity=("telegram", "42")
        ),
    )
    assert rejoined.id != member.id


async def test_one_platform_account_cannot_belong_to_two_members(workers) -> None:
    database = workers[0]

    def create(r: Repositories):
        return r.members.create(
            display_name="X", role=Role.MEMBER, tags=[], now=NOW, identity=("slack", "U1")
        )

    await _in(database, create)
    with pytest.raises(Exception, match=r"(?i)unique"):
        await _in(database, create)


async def test_tags_can_be_added_removed_and_filtered(workers) -> None:
    database = workers[0]
    member = await _in(
        database,
        lambda r: r.members.create(display_name="Q", role=Role.COACH, tags=["x"], now=NOW),
    )

    async def retag(r: Repositories) -> None:
        loaded = await r.members.get(member.id)
        await r.members.change_tags(loaded, add=["y", "z"], remove=["x"])

    await _in(database, retag)
    tagged = await _in(database, lambda r: r.members.list(tag="y"))
    assert [[t.tag for t in m.tags] for m in tagged] == [["y", "z"]]
    assert await _in(database, lambda r: r.members.list(role=Role.STAFF)) == []


async def test_a_team_question_is_answered_once_however_many_staff_race(workers) -> None:
    row = await _in(
        workers[0],
        lambda r: r.team_questions.create(
            question="q", platform="test", recipient_id="alice", asker_name="A", now=NOW
        ),
    )
    results = await asyncio.gather(
        *(
            _in(workers[i % 2], lambda r, i=i: r.team_questions.answer(row.id, f"a{i}", NOW))
            for i in range(8)
        )
    )
    assert sum(result is not None for result in results) == 1


async def test_a_vote_counts_once_across_workers(workers) -> None:
    asked = await _in(workers[0], lambda r: r.faq.record("q", Outcome.ANSWERED, "e", NOW))
    results = await asyncio.gather(
        *(_in(workers[i % 2], lambda r: r.faq.vote(asked.id, helpful=False)) for i in range(6))
    )
    assert results.count(True) == 1


async def test_the_outbox_hands_over_each_message_once_in_order_then_forgets_it(workers) -> None:
    for text in ("first", "second"):
        await _in(workers[0], lambda r, text=text: r.outbox.enqueue("test", "bob", text, NOW))
    await _in(workers[0], lambda r: r.outbox.enqueue("test", "carol", "other", NOW))
    taken = await _in(workers[1], lambda r: r.outbox.take("test", "bob", NOW))
    assert [message.text for message in taken] == ["first", "second"]
    assert await _in(workers[0], lambda r: r.outbox.take("test", "bob", NOW)) == []
    assert [m.text for m in await _in(workers[0], lambda r: r.outbox.take("test", "carol", NOW))] == [
        "other"
    ]


async def test_the_report_counts_declines_case_insensitively_and_thumbs_down_by_entry(
    workers,
) -> None:
    database = workers[0]
    for question in ("Parking?", "parking? ", "Wifi"):
        await _in(database, lambda r, q=question: r.faq.record(q, Outcome.DECLINED, None, NOW))
    for _ in range(3):
        asked = await _in(database, lambda r: r.faq.record("join?", Outcome.ANSWERED, "j", NOW))
        await _in(database, lambda r, a=asked: r.faq.vote(a.id, helpful=False))
    missed = await _in(database, lambda r: r.faq.most_missed())
    assert [(m.count, m.entry_id) for m in missed] == [(3, "j"), (2, None), (1, None)]
