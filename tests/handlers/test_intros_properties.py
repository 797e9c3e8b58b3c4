"""No message carries anyone's contact details without their yes, whatever members do.

A handful of members on the test adapter, each sharing a unique email, act at random through
the bot's own buttons (bound to them, as they would press them): ask for introductions, accept,
say not now, block, withdraw, leave and rejoin the directory, stop or start sharing their email,
look at their introductions; time passes and the scheduler runs reminders and lapses. After
every step, every message each member received (replies and what the outbox brought them) is
read, and none to A may hold B's email unless, by this test's own bookkeeping, A and B each
said yes to the other (asked for, or accepted, an introduction) since they last joined the
directory, both are in it, B shares that email now, and neither blocked the other.
`CEDP_FUZZ_EXAMPLES` sets the number of examples (50).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Choices, Edit, Reply, Text
from domain.intros import ContactKind
from handlers.directory import ConfirmLeave
from handlers.intros import (
    Accept,
    ConfirmBlock,
    ConfirmWithdraw,
    Introductions,
    NotNow,
    SendWithoutNote,
)
from services import intros
from services.intros import ProfileDraft
from tests.conftest import FakeClock, unit, wipe_all_but_keys
from tests.directory_entries import listed_member

EXAMPLES = int(os.environ.get("CEDP_FUZZ_EXAMPLES", "50"))
PROPERTIES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ACTIONS = (
    "ask",
    "ask",
    "accept",
    "accept",
    "not_now",
    "block",
    "withdraw",
    "leave",
    "rejoin",
    "toggle_email",
    "look",
    "wait",
)


@dataclass
class Person:
    id: int
    chat: TestChat
    email: str
    listed: bool = True
    sharing: bool = True
    said_yes_to: set[int] = field(default_factory=set)  # since they last joined


def _text(reply: Reply) -> str:
    return reply.text if isinstance(reply, Text | Choices | Edit) else ""


class World:
    def __init__(self, bot: Bot, clock: FakeClock, data: st.DataObject) -> None:
        self.bot, self.clock, self.data = bot, clock, data
        self.people: list[Person] = []
        self.blocked: set[frozenset[int]] = set()

    async def unit(self, work):  # type: ignore[no-untyped-def]
        return await unit(self.bot.services.database, work)

    async def add(self, number: int) -> None:
        account, name = f"m{number}", f"Member{number} Test"
        email = f"member{number}.contact@trust{number}.nhs.example"
        now = self.clock.now
        member_id = await self.unit(
            lambda repos: listed_member(repos, name, now, account=account, email=email)
        )
        self.people.append(Person(member_id, TestChat(self.bot, user_id=account), email))

    def _pick(self) -> Person:
        return self.data.draw(st.sampled_from(self.people))

    def _pair(self) -> tuple[Person, Person]:
        one = self._pick()
        other = self.data.draw(st.sampled_from([p for p in self.people if p is not one]))
        return one, other

    async def _open_with(self, me: Person) -> list[tuple[int, list[int]]]:
        """(introduction, others) of the member's introductions, as stored: only to press
        buttons the bot could have shown them."""
        found = await self.unit(lambda repos: intros.introductions_of(repos, me.id))
        return [(i.id, i.others(me.id)) for i in found]

    async def _press_on_one(  # type: ignore[no-untyped-def]
        self, me: Person, kind, before=lambda other: None
    ) -> None:
        """Press `kind` on one of the member's introductions; `before(other)` records what the
        press means first, as the person means it when they press."""
        mine = await self._open_with(me)
        if not mine:
            return
        introduction, others = self.data.draw(st.sampled_from(mine))
        for other in others:
            before(other)
        await self.say(me, await me.chat.press_bound(kind(introduction)))

    # Actions

    async def ask(self) -> None:
        asker, asked = self._pair()
        asker.said_yes_to.add(asked.id)  # asking is a yes, if the bot lets it through
        await self.say(asker, await asker.chat.press_bound(SendWithoutNote(asked.id)))

    async def accept(self) -> None:
        me = self._pick()
        await self._press_on_one(me, Accept, me.said_yes_to.add)

    async def not_now(self) -> None:
        await self._press_on_one(self._pick(), NotNow)

    async def block(self) -> None:
        me = self._pick()
        await self._press_on_one(
            me, ConfirmBlock, lambda other: self.blocked.add(frozenset((me.id, other)))
        )

    async def withdraw(self) -> None:
        await self._press_on_one(self._pick(), ConfirmWithdraw)

    async def leave(self) -> None:
        me = self._pick()
        await self.say(me, await me.chat.press_bound(ConfirmLeave()))
        me.listed, me.said_yes_to = False, set()

    async def rejoin(self) -> None:
        me = self._pick()
        if me.listed:
            return
        await self._save(me, sharing=True)
        me.listed, me.sharing, me.said_yes_to = True, True, set()

    async def toggle_email(self) -> None:
        me = self._pick()
        if me.listed:
            await self._save(me, sharing=not me.sharing)
            me.sharing = not me.sharing

    async def look(self) -> None:
        me = self._pick()
        await self.say(me, await me.chat.press_bound(Introductions()))

    async def wait(self) -> None:
        self.clock.advance(days=self.data.draw(st.sampled_from([1, 3, 6])))
        await self.bot.scheduler.run_due()

    async def _save(self, me: Person, *, sharing: bool) -> None:
        draft = ProfileDraft(
            name=f"Member{me.id} Test",
            organisation="Some NHS Trust",
            region="London",
            in_post_since=None,
            interests=("finance",),
            shares=frozenset({ContactKind.EMAIL}) if sharing else frozenset(),
            email=me.email if sharing else None,
        )
        now = self.clock.now
        await self.unit(lambda repos: intros.save_profile(repos, me.id, draft, now))

    # The property

    def may_see(self, viewer: Person, owner: Person) -> bool:
        return (
            viewer.id in owner.said_yes_to
            and owner.id in viewer.said_yes_to
            and viewer.listed
            and owner.listed
            and owner.sharing
            and frozenset((viewer.id, owner.id)) not in self.blocked
        )

    async def say(self, to: Person, replies: list[Reply]) -> None:
        """Check what reached `to`: the replies, then everything the outbox holds for anyone."""
        self.check(to, replies)
        for person in self.people:
            self.check(person, await person.chat.inbox())

    def check(self, to: Person, replies: list[Reply]) -> None:
        for reply in replies:
            for owner in self.people:
                if owner is not to and owner.email in _text(reply):
                    assert self.may_see(to, owner), (
                        f"member {to.id} was sent member {owner.id}'s email: {_text(reply)!r}"
                    )


@PROPERTIES
@given(data=st.data())
async def test_no_message_carries_contact_details_without_their_owners_yes(
    bot: Bot, clock: FakeClock, data: st.DataObject
) -> None:
    await wipe_all_but_keys(bot)
    world = World(bot, clock, data)
    for number in range(data.draw(st.integers(2, 5))):
        await world.add(number)
    for action in data.draw(st.lists(st.sampled_from(ACTIONS), min_size=4, max_size=16)):
        clock.advance(minutes=1)  # a step a minute keeps everyone inside the rate limit
        await getattr(world, action)()
        await world.say(world.people[0], [])
