"""/directory: a member is out of the directory until they join with a short wizard of buttons
and typed values; they edit one field at a time, keep a private "never pair me with" list,
snooze or leave matching rounds, read their consent record, and leave (withdrawing open
requests). The clock stands at Tuesday 24 November 2026, 09:00 UTC (London is on GMT)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.middleware import JOIN_FIRST
from domain.intros import REGIONS, ContactKind, Status
from domain.people import OPERATOR, Role
from handlers.directory import LeaveRounds, StayInRounds
from services import intros
from services.intros import ProfileDraft
from storage.intros import DirectoryProfile
from storage.repositories import Repositories
from tests.conftest import FakeClock, join_as, unit

SAM = ProfileDraft(
    name="Sam Patel",
    organisation="Mersey Care",
    region="North West",
    in_post_since=date(2019, 4, 1),
    interests=("finance",),
    shares=frozenset({ContactKind.EMAIL}),
    email="sam@mersey.nhs.uk",
)


@pytest.fixture
def bot(unthrottled_bot: Bot) -> Bot:
    return unthrottled_bot


@pytest.fixture
async def alice(bot: Bot, chat: TestChat) -> TestChat:
    await join_as(bot, chat)
    return chat


async def _member_id(bot: Bot, account: str, platform: str = "test") -> int:
    async def find(repos: Repositories) -> int:
        member = await repos.members.find_by_identity(platform, account)
        assert member is not None
        return member.id

    return await unit(bot.services.database, find)


async def _profile(bot: Bot, member_id: int) -> DirectoryProfile | None:
    return await unit(bot.services.database, lambda repos: intros.profile(repos, member_id))


async def _listed_peer(bot: Bot, clock: FakeClock, draft: ProfileDraft = SAM) -> int:
    """Another member already in the directory, made through the rules."""

    async def make(repos: Repositories) -> int:
        member = await repos.members.create(
            display_name=draft.name,
            role=Role.MEMBER,
            tags=(),
            now=clock.now,
            identity=("test", "sam"),
        )
        await intros.save_profile(repos, member.id, draft, clock.now)
        return member.id

    return await unit(bot.services.database, make)


async def join_directory(chat: TestChat) -> None:
    """The whole wizard, with buttons and typed values."""
    await chat.send("/directory")
    await chat.press("Join the directory")
    await chat.press("Use Alice Jones")
    await chat.send("Leeds Teaching Hospitals")
    await chat.press("North East and Yorkshire")
    await chat.send("September 2025")
    await chat.press("finance")
    await chat.press("digital")
    await chat.press("Done")
    await chat.send("Elective recovery, and being new in post")
    await chat.press("Email")
    await chat.send("alice@leeds.nhs.uk")
    await chat.press("Done")
    await chat.press("Yes, I'll be a buddy")


async def test_a_member_is_not_in_the_directory_until_they_join(bot: Bot, alice: TestChat) -> None:
    await alice.send("/directory")
    assert "It's opt-in" in alice.text
    assert "contact details go only to someone you have both said yes to" in alice.text
    assert alice.labels == ["Join the directory"]
    assert await _profile(bot, await _member_id(bot, "alice")) is None


async def test_a_guest_is_refused_the_directory(bot: Bot) -> None:
    guest = TestChat(bot, user_id="guest")
    await guest.send("/directory")
    assert guest.text == JOIN_FIRST.format(who="programme members")


async def test_joining_shows_the_entry_as_others_see_it_then_saves_it(
    bot: Bot, alice: TestChat
) -> None:
    await join_directory(alice)
    assert alice.text.startswith("Here's your entry as other members will see it:")
    assert "Alice Jones, Leeds Teaching Hospitals (North East and Yorkshire)" in alice.text
    assert "In post since September 2025" in alice.text
    assert "Interests: finance, digital" in alice.text
    assert "Shared only after you both accept: email (alice@leeds.nhs.uk)." in alice.text
    assert alice.labels == ["Join", "Start again"]
    assert await _profile(bot, await _member_id(bot, "alice")) is None  # not before Join

    await alice.press("Join")
    assert "You're in the directory" in alice.text
    assert "Matching rounds: you're in them." in alice.text
    assert alice.labels == [
        "Find peers",
        "Requests",
        "My introductions",
        "Edit my entry",
        "Never pair me with",
        "Matching rounds",
        "My consent record",
        "Leave the directory",
    ]
    saved = await _profile(bot, await _member_id(bot, "alice"))
    assert saved is not None
    assert (saved.name, saved.region, saved.in_post_since) == (
        "Alice Jones",
        "North East and Yorkshire",
        date(2025, 9, 1),
    )
    assert saved.interests == ["finance", "digital"]
    assert saved.talk_about == "Elective recovery, and being new in post"
    assert (saved.shares, saved.email, saved.phone, saved.buddy) == (
        ["email"],
        "alice@leeds.nhs.uk",
        None,
        True,
    )


async def test_start_again_clears_the_draft(alice: TestChat) -> None:
    await join_directory(alice)
    await alice.press("Start again")
    assert alice.text.startswith("What name should other members see?")
    await alice.send("Dr Alice Jones")
    assert alice.text.startswith("Which organisation")


@pytest.mark.parametrize(
    ("reach", "typed", "error"),
    [
        ("month", "next spring", "type the month you came into post"),
        ("month", "January 2027", "that month is still to come"),
        ("email", "alice at leeds", "that doesn't look like an email address"),
        ("phone", "call me", "that doesn't look like a phone number"),
    ],
)
async def test_a_value_its_parser_refuses_is_explained_and_the_step_waits(
    alice: TestChat, reach: str, typed: str, error: str
) -> None:
    await alice.send("/directory")
    await alice.press("Join the directory")
    await alice.send("Alice Jones")
    await alice.send("Leeds Teaching Hospitals")
    await alice.press("London")
    if reach != "month":
        await alice.press("Skip")
        await alice.press("finance")
        await alice.press("Done")
        await alice.press("Skip")
        await alice.press("Email" if reach == "email" else "Phone")
    await alice.send(typed)
    assert alice.text.startswith(f"Sorry: {error}")
    assert alice.text.endswith("Please type it again, or /cancel.")

    good = {"month": "2025-09", "email": "alice@leeds.nhs.uk", "phone": "07700 900123"}[reach]
    await alice.send(good)
    assert "Sorry" not in alice.text
    if reach == "month":
        assert alice.text.startswith("Your interests and expertise")
    else:
        assert f"✓ {'Email' if reach == 'email' else 'Phone'}" in alice.labels


async def test_interests_toggle_on_and_off_take_ones_own_and_need_one(alice: TestChat) -> None:
    await alice.send("/directory")
    await alice.press("Join the directory")
    await alice.send("Alice Jones")
    await alice.send("Leeds Teaching Hospitals")
    await alice.press("London")
    await alice.press("Skip")
    await alice.press("Done")
    assert alice.text.startswith("Please choose at least one interest.")

    await alice.press("finance")
    assert "✓ finance" in alice.labels and "Chosen: finance" in alice.text
    await alice.press("✓ finance")
    assert "finance" in alice.labels and "Chosen: none yet" in alice.text
    await alice.press("workforce")
    await alice.press("Add my own")
    await alice.send("Net Zero, clinical strategy")
    assert "Chosen: workforce, net zero, clinical strategy" in alice.text
    assert "✓ net zero" in alice.labels
    await alice.send("anything")  # text where buttons are wanted
    assert alice.text.startswith("Please choose one of the buttons")
    await alice.press("✓ net zero")
    assert "net zero" not in alice.labels and "Chosen: workforce, clinical strategy" in alice.text
    await alice.press("Done")
    assert alice.text.startswith("In a line, what are you happy to talk")


async def _at_shares(chat: TestChat) -> None:
    await chat.send("/directory")
    await chat.press("Join the directory")
    await chat.send("Alice Jones")
    await chat.send("Leeds Teaching Hospitals")
    await chat.press("London")
    await chat.press("Skip")
    await chat.press("finance")
    await chat.press("Done")
    await chat.press("Skip")


async def test_telegram_is_offered_only_to_a_member_with_a_telegram_account(
    bot: Bot, alice: TestChat
) -> None:
    await _at_shares(alice)
    assert alice.labels == ["Email", "Phone", "Done"]
    await alice.press("Done")
    assert alice.text.startswith("Please choose at least one way for peers to reach you.")

    alice_id = await _member_id(bot, "alice")
    await unit(
        bot.services.database,
        lambda repos: repos.members.add_identity(alice_id, "telegram", "4242"),
    )
    await alice.send("/cancel")
    await _at_shares(alice)
    assert alice.labels == ["Email", "Phone", "My Telegram account", "Done"]
    await alice.press("My Telegram account")
    await alice.press("Done")
    await alice.press("No, thanks")
    assert "Shared only after you both accept: your Telegram account." in alice.text
    await alice.press("Join")
    saved = await _profile(bot, alice_id)
    assert saved is not None and saved.shares == ["telegram"]


async def test_editing_one_field_saves_it_at_once_and_keeps_the_rest(
    bot: Bot, alice: TestChat
) -> None:
    await join_directory(alice)
    await alice.press("Join")
    await alice.press("Edit my entry")
    await alice.press("Organisation")
    assert "Now: Leeds Teaching Hospitals" in alice.text
    await alice.send("")  # nothing typed is caught before the step
    await alice.send("Leeds and York Partnership")
    assert alice.text.startswith("Saved.")
    assert "Alice Jones, Leeds and York Partnership (North East and Yorkshire)" in alice.text

    await alice.press("Edit my entry")
    await alice.press("What I share")
    await alice.press("Phone")
    await alice.send("07700 900123")
    await alice.press("Done")
    saved = await _profile(bot, await _member_id(bot, "alice"))
    assert saved is not None
    assert (saved.organisation, saved.interests) == (
        "Leeds and York Partnership",
        ["finance", "digital"],
    )
    assert (saved.shares, saved.phone) == (["email", "phone"], "07700 900123")


async def test_leaving_withdraws_an_open_request_and_keeps_the_record(
    bot: Bot, clock: FakeClock, alice: TestChat
) -> None:
    await join_directory(alice)
    await alice.press("Join")
    alice_id, sam_id = await _member_id(bot, "alice"), await _listed_peer(bot, clock)
    asked = await unit(
        bot.services.database,
        lambda repos: intros.request(repos, alice_id, sam_id, "Hello", clock.now),
    )
    await alice.send("/directory")
    await alice.press("Leave the directory")
    assert "open requests are withdrawn" in alice.text and "consent record is kept" in alice.text
    await alice.press("Yes, leave")
    assert "1 open request was withdrawn." in alice.text
    assert await _profile(bot, alice_id) is None
    found = await unit(bot.services.database, lambda repos: repos.intros.get(asked.id))
    assert found is not None and found.status == Status.WITHDRAWN
    await alice.send("/directory")
    assert alice.labels == ["Join the directory"]


async def test_a_request_waiting_for_the_member_is_counted_on_the_menu(
    bot: Bot, clock: FakeClock, alice: TestChat
) -> None:
    await join_directory(alice)
    await alice.press("Join")
    assert "for your answer" not in alice.text
    alice_id, sam_id = await _member_id(bot, "alice"), await _listed_peer(bot, clock)
    await unit(
        bot.services.database,
        lambda repos: intros.request(repos, sam_id, alice_id, "", clock.now),
    )
    await alice.send("/directory")
    assert "1 request waits for your answer: see Requests." in alice.text


async def test_never_pair_adds_a_person_and_an_organisation_and_removes_them(
    bot: Bot, clock: FakeClock, alice: TestChat
) -> None:
    await join_directory(alice)
    await alice.press("Join")
    await _listed_peer(bot, clock)
    await alice.press("Never pair me with")
    assert "private" in alice.text and "only matching rounds" in alice.text
    assert "• nobody yet" in alice.text

    await alice.press("Add a person")
    await alice.send("Nobody Like This")
    assert "Nobody in the directory matches" in alice.text
    await alice.send("pat")
    await alice.press("Sam Patel, Mersey Care")
    assert "Added Sam Patel." in alice.text and "• Sam Patel" in alice.text

    await alice.press("Add an organisation")
    await alice.send("Leeds Community Healthcare")
    assert "• anyone at leeds community healthcare" in alice.text
    await alice.press("Remove Sam Patel")
    assert alice.text.startswith("Removed.")
    assert "Sam Patel" not in alice.text
    alice_id = await _member_id(bot, "alice")
    listed = await unit(bot.services.database, lambda repos: intros.never_list(repos, alice_id))
    assert [what for _, what in listed] == ["anyone at leeds community healthcare"]


async def test_rounds_can_be_snoozed_left_and_rejoined(bot: Bot, alice: TestChat) -> None:
    await join_directory(alice)
    await alice.press("Join")
    await alice.press("Matching rounds")
    assert "Now: you're in them." in alice.text
    assert alice.labels == [
        "Snooze 4 weeks",
        "Snooze 8 weeks",
        "Leave rounds",
        "Back to the directory",
    ]
    await alice.press("Snooze 4 weeks")
    assert "Now: snoozed until Tue 22 Dec 2026." in alice.text
    saved = await _profile(bot, await _member_id(bot, "alice"))
    assert saved is not None and saved.snoozed_until == datetime(2026, 12, 22, 9, tzinfo=UTC)

    await alice.press("Rejoin rounds")
    assert "Now: you're in them." in alice.text
    await alice.press("Leave rounds")
    assert "Now: you've left them." in alice.text
    assert alice.labels == ["Rejoin rounds", "Back to the directory"]
    await alice.send("/directory")
    assert "Matching rounds: you've left them." in alice.text


async def test_stay_and_leave_from_the_ignored_rounds_question(bot: Bot, alice: TestChat) -> None:
    await join_directory(alice)
    await alice.press("Join")
    alice_id = await _member_id(bot, "alice")
    await alice.press_bound(LeaveRounds())
    assert alice.text.startswith("Done: you've left matching rounds.")
    saved = await _profile(bot, alice_id)
    assert saved is not None and not saved.in_rounds
    await alice.press_bound(StayInRounds())
    assert alice.text.startswith("Done: you're in matching rounds.")
    saved = await _profile(bot, alice_id)
    assert saved is not None and saved.in_rounds


async def test_the_consent_record_lists_joining_and_asking_newest_first(
    bot: Bot, clock: FakeClock, alice: TestChat
) -> None:
    await join_directory(alice)
    await alice.press("Join")
    alice_id, sam_id = await _member_id(bot, "alice"), await _listed_peer(bot, clock)
    clock.advance(hours=1, minutes=4)
    await unit(
        bot.services.database,
        lambda repos: intros.request(repos, alice_id, sam_id, "", clock.now),
    )
    await alice.send("/directory")
    await alice.press("My consent record")
    assert alice.text.splitlines()[2:4] == [
        "24 Nov 2026 10:04 · asked to be introduced to Sam Patel (sharing email)",
        "24 Nov 2026 09:00 · joined the directory (sharing email)",
    ]
    assert "what you agreed to, and when" in alice.text


async def test_a_suspended_member_sees_their_place_is_paused(
    bot: Bot, clock: FakeClock, alice: TestChat
) -> None:
    await join_directory(alice)
    await alice.press("Join")
    alice_id = await _member_id(bot, "alice")
    await unit(
        bot.services.database,
        lambda repos: intros.set_suspended(repos, alice_id, True, clock.now, OPERATOR),
    )
    await alice.send("/directory")
    assert "paused by the programme team" in alice.text
    assert alice.labels == ["My consent record", "Leave the directory"]
    await alice.press("My consent record")
    assert "your place was paused by the programme team" in alice.text


async def test_every_region_is_offered(alice: TestChat) -> None:
    await alice.send("/directory")
    await alice.press("Join the directory")
    await alice.send("Alice Jones")
    await alice.send("Leeds Teaching Hospitals")
    assert alice.labels == list(REGIONS)
