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
from tests.e2e.loopback import (
    LoopbackPlatforms,
    RecordedCall,
    slack_dm_channel,
    slack_group_dm_channel,
)
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


def _to(platforms: LoopbackPlatforms, user: str) -> list[RecordedCall]:
    """What the bot posted or updated in the user's DM, in order."""
    channel = slack_dm_channel(user)
    return [
        call
        for call in platforms.calls
        if call.ok
        and call.method in {"chat.postMessage", "chat.update"}
        and call.params["channel"] == channel
    ]


def _latest(platforms: LoopbackPlatforms, user: str) -> RecordedCall:
    return _to(platforms, user)[-1]


async def _answered(platforms: LoopbackPlatforms, user: str, before: int) -> RecordedCall:
    await eventually(lambda: len(_to(platforms, user)) > before, 10, f"the answer to {user}")
    return _latest(platforms, user)


async def _say(served: Served, platforms: LoopbackPlatforms, user: str, text: str) -> RecordedCall:
    before = len(_to(platforms, user))
    await dm(served, user, text, f"Ev-{user}-{before}")
    return await _answered(platforms, user, before)


async def _press(
    served: Served, platforms: LoopbackPlatforms, user: str, shown: RecordedCall, label: str
) -> RecordedCall:
    """Press `label` on the message `shown`; the message (or its update) that answers."""
    before = len(_to(platforms, user))
    ts = shown.answer.get("ts") or shown.params.get("ts")
    await press(served, user, buttons(shown)[label], channel=slack_dm_channel(user), message_ts=ts)
    return await _answered(platforms, user, before)


def _introduced(platforms: LoopbackPlatforms, user: str) -> list[dict[str, str]]:
    """The buttons of each "You're introduced" message the user got (posted or edited in)."""
    channel = slack_dm_channel(user)
    return [
        buttons(call)
        for call in platforms.calls_to("chat.postMessage") + platforms.calls_to("chat.update")
        if call.params["channel"] == channel and "You're introduced" in call.params["text"]
    ]


async def test_an_introduction_from_request_to_accepted_opens_a_group_dm_with_both_users(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    await _listed(served, platforms, ALICE, "Alice Jones")
    await _listed(served, platforms, BOB, "Bob Smith")

    shown = await _say(served, platforms, ALICE, "/directory")
    for label in ("Find peers", "Interest", "Digital", "Bob Smith", "Ask for an introduction"):
        shown = await _press(served, platforms, ALICE, shown, label)
    sent = await _press(served, platforms, ALICE, shown, "Send without a note")
    assert sent.params["text"].startswith("Sent to Bob Smith.")
    await eventually(
        lambda: "would like to be introduced" in _latest(platforms, BOB).params["text"],
        10,
        "the request reaches Bob through the outbox",
    )
    await _press(served, platforms, BOB, _latest(platforms, BOB), "Accept")
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
