"""An introduction over the Telegram webhook, from request to accepted: Alice finds Bob in the
directory and asks with a note, Bob receives the request with its buttons, presses Accept, and
both receive each other's chosen details; nothing with Bob's details reaches Alice before."""

from __future__ import annotations

from datetime import date

from domain.intros import ContactKind
from services import intros
from services.intros import ProfileDraft
from storage.repositories import Repositories
from tests.conftest import create_invite, eventually, unit
from tests.e2e.conftest import Served
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.people import Person

ALICE, BOB = 6001, 6002
BOB_EMAIL, BOB_PHONE = "bob.smith@leedsth.nhs.uk", "07700 900456"
ALICE_EMAIL = "alice.jones@northshire.nhs.uk"


async def _listed(served: Served, person: Person, name: str, draft: ProfileDraft) -> None:
    welcome = await person.type(f"/join {await create_invite(served.bot)}")
    assert "Welcome" in welcome.params["text"]

    async def save(repos: Repositories) -> None:
        member = await repos.members.find_by_identity("telegram", str(person.user_id))
        assert member is not None
        await intros.save_profile(repos, member.id, draft, served.bot.services.clock())

    await unit(served.bot.services.database, save)


async def test_an_introduction_from_request_to_accepted_with_buttons(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    alice = Person(served, platforms, ALICE, 1)
    bob = Person(served, platforms, BOB, 5000)
    await _listed(
        served,
        alice,
        "Alice Jones",
        ProfileDraft(
            name="Alice Jones",
            organisation="Northshire NHS Trust",
            region="London",
            in_post_since=date(2026, 9, 1),
            interests=("digital", "finance"),
            shares=frozenset({ContactKind.EMAIL}),
            email=ALICE_EMAIL,
        ),
    )
    await _listed(
        served,
        bob,
        "Bob Smith",
        ProfileDraft(
            name="Bob Smith",
            organisation="Leeds Teaching Hospitals",
            region="North East and Yorkshire",
            in_post_since=date(2019, 4, 1),
            interests=("digital",),
            talk_about="Electronic patient records",
            shares=frozenset({ContactKind.EMAIL, ContactKind.PHONE, ContactKind.TELEGRAM}),
            email=BOB_EMAIL,
            phone=BOB_PHONE,
        ),
    )

    menu = await alice.type("/directory")
    shown = await alice.press(menu, "Find peers")
    shown = await alice.press(shown, "Interest")
    shown = await alice.press(shown, "Digital")
    assert "Bob Smith" in shown.params["text"]
    shown = await alice.press(shown, "Bob Smith")
    assert "Electronic patient records" in shown.params["text"]
    await alice.press(shown, "Ask for an introduction")
    sent = await alice.type("We're both starting an EPR programme; could we compare notes?")
    assert sent.params["text"].startswith("Sent to Bob Smith.")

    await eventually(
        lambda: "would like to be introduced" in bob.received()[-1].params["text"],
        10,
        "the request reaches Bob through the outbox",
    )
    request = bob.received()[-1]
    assert "could we compare notes?" in request.params["text"]
    assert ALICE_EMAIL not in request.params["text"]  # Bob hasn't got Alice's yes to him yet
    assert all(BOB_EMAIL not in call.params["text"] for call in alice.received())

    accepted = await bob.press(request, "Accept")
    assert accepted.params["text"].startswith("You're introduced")
    assert ALICE_EMAIL in accepted.params["text"]
    await eventually(
        lambda: any(BOB_EMAIL in call.params["text"] for call in alice.received()),
        10,
        "Bob's details reach Alice",
    )
    [introduced] = [call for call in alice.received() if BOB_EMAIL in call.params["text"]]
    assert BOB_PHONE in introduced.params["text"]
    assert f"tg://user?id={BOB}" in introduced.params["text"]
