"""Repositories keep their promises on both databases, also with two workers at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.people import MemberRef, Role
from storage.arrivals import Arrival
from storage.conversations import ConversationKey, StoredState
from storage.database import Database
from storage.faq import Outcome
from storage.invites import RedeemFailure
from storage.repositories import Repositories
from storage.throttle import Admission
from tests.conftest import unit

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def test_rate_limit_counts_every_hit_from_both_workers(workers) -> None:
    async def hit(database: Database) -> int:
        return await unit(
            database, lambda r: r.throttle.count_hit("telegram:1", NOW, timedelta(minutes=1))
        )

    counts = await asyncio.gather(*(hit(workers[i % 2]) for i in range(30)))
    assert sorted(counts) == list(range(1, 31))


async def test_rate_limit_window_starts_again_after_it_ends(workers) -> None:
    database = workers[0]
    window = timedelta(minutes=1)
    for _ in range(3):
        await unit(database, lambda r: r.throttle.count_hit("k", NOW, window))
    later = NOW + window
    assert await unit(database, lambda r: r.throttle.count_hit("k", later, window)) == 1


async def test_admitting_counts_a_delivery_once_and_a_redelivery_not_at_all(workers) -> None:
    window = timedelta(minutes=1)

    def admit(event_id: str | None):
        return lambda r: r.throttle.admit("slack", event_id, "slack:U1", NOW, window)

    admissions = await asyncio.gather(*(unit(workers[i % 2], admit("Ev1")) for i in range(8)))
    assert sorted(a.first_delivery for a in admissions) == [False] * 7 + [True]
    assert [a.count for a in admissions if a.first_delivery] == [1]

    assert await unit(workers[0], admit("Ev2")) == Admission(True, 2)
    assert await unit(workers[1], admit(None)) == Admission(True, 3)  # no id: counted, not kept
    assert await unit(workers[1], admit("Ev1")) == Admission(False, 0)


async def test_admitting_distinct_deliveries_at_once_counts_each_of_them(workers) -> None:
    admissions = await asyncio.gather(
        *(
            unit(
                workers[i % 2],
                lambda r, i=i: r.throttle.admit(
                    "telegram", f"u{i}", "telegram:7", NOW, timedelta(minutes=1)
                ),
            )
            for i in range(12)
        )
    )
    assert all(a.first_delivery for a in admissions)
    assert sorted(a.count for a in admissions) == list(range(1, 13))


async def test_a_delivery_is_first_only_once_across_workers(workers) -> None:
    results = await asyncio.gather(
        *(
            unit(workers[i % 2], lambda r: r.throttle.first_delivery("slack", "Ev1", NOW))
            for i in range(10)
        ),
        return_exceptions=True,
    )
    firsts = [result for result in results if result is True]
    assert len(firsts) == 1
    assert all(result in (True, False) for result in results)


async def test_invite_uses_are_never_oversold_across_workers(workers) -> None:
    invite = await unit(
        workers[0],
        lambda r: r.invites.create(role=Role.MEMBER, tags=[], max_uses=3, expires_at=None, now=NOW),
    )
    results = await asyncio.gather(
        *(unit(workers[i % 2], lambda r: r.invites.redeem(invite.code, NOW)) for i in range(10))
    )
    assert sum(not isinstance(result, RedeemFailure) for result in results) == 3
    assert results.count(RedeemFailure.USED_UP) == 7


async def test_conversation_state_round_trips_and_expires(workers) -> None:
    database = workers[0]
    key = ConversationKey("test", "chat", "alice")
    state = StoredState("join", "code", {"attempts": 2, "note": "ünïcode"})
    await unit(database, lambda r: r.conversations.save(key, state, NOW + timedelta(minutes=5)))
    assert (await unit(workers[1], lambda r: r.arrivals.look_up(key, NOW))).state == state
    expired = NOW + timedelta(minutes=5)
    assert (await unit(database, lambda r: r.arrivals.look_up(key, expired))).state is None
    assert (await unit(database, lambda r: r.arrivals.look_up(key, NOW))).state is None  # deleted


async def test_removing_a_member_removes_their_identities_and_tags(workers) -> None:
    database = workers[0]
    member = await _member_with_identity(database, "telegram", "42", tags=("a", "b"))
    assert await unit(database, lambda r: r.members.remove(member.id))
    assert await unit(database, lambda r: r.members.find_by_identity("telegram", "42")) is None
    rejoined = await unit(
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

    await unit(database, create)
    with pytest.raises(Exception, match=r"(?i)unique"):
        await unit(database, create)


async def test_tags_can_be_added_removed_and_filtered(workers) -> None:
    database = workers[0]
    member = await unit(
        database,
        lambda r: r.members.create(display_name="Q", role=Role.COACH, tags=["x"], now=NOW),
    )

    async def retag(r: Repositories) -> None:
        loaded = await r.members.get(member.id)
        await r.members.change_tags(loaded, add=["y", "z"], remove=["x"])

    await unit(database, retag)
    tagged = await unit(database, lambda r: r.members.list(tag="y"))
    assert [[t.tag for t in m.tags] for m in tagged] == [["y", "z"]]
    assert await unit(database, lambda r: r.members.list(role=Role.STAFF)) == []


async def test_a_team_question_is_answered_once_however_many_staff_race(workers) -> None:
    row = await unit(
        workers[0],
        lambda r: r.team_questions.create(
            question="q", platform="test", recipient_id="alice", asker_name="A", now=NOW
        ),
    )
    results = await asyncio.gather(
        *(
            unit(workers[i % 2], lambda r, i=i: r.team_questions.answer(row.id, f"a{i}", NOW))
            for i in range(8)
        )
    )
    assert sum(result is not None for result in results) == 1


async def test_a_vote_counts_once_across_workers(workers) -> None:
    asked_id = await unit(workers[0], lambda r: r.faq.record("q", Outcome.ANSWERED, "e", NOW))
    results = await asyncio.gather(
        *(unit(workers[i % 2], lambda r: r.faq.vote(asked_id, helpful=False)) for i in range(6))
    )
    assert results.count(True) == 1


async def test_the_outbox_hands_over_each_message_once_in_order_then_forgets_it(workers) -> None:
    for text in ("first", "second"):
        await unit(workers[0], lambda r, text=text: r.outbox.enqueue("test", "bob", text, NOW))
    await unit(workers[0], lambda r: r.outbox.enqueue("test", "carol", "other", NOW))
    taken = await unit(workers[1], lambda r: r.outbox.take("test", "bob", NOW))
    assert [message.text for message in taken] == ["first", "second"]
    assert await unit(workers[0], lambda r: r.outbox.take("test", "bob", NOW)) == []
    assert [
        m.text for m in await unit(workers[0], lambda r: r.outbox.take("test", "carol", NOW))
    ] == ["other"]


async def test_the_report_counts_declines_case_insensitively_and_thumbs_down_by_entry(
    workers,
) -> None:
    database = workers[0]
    for question in ("Parking?", "parking? ", "Wifi"):
        await unit(database, lambda r, q=question: r.faq.record(q, Outcome.DECLINED, None, NOW))
    for _ in range(3):
        asked_id = await unit(database, lambda r: r.faq.record("join?", Outcome.ANSWERED, "j", NOW))
        await unit(database, lambda r, a=asked_id: r.faq.vote(a, helpful=False))
    missed = await unit(database, lambda r: r.faq.most_missed())
    assert [(m.count, m.entry_id) for m in missed] == [(3, "j"), (2, None), (1, None)]


LEASE = timedelta(minutes=2)


async def test_the_outbox_hands_each_message_to_only_one_of_two_racing_claimers(workers) -> None:
    for n in range(40):
        await unit(workers[0], lambda r, n=n: r.outbox.enqueue("test", f"p{n % 4}", f"m{n}", NOW))

    batches = await asyncio.gather(
        *(
            unit(workers[i % 2], lambda r: r.outbox.claim("test", NOW, lease=LEASE, limit=5))
            for i in range(12)
        )
    )
    leftovers = await unit(workers[0], lambda r: r.outbox.claim("test", NOW, lease=LEASE))

    claimed = [message.text for batch in (*batches, leftovers) for message in batch]
    assert sorted(claimed) == sorted(f"m{n}" for n in range(40))  # every message, once


async def test_a_claim_hands_out_the_oldest_messages_first_up_to_its_limit(workers) -> None:
    for n in range(5):
        await unit(workers[0], lambda r, n=n: r.outbox.enqueue("test", "bob", f"m{n}", NOW))

    first = await unit(workers[0], lambda r: r.outbox.claim("test", NOW, lease=LEASE, limit=3))
    rest = await unit(workers[1], lambda r: r.outbox.claim("test", NOW, lease=LEASE, limit=3))

    assert [m.text for m in first] == ["m0", "m1", "m2"]
    assert [m.text for m in rest] == ["m3", "m4"]


async def test_a_claimed_message_is_skipped_until_its_lease_runs_out(workers) -> None:
    await unit(workers[0], lambda r: r.outbox.enqueue("test", "bob", "hello", NOW))
    await unit(workers[0], lambda r: r.outbox.claim("test", NOW, lease=LEASE))

    almost = NOW + LEASE - timedelta(seconds=1)
    assert await unit(workers[1], lambda r: r.outbox.claim("test", almost, lease=LEASE)) == []

    expired = NOW + LEASE
    again = await unit(workers[1], lambda r: r.outbox.claim("test", expired, lease=LEASE))
    assert [m.text for m in again] == ["hello"]


async def test_completed_messages_leave_the_outbox_for_good(workers) -> None:
    for text in ("a", "b", "c"):
        await unit(workers[0], lambda r, text=text: r.outbox.enqueue("test", "bob", text, NOW))
    claimed = await unit(workers[0], lambda r: r.outbox.claim("test", NOW, lease=LEASE))

    await unit(workers[1], lambda r: r.outbox.complete([m.id for m in claimed if m.text != "b"]))

    much_later = NOW + timedelta(days=1)
    remaining = await unit(workers[0], lambda r: r.outbox.claim("test", much_later, lease=LEASE))
    assert [m.text for m in remaining] == ["b"]


async def _member_with_identity(
    database: Database,
    platform: str,
    external_id: str,
    *,
    name: str = "Pat",
    role: Role = Role.MEMBER,
    tags: tuple[str, ...] = (),
):
    return await unit(
        database,
        lambda r: r.members.create(
            display_name=name,
            role=role,
            tags=list(tags),
            now=NOW,
            identity=(platform, external_id),
        ),
    )


async def _open_connections(workers, count: int) -> None:
    """Fill both pools with open connections, with a harmless read."""
    await asyncio.gather(*(unit(workers[i % 2], lambda r: r.members.get(0)) for i in range(count)))


async def test_a_link_code_admits_exactly_one_of_many_racing_redeemers(workers) -> None:
    member = await _member_with_identity(workers[0], "telegram", "42")
    code = await unit(workers[0], lambda r: r.link_codes.create(member.id, NOW, LEASE))
    await _open_connections(workers, 10)  # so the redeemers really race, not queue to connect

    results = await asyncio.gather(
        *(unit(workers[i % 2], lambda r: r.link_codes.redeem(code, NOW)) for i in range(10))
    )

    assert results.count(member.id) == 1
    assert results.count(None) == 9


async def test_a_link_code_may_be_typed_in_lower_case_with_a_dash(workers) -> None:
    member = await _member_with_identity(workers[0], "telegram", "42")
    code = await unit(workers[0], lambda r: r.link_codes.create(member.id, NOW, LEASE))
    typed = f"{code[:4]}-{code[4:]}".lower()

    assert await unit(workers[1], lambda r: r.link_codes.redeem(typed, NOW)) == member.id


async def test_an_expired_link_code_redeems_to_nothing(workers) -> None:
    member = await _member_with_identity(workers[0], "telegram", "42")
    code = await unit(workers[0], lambda r: r.link_codes.create(member.id, NOW, LEASE))

    assert await unit(workers[1], lambda r: r.link_codes.redeem(code, NOW + LEASE)) is None


async def test_a_new_link_code_replaces_the_members_earlier_one(workers) -> None:
    member = await _member_with_identity(workers[0], "telegram", "42")
    first = await unit(workers[0], lambda r: r.link_codes.create(member.id, NOW, LEASE))
    second = await unit(workers[0], lambda r: r.link_codes.create(member.id, NOW, LEASE))

    assert await unit(workers[1], lambda r: r.link_codes.redeem(first, NOW)) is None
    assert await unit(workers[1], lambda r: r.link_codes.redeem(second, NOW)) == member.id


def _chat(platform: str, person: str) -> ConversationKey:
    """The key of a person's private chat with the bot."""
    return ConversationKey(platform, person, person)


async def _unreachable_mark(database: Database, member_id: int):
    member = await unit(database, lambda r: r.members.get(member_id))
    [identity] = member.identities
    return identity.unreachable_reason, identity.unreachable_since


async def test_arriving_gives_the_member_behind_an_account_with_role_and_tags(workers) -> None:
    member = await _member_with_identity(
        workers[0], "slack", "U7", name="Sam", role=Role.COACH, tags=("north-west", "new-ceo")
    )

    found = await unit(workers[1], lambda r: r.arrivals.look_up(_chat("slack", "U7"), NOW))

    assert found == Arrival(
        MemberRef(
            id=member.id,
            display_name="Sam",
            role=Role.COACH,
            tags=frozenset({"north-west", "new-ceo"}),
        ),
        state=None,
    )
    for other in (_chat("slack", "U8"), _chat("telegram", "U7")):
        assert await unit(workers[1], lambda r, key=other: r.arrivals.look_up(key, NOW)) == Arrival(
            None, None
        )


async def test_arriving_gives_member_and_conversation_state_together(workers) -> None:
    await _member_with_identity(workers[0], "slack", "U1")
    key = _chat("slack", "U1")
    state = StoredState("book", "slot", {"coach": 3})
    await unit(workers[0], lambda r: r.conversations.save(key, state, NOW + timedelta(minutes=5)))
    await unit(
        workers[0],
        lambda r: r.conversations.save(_chat("slack", "U2"), state, NOW + timedelta(minutes=5)),
    )

    arrival = await unit(workers[1], lambda r: r.arrivals.look_up(key, NOW))
    elsewhere = await unit(
        workers[1], lambda r: r.arrivals.look_up(ConversationKey("slack", "C-team", "U1"), NOW)
    )

    assert arrival.member is not None and arrival.member.display_name == "Pat"
    assert arrival.state == state
    assert elsewhere.member == arrival.member and elsewhere.state is None


async def test_an_unreachable_mark_clears_when_the_person_is_in_contact_again(workers) -> None:
    member = await _member_with_identity(workers[0], "slack", "U1")
    await unit(workers[0], lambda r: r.members.mark_unreachable("slack", "U1", "blocked", NOW))
    assert await _unreachable_mark(workers[1], member.id) == ("blocked", NOW)

    found = (await unit(workers[1], lambda r: r.arrivals.look_up(_chat("slack", "U1"), NOW))).member

    assert found.id == member.id
    assert await _unreachable_mark(workers[0], member.id) == (None, None)


async def test_an_unreachable_mark_stays_when_an_account_is_only_looked_up(workers) -> None:
    member = await _member_with_identity(workers[0], "slack", "U1")
    await unit(workers[0], lambda r: r.members.mark_unreachable("slack", "U1", "blocked", NOW))

    found = await unit(workers[1], lambda r: r.members.find_by_identity("slack", "U1"))

    assert found.id == member.id
    assert await _unreachable_mark(workers[0], member.id) == ("blocked", NOW)


async def test_marking_one_account_unreachable_leaves_the_members_other_accounts_alone(
    workers,
) -> None:
    member = await _member_with_identity(workers[0], "slack", "U1")
    await unit(workers[0], lambda r: r.members.add_identity(member.id, "telegram", "42"))

    await unit(workers[0], lambda r: r.members.mark_unreachable("slack", "U1", "x" * 500, NOW))

    loaded = await unit(workers[1], lambda r: r.members.get(member.id))
    marks = {i.platform: i.unreachable_reason for i in loaded.identities}
    assert marks == {"slack": "x" * 200, "telegram": None}  # the reason is cut to fit its column
