"""Check-ins for the `cedp-bot pulse` tests: definitions written as staff write them, and people
answering through services.pulse on the database the command line uses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from bot.context import utc_now
from bot.settings import Settings
from domain.people import MemberRef, Role
from services import pulse
from services.pulse_file import EXAMPLE
from storage.members import to_ref
from storage.repositories import Repositories
from tests.handlers.conftest import Cli, in_database, succeeded

QUESTIONS = EXAMPLE[EXAMPLE.index("questions:") :]  # the four questions

# One person's answers, by position: wellbeing 1-5, isolated 1 yes / 0 no, need an option's
# index, and a comment (None skips a question).
Answers = tuple[int | None, int | None, int | None, str | None]
ANSWERS: Answers = (4, 0, 1, None)  # Good, not isolated, peer support, no comment


def definition(
    title: str = "December check-in",
    *,
    opens: datetime | None = None,
    closes: datetime | None = None,
    extra: str = "",
) -> str:
    """The YAML of a check-in of the issue's four questions, open from an hour ago for a week
    unless told otherwise; `extra` adds top-level keys."""
    now = utc_now()
    opens = opens or now - timedelta(hours=1)
    closes = closes or now + timedelta(days=7)
    return (
        f"title: {title}\nopens: {opens.isoformat()}\ncloses: {closes.isoformat()}\n"
        f"{extra}{QUESTIONS}"
    )


def created(cedp_bot: Cli, folder: Path, text: str) -> int:
    """Create a check-in with `cedp-bot pulse create` and the id it printed last."""
    path = folder / f"checkin-{utc_now().timestamp()}.yaml"
    path.write_text(text, encoding="utf-8")
    ran = cedp_bot("pulse", "create", str(path))
    assert ran.code == 0, ran.err
    return int(ran.out.splitlines()[-1])


def people(
    database_url: str, count: int, *, role: Role = Role.MEMBER, tags: Sequence[str] = ()
) -> list[MemberRef]:
    """`count` people with `role` and `tags`, named so no part of a name is in a comment."""

    async def add(repos: Repositories) -> list[MemberRef]:
        existing = len(await repos.members.list())
        return [
            to_ref(
                await repos.members.create(
                    display_name=f"CE {existing + n:03d}", role=role, tags=tags, now=utc_now()
                )
            )
            for n in range(count)
        ]

    return in_database(database_url, add)


def answered(database_url: str, checkin_id: int, given: dict[MemberRef, Answers]) -> None:
    """Open the check-in (as its opening job would) and let each person answer it in turn."""
    settings = Settings(database_url=database_url, semantic="off")

    async def work(repos: Repositories) -> None:
        now = utc_now()
        await pulse.open_checkin(repos, checkin_id, now, settings)
        for member, answers in given.items():
            for position, value in enumerate(answers):
                comment = value if isinstance(value, str) else None
                number = value if isinstance(value, int) else None
                await pulse.answer(
                    repos, member, checkin_id, position, number, now, comment=comment
                )

    in_database(database_url, work)


def closed_with(cedp_bot: Cli, database_url: str, folder: Path, respondents: int) -> int:
    """A check-in `respondents` people answered with `ANSWERS`, closed; returns its id."""
    checkin_id = created(cedp_bot, folder, definition())
    given = people(database_url, respondents)
    answered(database_url, checkin_id, dict.fromkeys(given, ANSWERS))
    succeeded(cedp_bot, "pulse", "close", str(checkin_id))
    return checkin_id
