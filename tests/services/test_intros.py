"""Introductions' rules on both databases: what a directory entry stores, who a search finds,
the request limits, what each side sees of a "no", when contact details are shared, matching
rounds, the counts staff see and each member's consent record."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from domain.intros import Answer, ConsentKind, ContactKind, Status
from domain.people import OPERATOR, Role
from services import intros
from services.intros import (
    MAX_REQUESTS_PER_WEEK,
    MAX_WAITING_REQUESTS,
    REMIND,
    REQUEST_LIFETIME,
    ROUND,
    IntrosError,
    ProfileDraft,
    RoundPlan,
    Search,
    Seen,
)
from storage.intros import Introduction
from storage.repositories import Repositories
from tests.services.conftest import NOW, Unit

LAPSED = NOW + REQUEST_LIFETIME + timedelta(minutes=1)  # every request made at NOW has lapsed
EMAIL_AND_PHONE = frozenset({ContactKind.EMAIL, ContactKind.PHONE})


def draft(name: str, **changes: object) -> ProfileDraft:
    """An entry with its own email and phone, both shared unless `changes` say otherwise."""
    first, last = name.split()[0], name.split()[-1]
    base = ProfileDraft(
        name=name,
        organisation=f"{last} NHS Foundation Trust",
        region="London",
        in_post_since=date(2020, 4, 1),
        interests=("finance",),
        talk_about="board development",
        shares=EMAIL_AND_PHONE,
        email=f"{first.lower()}@{last.lower()}.nhs.uk",
        phone=f"07700 900{sum(map(ord, name)) % 1000:03d}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def _members(unit: Unit, *names: str, tags: Sequence[str] = ()) -> list[int]:
    async def add(repos: Repositories) -> list[int]:
        return [
            (await repos.members.create(display_name=n, role=Role.MEMBER, tags=tags, now=NOW)).id
            for n in names
        ]

    return await unit(add)


async def _join(unit: Unit, *names: str, tags: Sequence[str] = (), **changes: object) -> list[int]:
    """New members who joined the directory, each with the entry `draft` gives them."""
    ids = await _members(unit, *names, tags=tags)
    for member_id, name in zip(ids, names, strict=True):
        await unit(
            lambda r, m=member_id, n=name: intros.save_profile(r, m, draft(n, **changes), NOW)
        )
    return ids


def _ask(
    unit: Unit, a: int, b: int, now: datetime = NOW, note: str = ""
) -> Awaitable[Introduction]:
    return unit(lambda r: intros.request(r, a, b, note, now))


def _answer(
    unit: Unit, who: int, introduction: Introduction, accept: bool, now: datetime = NOW, **kw: bool
) -> Awaitable[intros.Answered]:
    return unit(lambda r: intros.answer(r, who, introduction.id, accept, now, **kw))


async def _seen(unit: Unit, who: int, introduction: Introduction, now: datetime = NOW) -> Seen:
    found = await unit(lambda r: intros.introduction(r, who, introduction.id))
    return intros.seen_by(found, who, now)


async def _card(unit: Unit, viewer: int, owner: int) -> intros.ContactCard | None:
    return await unit(lambda r: intros.shared_contacts(r, viewer, owner))


async def _found(unit: Unit, viewer: int, wanted: Search | None = None) -> list[str]:
    return [
        e.name
        for e in await unit(lambda r: intros.search(r, viewer, wanted or Search(), NOW.date()))
    ]


async def _statuses(unit: Unit, *made: Introduction) -> list[str]:
    async def read(repos: Repositories) -> list[str]:
        return [found.status for m in made if (found := await repos.intros.get(m.id))]

    return await unit(read)


async def _jobs(unit: Unit, kind: str | None = None) -> list[tuple[str, datetime]]:
    jobs = await unit(lambda r: r.jobs.list())
    return [(job.key, job.due_at) for job in jobs if kind is None or job.kind == kind]


# The directory


async def test_an_entry_keeps_only_the_contact_details_its_owner_shares(unit: Unit) -> None:
    [ann] = await _members(unit, "Ann Smith")
    await unit(
        lambda r: intros.save_profile(
            r, ann, draft("Ann Smith", shares=frozenset({ContactKind.PHONE})), NOW
        )
    )

    entry = await unit(lambda r: intros.profile(r, ann))
    assert entry is not None
    assert (entry.email, entry.phone, entry.shares) == (None, draft("Ann Smith").phone, ["phone"])
    assert (entry.name, entry.region, entry.interests) == ("Ann Smith", "London", ["finance"])
    assert (entry.in_rounds, entry.ignored_rounds, entry.suspended_at) == (True, 0, None)

    later = NOW + timedelta(days=1)
    await unit(lambda r: intros.save_profile(r, ann, draft("Ann Smith", shares=frozenset()), later))
    entry = await unit(lambda r: intros.profile(r, ann))
    assert entry is not None and (entry.email, entry.phone, entry.shares) == (None, None, [])
    assert entry.joined_at == NOW and entry.updated_at == later


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"email": None}, "to share your email, please give it"),
        ({"phone": ""}, "to share your phone number, please give it"),
        ({"shares": frozenset({ContactKind.TELEGRAM})}, "don't use the bot on Telegram yet"),
        ({"shares": frozenset({ContactKind.SLACK})}, "don't use the bot on Slack yet"),
    ],
)
async def test_sharing_a_detail_one_has_not_given_is_refused(
    unit: Unit, changes: dict[str, object], refusal: str
) -> None:
    [ann] = await _members(unit, "Ann Smith")
    with pytest.raises(IntrosError, match=refusal):
        await unit(lambda r: intros.save_profile(r, ann, draft("Ann Smith", **changes), NOW))
    assert await unit(lambda r: intros.profile(r, ann)) is None


async def test_an_account_the_bot_knows_can_be_shared_and_appears_on_the_card(unit: Unit) -> None:
    async def on_telegram(repos: Repositories) -> int:
        member = await repos.members.create(
            display_name="Ann", role=Role.MEMBER, tags=(), now=NOW, identity=("telegram", "4242")
        )
        shares = frozenset({ContactKind.TELEGRAM})
        await intros.save_profile(repos, member.id, draft("Ann Smith", shares=shares), NOW)
        return member.id

    ann = await unit(on_telegram)
    [bob] = await _join(unit, "Bob Jones")
    await _answer(unit, ann, await _ask(unit, bob, ann), True)

    card = await _card(unit, bob, ann)
    assert card is not None and card.lines == ("Telegram: tg://user?id=4242",)


async def test_leaving_withdraws_what_is_open_and_deletes_the_entry_with_its_contacts(
    unit: Unit,
) -> None:
    ann, bob, cat, dan = await _join(unit, "Ann Smith", "Bob Jones", "Cat Brown", "Dan Green")
    asked_by_ann = await _ask(unit, ann, bob)
    asked_of_ann = await _ask(unit, cat, ann)
    introduced = await _ask(unit, dan, ann)
    await _answer(unit, ann, introduced, True)

    assert await unit(lambda r: intros.leave(r, ann, NOW)) == 2

    assert await unit(lambda r: intros.profile(r, ann)) is None
    assert await _seen(unit, bob, asked_by_ann) is Seen.DID_NOT_HAPPEN
    assert await _seen(unit, cat, asked_of_ann) is Seen.WAITING_FOR_THEM  # told only at lapse
    assert await _card(unit, dan, ann) is None
    assert await _card(unit, ann, dan) is None  # leaving ends what was agreed, both ways
    assert await _statuses(unit, asked_by_ann, asked_of_ann) == [Status.WITHDRAWN, Status.DECLINED]
    with pytest.raises(IntrosError, match="you're not in the directory"):
        await unit(lambda r: intros.leave(r, ann, NOW))


# Search


async def test_a_search_matches_every_criterion_given(unit: Unit) -> None:
    [viewer] = await _join(unit, "Val Viewer")
    await _join(unit, "Ann Smith", interests=("finance", "digital"), region="North West")
    await _join(unit, "Bob Jones", in_post_since=date(2026, 2, 1))
    await _join(unit, "Cat Brown", interests=("workforce",), organisation="Leeds Teaching")

    assert await _found(unit, viewer) == ["Ann Smith", "Bob Jones", "Cat Brown"]
    assert await _found(unit, viewer, Search(interest="digital")) == ["Ann Smith"]
    assert await _found(unit, viewer, Search(region="North West")) == ["Ann Smith"]
    assert await _found(unit, viewer, Search(new_in_post=True)) == ["Bob Jones"]
    assert await _found(unit, viewer, Search(name=" jONES ")) == ["Bob Jones"]
    assert await _found(unit, viewer, Search(name="leeds")) == ["Cat Brown"]
    assert await _found(unit, viewer, Search(interest="finance", region="London")) == ["Bob Jones"]
    assert await unit(intros.interests_in_use) == ["finance", "digital", "workforce"]


async def test_a_search_never_finds_oneself_anyone_suspended_or_anyone_blocked_either_way(
    unit: Unit,
) -> None:
    val, ann, bob, cat, dan = await _join(
        unit, "Val Viewer", "Ann Smith", "Bob Jones", "Cat Brown", "Dan Green"
    )
    await unit(lambda r: intros.set_suspended(r, ann, True, NOW, OPERATOR))
    await _answer(unit, val, await _ask(unit, bob, val), False, block=True)  # Val blocks Bob
    await _answer(unit, cat, await _ask(unit, val, cat), False, block=True)  # Cat blocks Val

    assert await _found(unit, val) == ["Dan Green"]
    assert await _found(unit, dan) == ["Bob Jones", "Cat Brown", "Val Viewer"]
    for viewer, hidden in ((bob, val), (cat, val), (val, ann)):
        with pytest.raises(IntrosError, match="isn't in the directory now"):
            await unit(lambda r, v=viewer, h=hidden: intros.peer(r, v, h))


async def test_only_members_in_the_directory_and_not_paused_may_search_it(unit: Unit) -> None:
    [outsider] = await _members(unit, "Olly Outside")
    [paused] = await _join(unit, "Pat Paused")
    await unit(lambda r: intros.set_suspended(r, paused, True, NOW, OPERATOR))

    with pytest.raises(IntrosError, match="not in the directory: send /directory to join"):
        await _found(unit, outsider)
    with pytest.raises(IntrosError, match="paused by the programme team"):
        await _found(unit, paused)
    with pytest.raises(IntrosError, match="paused by the programme team"):
        await unit(lambda r: intros.save_profile(r, paused, draft("Pat Paused"), NOW))


# Requests and their limits


async def test_a_member_may_have_five_requests_waiting_and_no_more(unit: Unit) -> None:
    me, *others = await _join(unit, "Me Myself", *(f"Peer {n}" for n in "ABCDEFG"))
    asked = [await _ask(unit, me, other) for other in others[:MAX_WAITING_REQUESTS]]

    with pytest.raises(IntrosError, match="you have 5 requests waiting for replies"):
        await _ask(unit, me, others[5])
    await _answer(unit, others[0], asked[0], False)  # a quiet "no" still looks waiting
    with pytest.raises(IntrosError, match="you have 5 requests waiting"):
        await _ask(unit, me, others[5])
    await unit(lambda r: intros.withdraw(r, me, asked[1].id, NOW))
    await _ask(unit, me, others[5])
    await _answer(unit, others[2], asked[2], True)
    await _ask(unit, me, others[6])
    with pytest.raises(IntrosError, match="you have 5 requests waiting"):
        await _ask(unit, me, others[1])
    await _ask(unit, me, others[1], LAPSED)  # the lapsed ones no longer wait


async def test_a_member_may_ask_ten_times_a_week(unit: Unit) -> None:
    me, *others = await _join(unit, "Me Myself", *(f"Peer {n:02d}" for n in range(16)))
    day, second = timedelta(days=1), timedelta(seconds=1)

    async def introduced(other: int, when: datetime) -> None:
        await _answer(unit, other, await _ask(unit, me, other, when), True, when)

    for n, other in enumerate(others[:MAX_REQUESTS_PER_WEEK]):  # five each on Tue and Wed
        await introduced(other, NOW + n // 5 * day)  # accepted: none left waiting

    with pytest.raises(IntrosError, match="you've asked for 10 introductions this week"):
        await _ask(unit, me, others[10], NOW + 7 * day - second)  # Tuesday is within the week
    for other in others[10:15]:  # Tuesday's have left the week: five more
        await introduced(other, NOW + 7 * day)
    with pytest.raises(IntrosError, match="10 introductions this week"):
        await _ask(unit, me, others[15], NOW + 7 * day)


async def test_asking_again_while_one_waits_or_stands_is_refused_saying_why(unit: Unit) -> None:
    ann, bob = await _join(unit, "Ann Smith", "Bob Jones")
    first = await _ask(unit, ann, bob)

    with pytest.raises(IntrosError, match="your request to Bob Jones is still waiting"):
        await _ask(unit, ann, bob)
    with pytest.raises(IntrosError, match="Ann Smith has asked to meet you already"):
        await _ask(unit, bob, ann)
    await _answer(unit, bob, first, True)
    for a, b, name in ((ann, bob, "Bob Jones"), (bob, ann, "Ann Smith")):
        with pytest.raises(IntrosError, match=f"you're already introduced to {name}"):
            await _ask(unit, a, b)


async def test_no_one_asks_themselves_someone_not_listed_or_while_not_listed(unit: Unit) -> None:
    [ann] = await _join(unit, "Ann Smith")
    [outsider] = await _members(unit, "Olly Outside")
    with pytest.raises(IntrosError, match="isn't in the directory now"):
        await _ask(unit, ann, ann)
    with pytest.raises(IntrosError, match="isn't in the directory now"):
        await _ask(unit, ann, outsider)
    with pytest.raises(IntrosError, match="you're not in the directory"):
        await _ask(unit, outsider, ann)


async def test_a_no_looks_like_waiting_to_the_asker_until_the_lapse_then_close_tells_them(
    unit: Unit,
) -> None:
    ann, bob, cat, dan = await _join(unit, "Ann Smith", "Bob Jones", "Cat Brown", "Dan Green")
    declined, blocked, ignored = [await _ask(unit, ann, other) for other in (bob, cat, dan)]
    await _answer(unit, bob, declined, False)
    await _answer(unit, cat, blocked, False, block=True)

    for made in (declined, blocked, ignored):
        assert await _seen(unit, ann, made) is Seen.WAITING_FOR_THEM
        assert await _seen(unit, ann, made, LAPSED) is Seen.DID_NOT_HAPPEN
    assert await _seen(unit, bob, declined) is Seen.YOU_SAID_NO
    assert await _seen(unit, cat, blocked, LAPSED) is Seen.YOU_SAID_NO
    assert await _seen(unit, dan, ignored) is Seen.WAITING_FOR_YOU
    assert await _seen(unit, dan, ignored, LAPSED) is Seen.DID_NOT_HAPPEN

    for made in (declined, blocked, ignored):
        closed = await unit(lambda r, m=made: intros.close(r, m.id, LAPSED))
        assert closed is not None and (closed.tell, closed.ask_to_stay) == ((ann,), ())
    assert await _statuses(unit, declined, blocked, ignored) == [
        Status.DECLINED,
        Status.DECLINED,
        Status.EXPIRED,
    ]


async def test_the_asker_may_withdraw_until_it_is_accepted_and_then_nobody_may_answer(
    unit: Unit,
) -> None:
    ann, bob, cat = await _join(unit, "Ann Smith", "Bob Jones", "Cat Brown")
    made = await _ask(unit, ann, bob)
    await unit(lambda r: intros.withdraw(r, ann, made.id, NOW))

    assert await _seen(unit, ann, made) is Seen.YOU_WITHDREW
    assert await _seen(unit, bob, made) is Seen.DID_NOT_HAPPEN
    with pytest.raises(IntrosError, match="that introduction was withdrawn"):
        await _answer(unit, bob, made, True)
    with pytest.raises(IntrosError, match="closed already"):
        await unit(lambda r: intros.withdraw(r, ann, made.id, NOW))
    assert await _jobs(unit, REMIND) == []  # nobody is reminded of a withdrawn request
    closed = await unit(lambda r: intros.close(r, made.id, LAPSED))
    assert closed is not None and closed.tell == ()  # Bob is not told of it at all

    accepted = await _ask(unit, ann, cat)
    await _answer(unit, cat, accepted, True)
    with pytest.raises(IntrosError, match="already introduced; there is nothing to withdraw"):
        await unit(lambda r: intros.withdraw(r, ann, accepted.id, NOW))
    assert await unit(lambda r: intros.close(r, accepted.id, LAPSED)) is None


async def test_the_one_asked_may_withdraw_too_which_the_asker_sees_as_any_other_no(
    unit: Unit,
) -> None:
    ann, bob = await _join(unit, "Ann Smith", "Bob Jones")
    made = await _ask(unit, ann, bob)
    await unit(lambda r: intros.withdraw(r, bob, made.id, NOW))

    assert await _seen(unit, ann, made) is Seen.WAITING_FOR_THEM
    assert await _seen(unit, bob, made) is Seen.YOU_SAID_NO


async def test_answers_to_one_answered_lapsed_or_someone_elses_introduction_are_refused(
    unit: Unit,
) -> None:
    ann, bob, cat = await _join(unit, "Ann Smith", "Bob Jones", "Cat Brown")
    answered, lapsed = await _ask(unit, ann, bob), await _ask(unit, ann, cat)
    await _answer(unit, bob, answered, False)

    with pytest.raises(IntrosError, match="you've answered that one already"):
        await _answer(unit, bob, answered, True)
    with pytest.raises(IntrosError, match="you've answered that one already"):
        await _answer(unit, ann, lapsed, True)  # the asker said yes by asking
    with pytest.raises(IntrosError, match="that introduction has lapsed"):
        await _answer(unit, cat, lapsed, True, LAPSED)
    with pytest.raises(IntrosError, match="that introduction is no longer here"):
        await _answer(unit, cat, answered, True)
    with pytest.raises(IntrosError, match="that introduction is no longer here"):
        await unit(lambda r: intros.answer(r, cat, 999_999, True, NOW))
    with pytest.raises(IntrosError, match="no longer here"):
        await unit(lambda r: intros.withdraw(r, cat, answered.id, NOW))
    assert await _card(unit, ann, bob) is None and await _card(unit, ann, cat) is None


async def test_a_block_stops_requests_both_ways_for_good(unit: Unit) -> None:
    ann, bob = await _join(unit, "Ann Smith", "Bob Jones")
    await _answer(unit, bob, await _ask(unit, ann, bob), False, block=True)

    for a, b in ((ann, bob), (bob, ann)):
        for when in (NOW, LAPSED + timedelta(weeks=52)):
            with pytest.raises(IntrosError, match="isn't in the directory now"):
                await _ask(unit, a, b, when)
    await unit(lambda r: intros.leave(r, bob, NOW))
    await unit(lambda r: intros.save_profile(r, bob, draft("Bob Jones"), NOW))
    with pytest.raises(IntrosError, match="isn't in the directory now"):  # blocks outlast leaving
        await _ask(unit, ann, bob, LAPSED)


# Contact details


async def test_contact_details_are_shared_both_ways_only_once_accepted(unit: Unit) -> None:
    ann, bob = await _join(unit, "Ann Smith", "Bob Jones")
    made = await _ask(unit, ann, bob, note="Finance?")
    assert await _card(unit, ann, bob) is None and await _card(unit, bob, ann) is None

    done = await _answer(unit, bob, made, True)

    assert done.complete and done.introduction.status == Status.ACCEPTED
    card = await _card(unit, ann, bob)
    assert card == intros.ContactCard(
        bob,
        "Bob Jones",
        "Jones NHS Foundation Trust",
        ("Email: bob@jones.nhs.uk", f"Phone: {draft('Bob Jones').phone}"),
    )
    assert (await _card(unit, bob, ann)).lines[0] == "Email: ann@smith.nhs.uk"  # type: ignore[union-attr]
    assert await _card(unit, ann, ann) is None
    assert await _jobs(unit) == []  # reminder and lapse cancelled


async def test_a_card_shows_what_its_owner_shares_now_and_goes_when_they_leave_or_are_paused(
    unit: Unit,
) -> None:
    ann, bob = await _join(unit, "Ann Smith", "Bob Jones")
    await _answer(unit, bob, await _ask(unit, ann, bob), True)

    only_phone = draft("Bob Jones", shares=frozenset({ContactKind.PHONE}))
    await unit(lambda r: intros.save_profile(r, bob, only_phone, NOW))
    assert (await _card(unit, ann, bob)).lines == (f"Phone: {only_phone.phone}",)  # type: ignore[union-attr]
    await unit(lambda r: intros.set_suspended(r, bob, True, NOW, OPERATOR))
    assert await _card(unit, ann, bob) is None
    await unit(lambda r: intros.set_suspended(r, bob, False, NOW, OPERATOR))
    assert await _card(unit, ann, bob) is not None
    await unit(lambda r: intros.leave(r, bob, NOW))
    assert await _card(unit, ann, bob) is None


async def test_a_block_after_an_introduction_ends_the_sharing_both_ways(unit: Unit) -> None:
    ann, bob = await _join(unit, "Ann Smith", "Bob Jones")
    await _answer(unit, bob, await _ask(unit, ann, bob), True)
    [proposed] = await _round(unit, cooldown_weeks=0)  # they meet again in a round

    await _answer(unit, bob, proposed, False, block=True)

    assert await _card(unit, ann, bob) is None and await _card(unit, bob, ann) is None


async def test_suspending_withdraws_open_introductions_and_pauses_requests(unit: Unit) -> None:
    ann, bob = await _join(unit, "Ann Smith", "Bob Jones")
    made = await _ask(unit, ann, bob)
    await unit(lambda r: intros.set_suspended(r, ann, True, NOW, OPERATOR))

    assert await _seen(unit, bob, made) is Seen.DID_NOT_HAPPEN
    with pytest.raises(IntrosError, match="paused by the programme team"):
        await _ask(unit, ann, bob)
    with pytest.raises(IntrosError, match="isn't in the directory now"):
        await _ask(unit, bob, ann)
    with pytest.raises(IntrosError, match="member 999999 is not in the directory"):
        await unit(lambda r: intros.set_suspended(r, 999_999, True, NOW, OPERATOR))


# Rounds


async def _round(
    unit: Unit, now: datetime = NOW, seed: int = 1, **plan: object
) -> list[Introduction]:
    """Start a round and run it at once, as its first job would."""
    started = await unit(lambda r: intros.start_round(r, RoundPlan(**plan), now, OPERATOR))  # type: ignore[arg-type]
    return await unit(lambda r: intros.run_round(r, started.id, now, random.Random(seed)))


def _groups(made: Sequence[Introduction]) -> set[frozenset[int]]:
    return {frozenset(p.member_id for p in i.parties) for i in made}


async def test_a_round_pairs_everyone_in_it_and_an_odd_one_out_makes_a_trio(unit: Unit) -> None:
    people = set(await _join(unit, *(f"Peer {n}" for n in "ABCDE")))

    made = await _round(unit)

    assert sorted(len(i.parties) for i in made) == [2, 3]
    assert set().union(*_groups(made)) == people
    assert all(i.status == Status.OPEN and i.requester is None for i in made)
    assert all(p.answer == Answer.PENDING for i in made for p in i.parties)


async def test_a_round_keeps_to_its_segment_and_to_those_in_rounds(unit: Unit) -> None:
    new = await _join(unit, "New A", "New B", "New C", tags=("new-ceo",))
    await _join(unit, "Old A", "Old B")
    await unit(lambda r: intros.set_rounds(r, new[2], in_rounds=False))

    assert _groups(await _round(unit, tags=("new-ceo",))) == {frozenset(new[:2])}


async def test_a_snoozed_member_sits_rounds_out_until_the_snooze_ends(unit: Unit) -> None:
    ann, bob = await _join(unit, "Ann Smith", "Bob Jones")
    until = NOW + timedelta(days=14)
    await unit(lambda r: intros.set_rounds(r, bob, in_rounds=True, snooze_until=until))

    assert await _round(unit) == []
    assert _groups(await _round(unit, until)) == {frozenset({ann, bob})}


async def test_someone_still_to_answer_an_earlier_round_is_not_proposed_again(unit: Unit) -> None:
    ann, *others = await _join(unit, "Ann Smith", "Bob Jones", "Cat Brown", "Dan Green")
    first = await _round(unit, cooldown_weeks=0)
    for made in first:
        for party in made.parties:
            if party.member_id != ann:  # Ann's partner says yes, the other pair both say no
                await _answer(unit, party.member_id, made, made.party(ann) is not None)

    second = await _round(unit, NOW + timedelta(days=1), cooldown_weeks=0)

    assert _groups(second) == {frozenset(others)}


async def test_a_round_pairs_nobody_who_met_within_its_cooldown(unit: Unit) -> None:
    ann, bob, cat, dan = await _join(unit, "Ann Smith", "Bob Jones", "Cat Brown", "Dan Green")
    await _answer(unit, bob, await _ask(unit, ann, bob), False)
    await _answer(unit, dan, await _ask(unit, cat, dan), True)

    made = _groups(await _round(unit, NOW + timedelta(days=1)))

    assert len(made) == 2 and not made & {frozenset({ann, bob}), frozenset({cat, dan})}, made


async def test_after_the_cooldown_a_pair_may_be_proposed_again(unit: Unit) -> None:
    ann, bob = await _join(unit, "Ann Smith", "Bob Jones")
    await _answer(unit, bob, await _ask(unit, ann, bob), False)

    just_inside = NOW + timedelta(weeks=12, minutes=-1)
    assert await _round(unit, just_inside, cooldown_weeks=12) == []
    after = NOW + timedelta(weeks=12, minutes=1)
    assert _groups(await _round(unit, after, cooldown_weeks=12)) == {frozenset({ann, bob})}


async def test_a_round_respects_never_lists_of_people_and_organisations_and_blocks(
    unit: Unit,
) -> None:
    ann, bob, cat, dan, eve, fay = everyone = await _join(
        unit, "Ann Smith", "Bob Jones", "Cat Brown", "Dan Green", "Eve White", "Fay Black"
    )
    await unit(lambda r: intros.never_pair_with(r, ann, other_id=bob))
    await unit(
        lambda r: intros.never_pair_with(r, cat, organisation=" GREEN nhs  Foundation Trust")
    )
    await unit(lambda r: intros.never_pair_with(r, cat, organisation="green NHS foundation trust"))
    long_ago = NOW - timedelta(weeks=20)
    await _answer(unit, fay, await _ask(unit, eve, fay, long_ago), False, long_ago, block=True)
    never = await unit(lambda r: intros.never_list(r, cat))
    assert [text for _, text in never] == ["anyone at green nhs foundation trust"]

    for week in range(6):
        made = await _round(unit, NOW + timedelta(weeks=week), week, cooldown_weeks=0)
        groups = _groups(made)
        assert not groups & {frozenset({ann, bob}), frozenset({cat, dan}), frozenset({eve, fay})}
        assert len(groups) == 3 and set().union(*groups) == set(everyone), groups
        for introduction in made:
            await unit(lambda r, i=introduction: intros.close(r, i.id, i.expires_at))


async def test_three_rounds_ignored_in_a_row_ask_whether_to_stay_in(unit: Unit) -> None:
    ann, bob = await _join(unit, "Ann Smith", "Bob Jones")
    asked = []
    for week in range(3):
        [made] = await _round(unit, NOW + timedelta(weeks=week), cooldown_weeks=0)
        closed = await unit(lambda r, m=made: intros.close(r, m.id, m.expires_at))
        assert closed is not None and closed.tell == ()
        asked.append(sorted(closed.ask_to_stay))

    assert asked == [[], [], sorted([ann, bob])]
    await unit(lambda r: intros.set_rounds(r, ann, in_rounds=True))
    entry = await unit(lambda r: intros.profile(r, ann))
    assert entry is not None and entry.ignored_rounds == 0


async def test_answering_a_round_resets_the_count_of_rounds_ignored(unit: Unit) -> None:
    ann, bob = await _join(unit, "Ann Smith", "Bob Jones")
    asked = []
    for week in range(4):
        [made] = await _round(unit, NOW + timedelta(weeks=week), cooldown_weeks=0)
        if week == 1:
            await _answer(unit, ann, made, False, NOW + timedelta(weeks=week))
        closed = await unit(lambda r, m=made: intros.close(r, m.id, m.expires_at))
        assert closed is not None
        asked.append(closed.ask_to_stay)

    assert asked == [(), (), (bob,), ()]  # Ann's count began again; Bob is asked once


async def test_a_repeating_round_schedules_its_next_run_and_stopping_it_cancels_that(
    unit: Unit,
) -> None:
    await _join(unit, "Ann Smith", "Bob Jones")
    started = await unit(lambda r: intros.start_round(r, RoundPlan(every_weeks=2), NOW, OPERATOR))
    assert await _jobs(unit, ROUND) == [(f"{ROUND}:{started.id}:0", NOW)]

    await unit(lambda r: intros.run_round(r, started.id, NOW))

    fortnight = NOW + timedelta(weeks=2)
    assert (f"{ROUND}:{started.id}:1", fortnight) in await _jobs(unit, ROUND)
    [found] = await unit(intros.rounds)
    assert (found.runs, found.next_at) == (1, fortnight)
    stopped = await unit(lambda r: intros.stop_round(r, started.id, NOW, OPERATOR))
    assert stopped.stopped_at == NOW and stopped.next_at is None
    assert (f"{ROUND}:{started.id}:1", fortnight) not in await _jobs(unit, ROUND)
    assert await unit(lambda r: intros.run_round(r, started.id, fortnight)) == []


async def test_a_round_run_once_schedules_nothing_more(unit: Unit) -> None:
    await _join(unit, "Ann Smith", "Bob Jones")
    started = await unit(lambda r: intros.start_round(r, RoundPlan(), NOW, OPERATOR))
    await unit(lambda r: intros.run_round(r, started.id, NOW))

    assert await _jobs(unit, ROUND) == [(f"{ROUND}:{started.id}:0", NOW)]  # the one just run
    [found] = await unit(intros.rounds)
    assert (found.runs, found.next_at) == (1, None)


@pytest.mark.parametrize(
    ("plan", "refusal"),
    [
        (RoundPlan(every_weeks=3), "every 2 or every 4 weeks"),
        (RoundPlan(cooldown_weeks=-1), "the cooldown is 0 to 520 weeks"),
    ],
)
async def test_a_round_with_an_odd_cadence_or_cooldown_is_refused(
    unit: Unit, plan: RoundPlan, refusal: str
) -> None:
    with pytest.raises(IntrosError, match=refusal):
        await unit(lambda r: intros.start_round(r, plan, NOW, OPERATOR))
    with pytest.raises(IntrosError, match="there is no round 999"):
        await unit(lambda r: intros.stop_round(r, 999, NOW, OPERATOR))


# What staff see, and what each member sees of themselves


async def test_stats_count_introductions_by_outcome_and_nothing_else(unit: Unit) -> None:
    ann, bob, cat, dan, eve, fay = await _join(
        unit, "Ann Smith", "Bob Jones", "Cat Brown", "Dan Green", "Eve White", "Fay Black"
    )
    await _answer(unit, bob, await _ask(unit, ann, bob), True)
    await _answer(unit, cat, await _ask(unit, ann, cat), False)
    withdrawn = await _ask(unit, ann, dan)
    await unit(lambda r: intros.withdraw(r, ann, withdrawn.id, NOW))
    lapsing = await _ask(unit, ann, eve)
    await _ask(unit, bob, cat)
    await unit(lambda r: intros.close(r, lapsing.id, LAPSED))
    await unit(lambda r: intros.set_suspended(r, fay, True, NOW, OPERATOR))
    for member_id in (ann, bob, eve):
        await unit(lambda r, m=member_id: intros.set_rounds(r, m, in_rounds=False))
    [proposed] = await _round(unit)  # Cat and Dan, who have not met
    for party in proposed.parties:
        await _answer(unit, party.member_id, proposed, True)

    assert await unit(lambda r: intros.stats(r, NOW)) == intros.Stats(
        listed=6,
        suspended=1,
        requests=5,
        accepted=1,
        declined=1,
        expired=1,
        withdrawn=1,
        waiting=1,
        rounds=1,
        round_introductions=1,
        round_accepted=1,
    )


async def test_the_consent_record_keeps_every_event_with_its_time_and_who_else(
    unit: Unit,
) -> None:
    ann, bob, cat, dan = await _join(unit, "Ann Smith", "Bob Jones", "Cat Brown", "Dan Green")
    t = [NOW + timedelta(hours=n) for n in range(12)]
    await unit(lambda r: intros.save_profile(r, ann, draft("Ann Smith", shares=frozenset()), t[1]))
    accepted = await _ask(unit, ann, bob, t[2])
    await _answer(unit, bob, accepted, True, t[3])
    blocked = await _ask(unit, cat, ann, t[4])
    await _answer(unit, ann, blocked, False, t[5], block=True)
    withdrawn = await _ask(unit, ann, dan, t[6])
    await unit(lambda r: intros.withdraw(r, ann, withdrawn.id, t[7]))
    lapsing = await _ask(unit, dan, ann, t[8])
    await unit(lambda r: intros.close(r, lapsing.id, t[9]))
    await unit(lambda r: intros.set_suspended(r, ann, True, t[10], OPERATOR))
    await unit(lambda r: intros.set_suspended(r, ann, False, t[10], OPERATOR))
    await unit(lambda r: intros.leave(r, ann, t[11]))

    record = await unit(lambda r: intros.consent_record(r, ann))

    assert [(line.at, line.kind, line.others, line.detail) for line in record] == [
        (NOW, ConsentKind.JOINED, (), "sharing email, phone"),
        (t[1], ConsentKind.UPDATED, (), "sharing no contact details"),
        (t[2], ConsentKind.REQUESTED, ("Bob Jones",), "sharing no contact details"),
        (t[5], ConsentKind.DECLINED, ("Cat Brown",), ""),
        (t[5], ConsentKind.BLOCKED, ("Cat Brown",), ""),
        (t[6], ConsentKind.REQUESTED, ("Dan Green",), "sharing no contact details"),
        (t[7], ConsentKind.WITHDRAWN, ("Dan Green",), ""),
        (t[9], ConsentKind.EXPIRED, ("Dan Green",), ""),
        (t[10], ConsentKind.SUSPENDED, (), ""),
        (t[10], ConsentKind.RESTORED, (), ""),
        (t[11], ConsentKind.LEFT, (), ""),
    ]
    bobs = await unit(lambda r: intros.consent_record(r, bob))
    assert [(line.kind, line.others) for line in bobs][-1] == (
        ConsentKind.ACCEPTED,
        ("Ann Smith",),
    )
    dans = [(line.at, line.kind) for line in await unit(lambda r: intros.consent_record(r, dan))]
    assert dans[-2:] == [(t[8], ConsentKind.REQUESTED), (t[9], ConsentKind.EXPIRED)]


# Racing the limits


async def test_two_requests_at_once_at_the_limit_leave_exactly_the_limit_waiting(
    unit: Unit,
) -> None:
    me, *others = await _join(unit, "Me Myself", *(f"Peer {n}" for n in "ABCDEFG"))
    for other in others[: MAX_WAITING_REQUESTS - 1]:
        await _ask(unit, me, other)

    outcomes = await asyncio.gather(
        *(_ask(unit, me, other) for other in others[MAX_WAITING_REQUESTS - 1 :]),
        return_exceptions=True,
    )

    assert sum(isinstance(o, Introduction) for o in outcomes) == 1, outcomes
    assert all(isinstance(o, (Introduction, IntrosError)) for o in outcomes), outcomes
    waiting = await unit(lambda r: r.intros.waiting_for_reply(me, NOW))
    assert waiting == MAX_WAITING_REQUESTS
