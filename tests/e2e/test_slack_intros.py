"""An introduction on Slack, over HTTP: one member finds another in the directory and asks with
buttons, the person asked presses Accept, both get each other's details with a button to open a
group DM, and pressing it opens one conversation with both users (conversations.open with a
list) where the bot introduces them."""

from __future__ import annotations

from domain.intros import ContactKind
from services import intros
from services.intros import ProfileDraft
from storage.repositories import Repositories
from tests.conftest import create_invite, eventually, unit
from tests.e2e.conftest import Served
from tests.e2e.loopback import LoopbackPlatforms, slack_group_dm_channel
from tests.e2e.people import SlackPerson
from tests.e2e.test_slack import buttons, posted_to, press

ALICE, BOB = "U0ALICE", "U0BOB"


async def _listed(served: Served, person: SlackPerson, name: str) -> int:
    """A Slack member in the directory sharing their Slack account; returns their id."""
    await person.type(f"/join {await create_invite(served.bot)}")
    draft = ProfileDraft(
        name=name,
        organisation="Leeds Teaching Hospitals",
        region="North East and Yorkshire",
        in_post_since=None,
        interests=("digital",),
        shares=frozenset({ContactKind.SLACK}),
    )

    async def save(repos: Repositories) -> int:
        member = await repos.members.find_by_identity("slack", person.user)
        assert member is not None
        await intros.save_profile(repos, member.id, draft, served.bot.services.clock())
        return member.id

    return await unit(served.bot.services.database, save)


def _introduced(person: SlackPerson) -> list[dict[str, str]]:
    """The buttons of each "You're introduced" message the person got (posted or edited in)."""
    return [
        buttons(call) for call in person.received() if "You're introduced" in call.params["text"]
    ]


async def test_an_introduction_from_request_to_accepted_opens_a_group_dm_with_both_users(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    alice, bob = SlackPerson(served, platforms, ALICE), SlackPerson(served, platforms, BOB)
    await _listed(served, alice, "Alice Jones")
    await _listed(served, bob, "Bob Smith")

    shown = await alice.type("/directory")
    for label in ("Find peers", "Interest", "Digital", "Bob Smith", "Ask for an introduction"):
        shown = await alice.press(shown, label)
    sent = await alice.press(shown, "Send without a note")
    assert sent.params["text"].startswith("Sent to Bob Smith.")
    await eventually(
        lambda: "would like to be introduced" in bob.received()[-1].params["text"],
        10,
        "the request reaches Bob through the outbox",
    )
    await bob.press(bob.received()[-1], "Accept")
    await eventually(lambda: _introduced(bob), 10, "Bob introduced")
    await eventually(lambda: _introduced(alice), 10, "Alice introduced by the outbox")
    [alices] = _introduced(alice)
    assert "Open a group DM" in _introduced(bob)[0]

    await press(served, ALICE, alices["Open a group DM"], channel=alice.channel)
    group = slack_group_dm_channel([ALICE, BOB])
    await eventually(lambda: posted_to(platforms, group), 10, "the group DM's first message")
    [opened] = [
        call for call in platforms.calls_to("conversations.open") if "," in call.params["users"]
    ]
    assert opened.params["users"] == f"{ALICE},{BOB}"
    [hello] = posted_to(platforms, group)
    assert "Alice Jones and Bob Smith" in hello.params["text"]
