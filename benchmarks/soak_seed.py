"""The soak's population, written straight into a fresh database before the server starts:
members on Telegram and Slack, every one in the peer directory, coaches with weekday hours, a
check-in opening now and a broadcast with RSVP buttons due part-way through the run."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from benchmarks.pulse import QUESTIONS
from domain.intros import REGIONS, SUGGESTED_INTERESTS, ContactKind
from domain.people import OPERATOR
from domain.pulse import Definition
from services import intros, pulse
from services.intros import ProfileDraft
from storage.repositories import Repositories
from tests.coaching_people import add_coach
from tests.conftest import unit
from tests.e2e.loopback import slack_dm_channel
from tests.e2e.roster import Roster

FIRST_TELEGRAM_USER = 20_000_000
SLACK_SHARE = 5  # one member in five writes from Slack
COACHES = 20
BROADCAST_TEXT = "Soak broadcast: the spring residential in Leeds is confirmed. Will you come?"
RSVP_CHOICES = ("I'll be there", "Not this time")
CHECKIN_TITLE = "Soak check-in"
SURNAMES = ("Jones", "Shah", "Okafor", "Brown", "Evans", "Patel", "Murphy", "Clarke")


@dataclass(frozen=True)
class Account:
    """Where one simulated member writes from: Telegram (a private chat id) or Slack (a user)."""

    platform: str
    external_id: str

    @property
    def chat(self) -> int | str:
        """The recipient the bot's messages to them name: the chat id, or the DM channel."""
        if self.platform == "telegram":
            return int(self.external_id)
        return slack_dm_channel(self.external_id)


def accounts(count: int) -> list[Account]:
    """`count` accounts, every SLACK_SHARE-th of them on Slack."""
    return [
        Account("slack", f"U{FIRST_TELEGRAM_USER + n}")
        if n % SLACK_SHARE == 0
        else Account("telegram", str(FIRST_TELEGRAM_USER + n))
        for n in range(count)
    ]


def _profile(number: int, pick: random.Random) -> ProfileDraft:
    name = f"Member {number:04} {pick.choice(SURNAMES)}"
    return ProfileDraft(
        name=name,
        organisation=f"{pick.choice(SURNAMES)} {number} NHS Trust",
        region=pick.choice(REGIONS),
        in_post_since=date(pick.randint(2015, 2026), pick.randint(1, 10), 1),
        interests=tuple(pick.sample(SUGGESTED_INTERESTS, pick.randint(1, 4))),
        shares=frozenset({ContactKind.EMAIL}),
        email=f"member{number}@nhs.example",
        buddy=pick.random() < 0.2,
    )


async def populate(database_url: str, people: list[Account], broadcast_at: datetime) -> None:
    """Members for `people`, their directory entries, the coaches, the check-in and the
    broadcast to everyone at `broadcast_at`."""
    now = datetime.now(UTC)
    pick = random.Random(15)
    async with Roster.open(database_url) as roster:
        member_ids = []
        for platform in ("telegram", "slack"):
            mine = [person.external_id for person in people if person.platform == platform]
            member_ids += await roster.add_members(platform, mine)

        async def fill(repos: Repositories) -> None:
            for number, member_id in enumerate(member_ids):
                await intros.save_profile(repos, member_id, _profile(number, pick), now)
            for number in range(COACHES):
                await add_coach(repos, f"Coach {number:02} {pick.choice(SURNAMES)}", now)
            checkin = Definition(CHECKIN_TITLE, now, now + timedelta(days=7), QUESTIONS)
            await pulse.create(repos, checkin, now, OPERATOR)

        await unit(roster.database, fill)
        await roster.broadcast(BROADCAST_TEXT, choices=RSVP_CHOICES, send_at=broadcast_at)
