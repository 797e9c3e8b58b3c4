"""An introduction on Slack, over HTTP: the person asked presses Accept, both get each other's
details with a button to open a group DM, and pressing it opens one conversation with both
users (conversations.open with a list) where the bot introduces them."""

from __future__ import annotations

from domain.intros import ContactKind
from handlers.intros import Accept
from services import intros
from services.intros import ProfileDraft
from storage.repositories import Repositories
from tests.conftest import create_invite, eventually, unit
from tests.e2e.conftest import Served
from tests.e2e.loopback import LoopbackPlatforms, slack_dm_channel, slack_group_dm_channel
from tests.e2e.test_slack import buttons, dm, posted_to, press

ALICE, BOB = "U0ALICE", "U0BOB"


async def _listed(served: Served, platforms: LoopbackPlatforms, user: str, name: str) -> int:
    """A Slack member in the directory sharing their Slack account; returns their id."""
    before = len(posted_to(platforms, slack_dm_channel(user)))
    await dm(served, user, f"/join {await create_invite(served.bot)}", f"Ev-{user}-join")
    await eventually(
        lambda: len(posted_to(platforms, slack_dm_channel(user))) > before, 10, f"{user} joined"
    )
    draft = ProfileDraft(
        name=name,
        organisation="Leeds Teaching Hospitals",
        region="North East and Yorkshire",
        in_post_since=None,
        interests=("digital",),
        shares=frozenset({ContactKind.SLACK}),
    )

    async def save(repos: Repositories) -> int:
        member = await repos.members.find_by_identity("slack", user)
        assert member is not None
        await intros.save_profile(repos, member.id, draft, served.bot.services.clock())
        return member.id

    return await unit(served.bot.services.database, save)


def _introduced(platforms: LoopbackPlatforms, user: str) -> list[dict[str, str]]:
    """The buttons of each "You're introduced" message the user got (posted or edited in)."""
    channel = slack_dm_channel(user)
    return [
        buttons(call)
        for call in platforms.calls_to("chat.postMessage") + platforms.calls_to("chat.update")
        if call.params["channel"] == channel and "You're introduced" in call.params["text"]
    ]


async def test_an_accepted_introduction_opens_a_group_dm_with_both_users(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    alice = await _listed(served, platforms, ALICE, "Alice Jones")
    bob = await _listed(served, platforms, BOB, "Bob Smith")

    async def request(repos: Repositories) -> int:
        made = await intros.request(repos, alice, bob, "", served.bot.services.clock())
        return made.id

    introduction = await unit(served.bot.services.database, request)
    accept = served.bot.services.binder.bind(Accept(introduction).pack(), "slack", BOB)
    await press(served, BOB, accept, channel=slack_dm_channel(BOB))
    await eventually(lambda: _introduced(platforms, BOB), 10, "Bob introduced")
    await eventually(lambda: _introduced(platforms, ALICE), 10, "Alice introduced by the outbox")
    [alices] = _introduced(platforms, ALICE)
    assert "Open a group DM" in _introduced(platforms, BOB)[0]

    await press(served, ALICE, alices["Open a group DM"], channel=slack_dm_channel(ALICE))
    group = slack_group_dm_channel([ALICE, BOB])
    await eventually(lambda: posted_to(platforms, group), 10, "the group DM's first message")
    [opened] = [
        call for call in platforms.calls_to("conversations.open") if "," in call.params["users"]
    ]
    assert opened.params["users"] == f"{ALICE},{BOB}"
    [hello] = posted_to(platforms, group)
    assert "Alice Jones and Bob Smith" in hello.params["text"]
