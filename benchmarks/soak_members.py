"""The soak's simulated members: mixed conversations at a steady overall pace, with each step's
reply latency and every failure counted.

A member types or presses, waits for the bot's reply (the first message or edit in their chat
that is not a notice), reads for a moment, and goes on from the buttons they were shown. A
refusal (a booking cap, a request limit) ends a conversation politely and is not a failure; an
answer that never comes, a webhook that is not 2xx, or the bot's apology for an error is.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

from benchmarks.faq_calibration import SHIPPED_EVAL
from benchmarks.soak_chat import (
    INVITATION,
    REQUEST,
    Mailbox,
    Mailboxes,
    Shown,
    Speaker,
    is_notice,
)
from benchmarks.soak_seed import BROADCAST_TEXT, RSVP_CHOICES, Account
from bot.middleware import SLOW_DOWN, SORRY
from handlers.coaching import TAKEN
from knowledge.evaluation import read_queries

REPLY_TIMEOUT = 30.0
THINK_SECONDS = (1.5, 3.0)  # reading a reply before the next step; covers one chat's pacing
NAVIGATION = frozenset(
    {"More", "New search", "Back", "Earlier", "Next day", "Pick another", "Join the waiting list"}
)
SLOT = re.compile(r"^\d\d:\d\d")
NOTE = "We're both starting an EPR programme; could we compare notes?"
COMMENT = "More protected time for the cohort days would help."
QUESTIONS = [query.text for query in read_queries(SHIPPED_EVAL)]
# How often a member starts each conversation; one that needs a notice (a check-in invitation,
# the broadcast) falls back to a question when nobody idle has one waiting.
WEIGHTS = {"question": 40, "booking": 15, "directory": 15, "check-in": 15, "rsvp": 10}


@dataclass(frozen=True)
class Latency:
    """One step's wait: from the POST (time.monotonic) to the reply reaching the platform."""

    platform: str
    posted: float
    seconds: float


@dataclass
class Tally:
    """What the run measured: reply latencies, failures by kind, conversations by outcome."""

    latencies: list[Latency] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    sent: int = 0


def apologies(shown: Sequence[Shown]) -> Counter[str]:
    """The bot's apologies for a failure or for a member sending too fast, wherever they went."""
    found: Counter[str] = Counter()
    for message in shown:
        found["'something went wrong' replies"] += SORRY in message.text
        found["'sending faster than I can answer' replies"] += SLOW_DOWN in message.text
    return +found


class Pacer:
    """Lets one message out every 1/rate seconds, whoever asks, so the overall rate is steady;
    when nobody was waiting it does not make up for the gap."""

    def __init__(self, per_second: float) -> None:
        self._gap = 1 / per_second
        self._next = time.monotonic()

    async def turn(self) -> None:
        now = time.monotonic()
        at = max(now, self._next)
        self._next = at + self._gap
        await asyncio.sleep(at - now)


class Member:
    """One simulated person in one conversation: each step posts, waits for the reply, reads."""

    def __init__(
        self, speaker: Speaker, mailbox: Mailbox, tally: Tally, pacer: Pacer, pick: random.Random
    ) -> None:
        self._speaker, self._mailbox, self._tally, self._pacer = speaker, mailbox, tally, pacer
        self.pick = pick

    async def say(self, text: str) -> list[Shown]:
        return await self._step(lambda: self._speaker.say(text))

    async def press(self, shown: Shown, label: str) -> list[Shown]:
        return await self._step(lambda: self._speaker.press(shown, label))

    async def _step(self, post: Callable[[], Awaitable[int]]) -> list[Shown]:
        """What the step brought (empty when it failed): the reply, and what followed it while
        the person read."""
        await self._pacer.turn()
        mark, posted = len(self._mailbox.shown), time.monotonic()
        status = await post()
        self._tally.sent += 1
        if not 200 <= status < 300:
            self._tally.errors[f"webhook answered {status or 'nothing'}"] += 1
            return []
        reply = await self._mailbox.first_after(mark, posted, REPLY_TIMEOUT)
        if reply is None:
            self._tally.errors[f"no reply within {REPLY_TIMEOUT:g} s"] += 1
            return []
        platform = self._speaker.person.platform
        self._tally.latencies.append(Latency(platform, posted, reply.call.at - posted))
        await asyncio.sleep(self.pick.uniform(*THINK_SECONDS))
        return [s for s in self._mailbox.shown[mark:] if s.call.at >= posted and not is_notice(s)]

    async def press_one(
        self, replies: Sequence[Shown], wanted: Callable[[str], bool]
    ) -> list[Shown] | None:
        """Press one of the buttons `wanted` accepts on the latest reply that has any; None
        when no reply offers one."""
        for shown in reversed(replies):
            labels = [label for label in shown.buttons if wanted(label)]
            if labels:
                return await self.press(shown, self.pick.choice(labels))
        return None


def _choosing(label: str) -> bool:
    return label not in NAVIGATION


def _said(replies: Sequence[Shown], start: str) -> bool:
    return any(shown.text.startswith(start) for shown in replies)


async def ask_questions(member: Member) -> str:
    for _ in range(member.pick.randint(1, 3)):
        await member.say(member.pick.choice(QUESTIONS))
    return "questions asked"


async def _through(
    member: Member, replies: list[Shown], steps: Sequence[Callable[[str], bool]]
) -> list[Shown] | None:
    """Press a button each step accepts, each on the reply to the last; None when a reply
    offers no such button (a polite refusal, or a failure already counted)."""
    for wanted in steps:
        pressed = await member.press_one(replies, wanted)
        if pressed is None:
            return None
        replies = pressed
    return replies


def _labelled(wanted: str) -> Callable[[str], bool]:
    return lambda label: label == wanted


async def book(member: Member) -> str:
    """/book, then coaching or mentoring, an area, a coach, a time, and yes."""
    steps = (
        _choosing,
        _choosing,
        _choosing,
        lambda label: bool(SLOT.match(label)),
        _labelled("Yes"),
    )
    replies = await _through(member, await member.say("/book"), steps)
    if replies is None:
        return "booking: no choice offered"
    if _said(replies, "Booked:"):
        return "booked"
    return "booking refused (taken meanwhile)" if _said(replies, TAKEN) else "booking refused"


async def ask_for_introduction(member: Member) -> str:
    """/directory, a search by interest, a peer from the results, and a request with a note."""
    steps = (
        _labelled("Find peers"),
        _labelled("Interest"),
        _choosing,
        _choosing,
        _labelled("Ask for an introduction"),
    )
    if await _through(member, await member.say("/directory"), steps) is None:
        return "introduction: no choice offered"
    sent = await member.say(NOTE)
    return "introduction requested" if _said(sent, "Sent to") else "introduction refused"


async def answer(member: Member, request: Shown) -> str:
    replies = await member.press(request, "Accept")
    return "introduction accepted" if _said(replies, "You're introduced") else "accept refused"


async def check_in(member: Member, invitation: Shown) -> str:
    """Start, then each question answered with a button, a skip, or a typed comment."""
    replies = await member.press(invitation, "Start")
    for _ in range(10):
        questions = [shown for shown in replies if shown.text.startswith("Question")]
        if not questions:
            break
        labels = list(questions[-1].buttons)
        if labels == ["Skip"] and member.pick.random() < 0.3:
            replies = await member.say(COMMENT)
        else:
            replies = await member.press(questions[-1], member.pick.choice(labels))
    return "check-in answered" if _said(replies, "That's all") else "check-in unfinished"


async def rsvp(member: Member, broadcast: Shown) -> str:
    replies = await member.press(broadcast, member.pick.choice(RSVP_CHOICES))
    return "rsvp counted" if any("Your answer" in shown.text for shown in replies) else "rsvp lost"


class Crowd:
    """Every simulated member, `lanes` of them in a conversation at any moment, until the end."""

    def __init__(
        self,
        people: Sequence[Account],
        mailboxes: Mailboxes,
        tally: Tally,
        pacer: Pacer,
        pick: random.Random,
    ) -> None:
        self._people, self._mailboxes, self._tally = people, mailboxes, tally
        self._pacer, self._pick = pacer, pick
        self._busy: set[Account] = set()

    async def run(self, url: str, lanes: int, seconds: float) -> None:
        until = time.monotonic() + seconds
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=lanes)) as http:
            await asyncio.gather(*(self._lane(http, url, until) for _ in range(lanes)))

    async def _lane(self, http: aiohttp.ClientSession, url: str, until: float) -> None:
        while time.monotonic() < until:
            person, conversation = self._next()
            member = Member(
                Speaker(http, url, person),
                self._mailboxes.of(person),
                self._tally,
                self._pacer,
                self._pick,
            )
            self._busy.add(person)
            try:
                self._tally.outcomes[await conversation(member)] += 1
            finally:
                self._busy.discard(person)

    def _next(self) -> tuple[Account, Callable[[Member], Awaitable[str]]]:
        """Someone idle and what they do: an introduction request waiting for an answer comes
        first; otherwise a conversation by WEIGHTS."""
        waiting = self._notice(REQUEST, "Accept")
        if waiting is not None:
            person, request = waiting
            return person, lambda member: answer(member, request)
        kind = self._pick.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
        if kind == "check-in" and (found := self._notice(INVITATION, "Start")):
            return found[0], lambda member: check_in(member, found[1])
        if kind == "rsvp" and (found := self._notice(BROADCAST_TEXT, RSVP_CHOICES[0])):
            return found[0], lambda member: rsvp(member, found[1])
        person = self._idle()
        if kind == "booking":
            return person, book
        if kind == "directory":
            return person, ask_for_introduction
        return person, ask_questions

    def _idle(self) -> Account:
        while (person := self._pick.choice(self._people)) in self._busy:
            pass
        return person

    def _notice(self, marker: str, button: str) -> tuple[Account, Shown] | None:
        """The oldest notice containing `marker` with `button`, to an idle person, that nobody
        acted on yet; taken from the queue."""
        waiting = self._mailboxes.notices[marker]
        for _ in range(len(waiting)):
            person, shown = waiting.popleft()
            if person in self._busy:
                waiting.append((person, shown))
            elif button in shown.buttons:
                return person, shown
        return None
