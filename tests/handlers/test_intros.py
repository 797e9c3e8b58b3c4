"""Finding peers and introductions in chat: search by interest, region, "also new in post" or
name, five to a page and never a contact detail; ask with or without a note; the person asked
gets Accept / Not now / Block, bound to them; only an accept shares details, to both. Directory
entries are made with services.intros.save_profile (the /directory wizard is tested on its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.adapters.testing import TEST_PLATFORM, TestChat
from bot.core import Bot
from bot.middleware import NOT_YOURS
from domain.intros import ContactKind
from domain.people import OPERATOR
from handlers.intros import (
    NOT_NOW,
    SENT,
    Accept,
    Find,
    Introductions,
    NotNow,
    Requests,
)
from services import intros
from services.intros import ProfileDraft, RoundPlan
from storage.repositories import Repositories
from tests.conftest import FakeClock, join_as, unit

BOB_EMAIL, BOB_PHONE = "bob.smith@nhs.net", "07700 900123"


@dataclass(frozen=True)
class Peer:
    chat: TestChat
    id: int
    name: str


async def listed(
    bot: Bot,
    user_id: str,
    name: str,
    *,
    organisation: str = "Leeds Teaching Hospitals",
    region: str = "North East and Yorkshire",
    interests: tuple[str, ...] = ("finance",),
    in_post_since: date | None = date(2019, 4, 1),
    email: str | None = None,
    phone: str | None = None,
) -> Peer:
    """A member in the directory, sharing the email and phone given."""
    chat = TestChat(bot, user_id=user_id, display_name=name)
    await join_as(bot, chat)
    given = ((ContactKind.EMAIL, email), (ContactKind.PHONE, phone))
    draft = ProfileDraft(
        name=name,
        organisation=organisation,
        region=region,
        in_post_since=in_post_since,
        interests=interests,
        shares=frozenset(kind for kind, value in given if value),
        email=email,
        phone=phone,
    )

    async def save(repos: Repositories) -> int:
        member = await repos.members.find_by_identity(TEST_PLATFORM, user_id)
        assert member is not None
        await intros.save_profile(repos, member.id, draft, bot.services.clock())
        return member.id

    return Peer(chat, await unit(bot.services.database, save), name)


async def alice_and_bob(bot: Bot) -> tuple[Peer, Peer]:
    alice = await listed(bot, "alice", "Alice Jones", email="alice@nhs.net", interests=("digital",))
    bob = await listed(
        bot, "bob", "Bob Smith", email=BOB_EMAIL, phone=BOB_PHONE, interests=("digital", "finance")
    )
    return alice, bob


async def open_ask(asker: Peer, name: str) -> None:
    """Find `name` by name and start asking for an introduction: the note prompt is shown."""
    await asker.chat.press_bound(Find())
    await asker.chat.press("Name")
    await asker.chat.send(name)
    await asker.chat.press(name)
    await asker.chat.press("Ask for an introduction")


async def ask(asker: Peer, name: str, note: str | None = None) -> None:
    """Ask `name` for an introduction, with `note` or without one."""
    await open_ask(asker, name)
    if note is None:
        await asker.chat.press("Send without a note")
    else:
        await asker.chat.send(note)


async def asked(asker: Peer, invitee: Peer, note: str | None = None) -> None:
    """`asker` asks `invitee`, who then has the request on screen."""
    await ask(asker, invitee.name, note)
    assert asker.chat.text == SENT.format(name=invitee.name)
    await invitee.chat.inbox()


# Finding peers


async def test_find_by_interest_pages_five_at_a_time_and_never_shows_contact_details(
    bot: Bot,
) -> None:
    alice = await listed(bot, "alice", "Alice Jones")
    for n in range(7):
        await listed(bot, f"p{n}", f"Peer {n}", email=f"peer{n}@nhs.net", phone=f"0770090010{n}")
    await alice.chat.press_bound(Find())
    assert "Find peers by:" in alice.chat.text
    assert alice.chat.labels == ["Interest", "Region", "Also new in post", "Name"]
    await alice.chat.press("Interest")
    assert alice.chat.labels == ["Finance", "New search"]
    await alice.chat.press("Finance")
    assert "Peers interested in finance (page 1 of 2)" in alice.chat.text
    assert "• Peer 0, Leeds Teaching Hospitals (North East and Yorkshire): finance" in (
        alice.chat.text
    )
    assert alice.chat.labels == [*(f"Peer {n}" for n in range(5)), "More", "New search"]
    first_page = alice.chat.text
    await alice.chat.press("More")
    assert alice.chat.labels == ["Peer 5", "Peer 6", "New search"]
    await alice.chat.press("Peer 6")
    assert alice.chat.labels == ["Ask for an introduction", "Back"]
    for shown in (first_page, alice.chat.text):
        assert "@" not in shown and "07700" not in shown
    await alice.chat.press("Back")
    assert "page 2 of 2" in alice.chat.text


async def test_find_by_region_and_also_new_in_post(bot: Bot) -> None:
    alice = await listed(bot, "alice", "Alice Jones")
    await listed(bot, "bob", "Bob Smith", region="London", in_post_since=date(2026, 6, 1))
    await listed(bot, "carol", "Carol White", region="South West")
    await alice.chat.press_bound(Find())
    await alice.chat.press("Region")
    assert alice.chat.labels[:2] == ["East of England", "London"]
    await alice.chat.press("London")
    assert alice.chat.labels == ["Bob Smith", "New search"]
    await alice.chat.press("New search")
    await alice.chat.press("Also new in post")
    assert "Peers also new in post" in alice.chat.text
    assert alice.chat.labels == ["Bob Smith", "New search"]


async def test_find_by_a_typed_name_or_organisation(bot: Bot) -> None:
    alice = await listed(bot, "alice", "Alice Jones")
    await listed(bot, "bob", "Bob Smith")
    await listed(bot, "carol", "Carol White", organisation="Royal Cornwall Hospitals")
    await alice.chat.press_bound(Find())
    await alice.chat.press("Name")
    await alice.chat.send("cornwall")
    assert alice.chat.labels == ["Carol White", "New search"]
    await alice.chat.press("Carol White")
    await alice.chat.press("Back")
    assert alice.chat.labels == ["Carol White", "New search"]  # the typed name is kept


async def test_no_results_says_so_kindly_and_offers_a_new_search(bot: Bot) -> None:
    alice = await listed(bot, "alice", "Alice Jones")
    await alice.chat.press_bound(Find())
    await alice.chat.press("Name")
    await alice.chat.send("Zebedee")
    assert "nobody in the directory yet" in alice.chat.text
    assert alice.chat.labels == ["New search"]


async def test_a_member_not_in_the_directory_is_told_how_to_join_and_offered_nothing(
    bot: Bot,
) -> None:
    await listed(bot, "bob", "Bob Smith")
    dave = TestChat(bot, user_id="dave", display_name="Dave")
    await join_as(bot, dave)
    await dave.press_bound(Find())
    assert dave.text == "Sorry, you're not in the directory: send /directory to join."
    assert dave.labels == []


# Asking


async def test_a_request_with_a_note_reaches_the_invitee_with_accept_not_now_and_block(
    bot: Bot,
) -> None:
    alice, bob = await alice_and_bob(bot)
    await open_ask(alice, "Bob Smith")
    assert alice.chat.labels == ["Send without a note", "Cancel"]
    assert "at most 500 characters" in alice.chat.text
    await alice.chat.send("I'd value your view on digital.")
    assert alice.chat.text == SENT.format(name="Bob Smith")
    await bob.chat.inbox()
    assert "Alice Jones would like to be introduced to you." in bob.chat.text
    assert "Their note:\nI'd value your view on digital." in bob.chat.text
    assert "alice@nhs.net" not in bob.chat.text
    assert bob.chat.labels == ["Accept", "Not now", "Block"]


async def test_a_request_without_a_note(bot: Bot) -> None:
    alice, bob = await alice_and_bob(bot)
    await asked(alice, bob)
    assert "would like to be introduced" in bob.chat.text
    assert "Their note" not in bob.chat.text


async def test_a_too_long_note_says_how_long_and_waits_for_a_shorter_one(bot: Bot) -> None:
    alice, bob = await alice_and_bob(bot)
    await ask(alice, "Bob Smith", "x" * 501)
    assert "501 characters; please keep it to 500" in alice.chat.text
    assert await bob.chat.inbox() == []
    await alice.chat.send("Shorter.")
    assert alice.chat.text == SENT.format(name="Bob Smith")


async def test_asking_again_while_waiting_is_refused_politely(bot: Bot) -> None:
    alice, bob = await alice_and_bob(bot)
    await asked(alice, bob)
    await ask(alice, "Bob Smith")
    assert alice.chat.text == "Sorry, your request to Bob Smith is still waiting for their reply."


async def test_the_sixth_waiting_request_is_refused_with_the_limit(
    bot: Bot, clock: FakeClock
) -> None:
    alice = await listed(bot, "alice", "Alice Jones")
    for n in range(6):
        await listed(bot, f"p{n}", f"Peer {n}")
    for n in range(5):
        await ask(alice, f"Peer {n}")
        assert alice.chat.text == SENT.format(name=f"Peer {n}")
        clock.advance(minutes=1)  # within the chat rate limit
    await ask(alice, "Peer 5")
    assert alice.chat.text.startswith("Sorry, you have 5 requests waiting for replies")


# Answering


async def test_accepting_gives_both_each_others_details_and_a_first_message(bot: Bot) -> None:
    alice, bob = await alice_and_bob(bot)
    await asked(alice, bob)
    await bob.chat.press("Accept")
    assert "Alice Jones, Leeds Teaching Hospitals\nEmail: alice@nhs.net" in bob.chat.text
    assert "compare notes on digital" in bob.chat.text
    await alice.chat.inbox()
    assert f"Email: {BOB_EMAIL}\nPhone: {BOB_PHONE}" in alice.chat.text
    assert "Hello Bob Smith, the CEDP bot introduced us." in alice.chat.text
    await alice.chat.press_bound(Introductions())
    assert f"Bob Smith, Leeds Teaching Hospitals\nEmail: {BOB_EMAIL}" in alice.chat.text


async def test_not_now_tells_the_requester_nothing_and_their_requests_still_say_waiting(
    bot: Bot,
) -> None:
    alice, bob = await alice_and_bob(bot)
    await asked(alice, bob)
    await bob.chat.press("Not now")
    assert bob.chat.text == NOT_NOW.format(names="Alice Jones")
    assert await alice.chat.inbox() == []
    await alice.chat.press_bound(Requests())
    assert "• Bob Smith: waiting for a reply" in alice.chat.text
    await alice.chat.press_bound(Introductions())
    assert BOB_EMAIL not in alice.chat.text


async def test_a_block_is_confirmed_then_the_requester_can_neither_find_nor_ask_again(
    bot: Bot,
) -> None:
    alice, bob = await alice_and_bob(bot)
    await asked(alice, bob)
    await bob.chat.press("Block")
    assert bob.chat.text.startswith("Block Alice Jones? They won't be told")
    await bob.chat.press("Yes, block")
    assert "won't be suggested to you" in bob.chat.text
    assert await alice.chat.inbox() == []
    await alice.chat.press_bound(Find())
    await alice.chat.press("Name")
    await alice.chat.send("Bob")
    assert "nobody in the directory yet" in alice.chat.text
    await alice.chat.press_bound(Introductions())
    assert BOB_EMAIL not in alice.chat.text


async def test_someone_else_pressing_the_invitees_accept_is_refused(bot: Bot) -> None:
    alice, bob = await alice_and_bob(bot)
    carol = await listed(bot, "carol", "Carol White")
    await asked(alice, bob)
    assert await carol.chat.press_payload(bob.chat.payload("Accept")) is not None
    assert carol.chat.text == NOT_YOURS
    await carol.chat.press_bound(Accept(1))  # bound to her, but not her introduction
    assert carol.chat.text == "Sorry, that introduction is no longer here."
    assert await alice.chat.inbox() == []
    await bob.chat.press("Accept")
    assert "alice@nhs.net" in bob.chat.text


async def test_a_request_withdrawn_after_confirming_can_no_longer_be_accepted(bot: Bot) -> None:
    alice, bob = await alice_and_bob(bot)
    await asked(alice, bob)
    accept = bob.chat.payload("Accept")
    await alice.chat.press_bound(Requests())
    await alice.chat.press("Withdraw: Bob Smith")
    assert alice.chat.labels == ["Yes, withdraw", "Keep it"]
    await alice.chat.press("Yes, withdraw")
    assert "Withdrawn: your request to Bob Smith." in alice.chat.text
    await bob.chat.press_payload(accept)
    assert bob.chat.text == "Sorry, that introduction was withdrawn."
    await alice.chat.press_bound(Requests())
    assert "• Bob Smith: you withdrew it" in alice.chat.text


async def test_the_invitee_sees_the_request_again_from_their_requests(bot: Bot) -> None:
    alice, bob = await alice_and_bob(bot)
    await asked(alice, bob)
    await bob.chat.press_bound(Requests())
    assert "Waiting for your answer:\n• Alice Jones" in bob.chat.text
    await bob.chat.press("Answer Alice Jones")
    assert bob.chat.labels == ["Accept", "Not now", "Block"]
    await bob.chat.press("Not now")
    await bob.chat.press_bound(NotNow(1))
    assert bob.chat.text == "Sorry, you've answered that one already."


# A round's proposal


async def _round(bot: Bot) -> int:
    """A one-off round for everyone listed; returns its one introduction's id."""

    async def run(repos: Repositories) -> int:
        now = bot.services.clock()
        started = await intros.start_round(repos, RoundPlan(), now, OPERATOR)
        [made] = await intros.run_round(repos, started.id, now)
        return made.id

    return await unit(bot.services.database, run)


async def test_a_round_accepted_by_one_waits_for_the_other_and_by_both_shares_details(
    bot: Bot,
) -> None:
    alice, bob = await alice_and_bob(bot)
    introduction = await _round(bot)
    await alice.chat.press_bound(Accept(introduction))
    assert alice.chat.text == (
        "Thanks: when Bob Smith says yes too, I'll send you each other's details."
    )
    assert await bob.chat.inbox() == []
    await bob.chat.press_bound(Accept(introduction))
    assert "Alice Jones, Leeds Teaching Hospitals\nEmail: alice@nhs.net" in bob.chat.text
    await alice.chat.inbox()
    assert f"Email: {BOB_EMAIL}" in alice.chat.text
