"""Data rights: an export holds everything stored about the member and of others only what they
were shown; an erasure deletes every trace of them from every module in one go, tells the
members of an erased coach, and is refused politely for an unknown id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.settings import Settings
from domain.people import OPERATOR, MemberRef, Role
from services import coaching, intros, privacy, pulse
from services.audit import Action
from services.privacy import PrivacyError
from services.pulse_file import read_definition
from storage.broadcasts import DeliveryStatus, NewDelivery, Outcome
from storage.member_settings import StoredSettings
from storage.models import Base
from storage.repositories import Repositories
from tests.coaching_people import add_coach, add_member, booking_row
from tests.directory_entries import listed_member
from tests.handlers.pulse_setup import definition_text
from tests.services.conftest import NOW, Unit

QUILLON = "Quillon Vexmoor"
QUILLON_EMAIL = "quillon.vexmoor@example.nhs.uk"
BOB_EMAIL, CAROL_EMAIL = "bob.smith@nhs.net", "carol.white@nhs.net"
TOMORROW_TEN = NOW + timedelta(days=1, hours=1)  # Wednesday 10:00, inside the coach's week


@dataclass(frozen=True)
class World:
    quillon: int
    bob: int
    carol: int
    dave: int
    coach_id: int
    coach_member: int


async def _world(repos: Repositories) -> World:
    """Quillon, who used every capability, and the people around them."""
    quillon = await listed_member(repos, QUILLON, NOW, account="q1", email=QUILLON_EMAIL)
    await repos.members.add_identity(quillon, "slack", "UQUILLON1")
    await repos.members.change_tags(await repos.members.get(quillon), add=["new-ceo"])
    await repos.member_settings.save(quillon, StoredSettings(frozenset({"news"}), "20:00-08:00"))
    bob = await listed_member(repos, "Bob Smith", NOW, account="b1", email=BOB_EMAIL)
    carol = await listed_member(repos, "Carol White", NOW, account="c1", email=CAROL_EMAIL)
    dave = await listed_member(repos, "Dave Green", NOW, account="d1")
    coach = await add_coach(repos, "Dr Priya Shah", NOW)
    await repos.coaching.add_booking(booking_row(coach, quillon, TOMORROW_TEN, NOW))
    await repos.coaching.join_waitlist(coach.id, quillon, NOW)
    accepted = await intros.request(repos, quillon, bob, "About digital", NOW)
    await intros.answer(repos, bob, accepted.id, True, NOW)
    await intros.request(repos, carol, quillon, "", NOW)  # still waiting for Quillon
    await repos.intros.block(quillon, dave, NOW)
    await repos.intros.block(carol, quillon, NOW)
    await repos.intros.add_never(bob, other_id=quillon)
    await repos.intros.add_never(quillon, organisation="leeds trust")
    broadcast = await repos.broadcasts.create(
        text="Open space on 7 December",
        category="events",
        tags=(),
        platform=None,
        choices=("Attend", "Not this time"),
        names_to_staff=False,
        send_at=NOW,
        now=NOW,
        deliveries=[NewDelivery(quillon, "test", "q1", NOW)],
    )
    [claimed] = await repos.broadcasts.claim("test", NOW, lease=timedelta(minutes=1), limit=5)
    await repos.broadcasts.record([Outcome(claimed.id, DeliveryStatus.SENT)], NOW)
    await repos.broadcasts.answer(broadcast.id, quillon, 0, NOW)
    await repos.team_questions.create(
        question="can I bring my dog?",
        platform="test",
        recipient_id="q1",
        asker_name=QUILLON,
        now=NOW,
    )
    checkin = await pulse.create(
        repos,
        read_definition(definition_text(NOW, NOW + timedelta(days=7)), "t", NOW),
        NOW,
        OPERATOR,
    )
    await repos.pulse.add_participants(checkin.id, [quillon])
    return World(quillon, bob, carol, dave, coach.id, coach.member_id)


def test_every_table_naming_a_member_is_exported_or_says_why_not() -> None:
    linked = {
        table.name
        for table in Base.metadata.sorted_tables
        if any(fk.column.table.name == "members" for fk in table.foreign_keys)
    }
    accounted = privacy.EXPORTED | privacy.NOT_EXPORTED.keys()
    assert linked - accounted == set(), "export these, or say in NOT_EXPORTED why not"
    assert accounted - linked == set(), "these no longer hold a member id"


async def test_the_export_holds_what_is_stored_about_them_and_of_others_what_they_saw(
    unit: Unit,
) -> None:
    world = await unit(_world)
    exported = await unit(lambda repos: privacy.export(repos, world.quillon, NOW))

    assert exported["profile"]["name"] == QUILLON
    assert exported["profile"]["role"] == "member"
    assert {(a["platform"], a["id"]) for a in exported["accounts"]} == {
        ("test", "q1"),
        ("slack", "UQUILLON1"),
    }
    assert exported["tags"] == ["new-ceo"]
    assert exported["settings"] == {
        "muted": ["news"],
        "quiet_hours": "20:00-08:00",
        "timezone": None,
    }
    [session] = exported["coaching"]["sessions"]
    assert session["coach"] == "Dr Priya Shah" and session["status"] == "booked"
    assert session["start"] == TOMORROW_TEN.isoformat()
    assert [w["coach"] for w in exported["coaching"]["waiting_lists"]] == ["Dr Priya Shah"]
    assert exported["coaching"]["coach_profile"] is None
    assert exported["directory_profile"]["email"] == QUILLON_EMAIL

    seen = exported["introductions"]
    stands = {tuple(i["with"]): i["where_it_stands"] for i in seen["introductions"]}
    assert stands == {("Bob Smith",): "introduced", ("Carol White",): "waiting for your answer"}
    [card] = seen["contact_details_shared_with_you"]
    assert card["name"] == "Bob Smith" and card["details"] == [f"Email: {BOB_EMAIL}"]
    assert {c["kind"] for c in seen["consent_record"]} == {"joined", "requested"}
    assert seen["you_blocked"] == ["Dave Green"]  # not that Carol blocked them
    assert seen["never_pair_with"] == ["anyone at leeds trust"]

    [broadcast] = exported["broadcasts"]
    assert broadcast["your_answer"] == "Attend" and broadcast["delivery"] == "sent"
    [question] = exported["questions_to_the_team_still_open"]
    assert question["question"] == "can I bring my dog?"
    [checkin] = exported["check_ins"]
    assert checkin["title"] == "December check-in" and checkin["finished"] is False

    text = str(exported)
    assert CAROL_EMAIL not in text  # Carol's request is not accepted: nothing of hers shared
    assert "Bob Smith" not in str(exported["introductions"]["never_pair_with"])


async def test_a_coachs_export_holds_their_profile_availability_and_sessions(unit: Unit) -> None:
    world = await unit(_world)
    exported = await unit(lambda repos: privacy.export(repos, world.coach_member, NOW))
    profile = exported["coaching"]["coach_profile"]
    assert profile["name"] == "Dr Priya Shah"
    assert profile["weekly_availability"][0] == "mon 09:00-17:00"
    [session] = exported["coaching"]["sessions_as_coach"]
    assert session["member"] == QUILLON


async def test_a_staff_export_is_in_the_audit_trail_and_a_members_own_is_not(unit: Unit) -> None:
    world = await unit(_world)
    before = len(await unit(lambda repos: repos.audit.entries()))  # the world's set-up
    await unit(lambda repos: privacy.export(repos, world.quillon, NOW))
    await unit(lambda repos: privacy.staff_export(repos, world.quillon, NOW, OPERATOR))
    entries = (await unit(lambda repos: repos.audit.entries()))[before:]
    pseudonym = await unit(lambda repos: repos.members.pseudonym(world.quillon))
    assert [(e.record.action, e.record.subject) for e in entries] == [
        (Action.MEMBER_EXPORT.value, pseudonym)
    ]


async def test_erasing_deletes_them_from_every_module_and_the_others_record_of_them(
    unit: Unit,
) -> None:
    world = await unit(_world)
    pseudonym = await unit(lambda repos: repos.members.pseudonym(world.quillon))
    staff = MemberRef(
        await unit(lambda repos: add_member(repos, "Sam Staff", NOW, Role.STAFF)),
        "Sam Staff",
        Role.STAFF,
    )
    erased = await unit(lambda repos: privacy.erase(repos, world.quillon, NOW, staff))

    counts = erased.counts
    assert counts["member"] == 1 and counts["accounts"] == 2 and counts["tags"] == 1
    assert counts["settings"] == 1 and counts["directory entry"] == 1
    assert counts["sessions"] == 1 and counts["waiting-list places"] == 1
    assert counts["introductions"] == 2 and counts["blocks"] == 2
    assert counts["never-pair lines"] == 2 and counts["consent record"] == 2
    assert counts["broadcast deliveries"] == 1 and counts["broadcast answers"] == 1
    assert counts["team questions"] == 1 and counts["check-ins sent"] == 1
    assert erased.told == coaching.Told(members=0, coaches=1)

    async def left(repos: Repositories) -> tuple[object, ...]:
        return (
            await repos.members.get(world.quillon),
            await repos.intros.all_never(),
            await repos.intros.all_blocks(),
            await repos.intros.of_member(world.bob),
            [c.introduction_id for c in await repos.intros.consents_of(world.bob)],
            await repos.coaching.upcoming(NOW),
        )

    member, never, blocks, bobs, bob_consents, sessions = await unit(left)
    assert member is None and never == [] and blocks == set() and bobs == [] and sessions == []
    assert set(bob_consents) == {None}  # Bob's own consents stay, linked to nobody
    *_, entry = await unit(lambda repos: repos.audit.entries())  # after the world's set-up
    assert (entry.record.action, entry.record.subject) == (Action.MEMBER_ERASE.value, pseudonym)


async def test_erasing_withdraws_their_reminders_and_tells_the_coach_without_naming_them(
    unit: Unit,
) -> None:
    world = await unit(_world)
    settings = Settings(database_url="sqlite+aiosqlite://", semantic="off")

    async def book_bob(repos: Repositories) -> int:
        coach = await coaching.coach(repos, world.coach_id)
        start = (await coaching.free_slots(repos, coach, NOW))[0]
        change = await coaching.book(repos, world.bob, coach.id, start, NOW, settings)
        return change.booking.id

    booking_id = await unit(book_bob)
    before = await unit(lambda repos: repos.personal_data.jobs())
    assert any(job.payload.get("booking") == booking_id for job in before)  # its reminders
    await unit(lambda repos: privacy.erase(repos, world.bob, NOW, OPERATOR))

    left = await unit(lambda repos: repos.personal_data.jobs())
    assert not any(job.payload.get("booking") == booking_id for job in left)
    [notice] = [job for job in left if job.kind == coaching.SESSION_GONE]
    assert notice.payload["member"] == world.coach_member and notice.payload["to"] == "coach"
    assert world.bob not in notice.payload.values()


async def test_erasing_a_coach_tells_each_member_booked_with_them(unit: Unit) -> None:
    world = await unit(_world)

    async def book_bob(repos: Repositories) -> None:
        coach = await coaching.coach(repos, world.coach_id)
        await repos.coaching.add_booking(
            booking_row(coach, world.bob, TOMORROW_TEN + timedelta(hours=2), NOW)
        )

    await unit(book_bob)
    erased = await unit(lambda repos: privacy.erase(repos, world.coach_member, NOW, OPERATOR))
    assert erased.told == coaching.Told(members=2, coaches=0)
    assert erased.counts["coach profile"] == 1 and erased.counts["sessions as coach"] == 2
    assert erased.counts["waiting list as coach"] == 1

    jobs = await unit(lambda repos: repos.personal_data.jobs())
    told = [job.payload for job in jobs if job.kind == coaching.SESSION_GONE]
    assert sorted(p["member"] for p in told) == sorted([world.quillon, world.bob])
    assert {p["to"] for p in told} == {"member"}


async def test_an_unknown_member_is_refused_politely(unit: Unit) -> None:
    with pytest.raises(PrivacyError, match="no member with id 999"):
        await unit(lambda repos: privacy.export(repos, 999, NOW))
    with pytest.raises(PrivacyError, match="no member with id 999"):
        await unit(lambda repos: privacy.erase(repos, 999, NOW, OPERATOR))
    assert await unit(lambda repos: repos.audit.entries()) == []
