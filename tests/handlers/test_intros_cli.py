"""`cedp-bot intros ...` as staff and scripts drive it, through `bot.cli.main` on both databases:
counts only (never who asked whom), matching rounds started, listed and stopped, and members
suspended from the directory and restored."""

from __future__ import annotations

import asyncio
import json
from datetime import date

from bot.context import utc_now
from bot.core import Bot
from bot.settings import Settings
from services import intros
from services.intros import Search
from storage.repositories import Repositories
from tests.directory_entries import listed_member
from tests.handlers.conftest import Cli, in_database, refused, succeeded

STATS_KEYS = {
    "listed",
    "requests",
    "accepted",
    "declined",
    "expired",
    "withdrawn",
    "waiting",
    "suspended",
    "rounds",
    "round_introductions",
    "round_accepted",
}


def _people(database_url: str, *names: str, tags: tuple[str, ...] = ()) -> list[int]:
    async def add(repos: Repositories) -> list[int]:
        return [await listed_member(repos, name, utc_now(), tags=tags) for name in names]

    return in_database(database_url, add)


def _request(database_url: str, asker: int, asked: int, note: str = "") -> int:
    async def work(repos: Repositories) -> int:
        return (await intros.request(repos, asker, asked, note, utc_now())).id

    return in_database(database_url, work)


def _stats(cedp_bot: Cli) -> dict[str, int]:
    return json.loads(succeeded(cedp_bot, "intros", "stats", "--json"))


def _run_due_jobs(database_url: str) -> int:
    async def run() -> int:
        bot = await Bot.start(Settings(database_url=database_url, semantic="off"))
        try:
            return await bot.scheduler.run_due()
        finally:
            await bot.close()

    return asyncio.run(run())


# Stats


def test_stats_json_has_exactly_the_promised_keys_and_counts(
    cedp_bot: Cli, database_url: str
) -> None:
    alice, bob, carol = _people(database_url, "Alice Jones", "Bob Brown", "Carol White")
    accepted = _request(database_url, alice, bob)
    _request(database_url, alice, carol)
    in_database(database_url, lambda repos: intros.answer(repos, bob, accepted, True, utc_now()))

    counts = _stats(cedp_bot)

    assert set(counts) == STATS_KEYS
    assert counts == dict.fromkeys(STATS_KEYS, 0) | {
        "listed": 3,
        "requests": 2,
        "accepted": 1,
        "waiting": 1,
    }


def test_stats_text_is_one_count_a_line_and_never_a_name_or_a_note(
    cedp_bot: Cli, database_url: str
) -> None:
    alice, bob = _people(database_url, "Alice Jones", "Bob Brown")
    _request(database_url, alice, bob, note="About our merger, in confidence")

    out = succeeded(cedp_bot, "intros", "stats")

    rows = [line.split("\t") for line in out.splitlines()]
    assert len(rows) == len(STATS_KEYS)
    assert all(len(row) == 2 and row[1].isdigit() for row in rows)
    assert ["in the directory", "2"] in rows and ["waiting", "1"] in rows
    for secret in ("Alice", "Bob", "merger"):
        assert secret not in out


# Rounds


def test_a_round_started_is_run_by_the_scheduler_and_pairs_people(
    cedp_bot: Cli, database_url: str
) -> None:
    alice, bob = _people(database_url, "Alice Jones", "Bob Brown")

    out = succeeded(cedp_bot, "intros", "round", "start", "--every", "2", "--cooldown-weeks", "8")
    round_id = out.splitlines()[-1]
    assert round_id.isdigit()
    assert f"Round {round_id}: everyone, every 2 weeks, cooldown 8 weeks" in out

    assert _run_due_jobs(database_url) == 1

    counts = _stats(cedp_bot)
    assert (counts["rounds"], counts["round_introductions"], counts["requests"]) == (1, 1, 0)
    mine = in_database(database_url, lambda repos: intros.introductions_of(repos, alice))
    assert [sorted(party.member_id for party in i.parties) for i in mine] == [[alice, bob]]
    [header, row] = succeeded(cedp_bot, "intros", "rounds").splitlines()
    assert header == "id\tsegment\tcadence\truns\tnext run (UTC)\tstopped (UTC)"
    assert row.split("\t")[:4] == [round_id, "everyone", "every 2 weeks", "1"]
    assert row.endswith("\t-")


def test_a_round_for_a_segment_of_buddies_at_a_local_time(cedp_bot: Cli, database_url: str) -> None:
    out = succeeded(
        cedp_bot,
        "intros", "round", "start", "--tags", "new-ce,london", "--buddies",
        "--at", "2030-06-03 09:00",
    )  # fmt: skip

    assert out.splitlines()[0].endswith(
        ": tags london, new-ce, new in post with buddies, once, cooldown 12 weeks; "
        "first run 2030-06-03 08:00 UTC."  # British Summer Time
    )
    assert _run_due_jobs(database_url) == 0  # not due yet


def test_a_round_stopped_does_not_run(cedp_bot: Cli, database_url: str) -> None:
    _people(database_url, "Alice Jones", "Bob Brown")
    round_id = succeeded(cedp_bot, "intros", "round", "start").splitlines()[-1]

    out = succeeded(cedp_bot, "intros", "round", "stop", round_id)

    assert out.startswith(f"round {round_id} stopped at ")
    assert _run_due_jobs(database_url) == 0
    assert _stats(cedp_bot)["round_introductions"] == 0
    assert succeeded(cedp_bot, "intros", "rounds").splitlines()[1].split("\t")[4] == "-"


def test_round_refusals_are_one_line_and_change_nothing(cedp_bot: Cli, database_url: str) -> None:
    assert refused(cedp_bot, "intros", "round", "stop", "99") == "cedp-bot: there is no round 99"
    assert "is in the past" in refused(
        cedp_bot, "intros", "round", "start", "--at", "2020-01-01 09:00"
    )
    assert "invalid choice: 3" in refused(cedp_bot, "intros", "round", "start", "--every", "3")
    assert "is not a time" in refused(cedp_bot, "intros", "round", "start", "--at", "soon")
    assert succeeded(cedp_bot, "intros", "rounds").splitlines()[1:] == []


# Suspension


def _found_by(database_url: str, viewer: int) -> list[str]:
    async def look(repos: Repositories) -> list[str]:
        return [e.name for e in await intros.search(repos, viewer, Search(), date.today())]

    return in_database(database_url, look)


def test_a_suspended_member_is_hidden_and_their_open_requests_withdrawn_until_restored(
    cedp_bot: Cli, database_url: str
) -> None:
    alice, bob, carol = _people(database_url, "Alice Jones", "Bob Brown", "Carol White")
    _request(database_url, bob, alice)
    _request(database_url, carol, bob)

    out = succeeded(cedp_bot, "intros", "suspend", str(bob))

    assert out.strip() == (
        f"suspended member {bob} (Bob Brown) from the directory; 2 open introductions withdrawn"
    )
    assert _found_by(database_url, alice) == ["Carol White"]
    counts = _stats(cedp_bot)
    assert (counts["suspended"], counts["waiting"]) == (1, 0)
    assert succeeded(cedp_bot, "intros", "suspend", str(bob)).strip() == (
        f"member {bob} (Bob Brown) was suspended already"
    )

    out = succeeded(cedp_bot, "intros", "restore", str(bob))

    assert out.strip() == f"member {bob} (Bob Brown) is in the directory again"
    assert _found_by(database_url, alice) == ["Bob Brown", "Carol White"]


def test_suspending_someone_not_in_the_directory_is_refused(
    cedp_bot: Cli, database_url: str
) -> None:
    assert refused(cedp_bot, "intros", "suspend", "42") == (
        "cedp-bot: member 42 is not in the directory"
    )
    assert "must be a whole number" in refused(cedp_bot, "intros", "restore", "bob")
