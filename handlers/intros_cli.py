"""Peer introductions at the terminal, for staff: `cedp-bot intros stats / round start / rounds
/ round stop / suspend / restore` (rules: services/intros.py, which the chat and the jobs call).

Staff see counts only: `stats` never shows a note, a contact detail or who asked whom.
`stats --json` prints one object with exactly the keys of `STATS`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.commandline import CliCommands, CommandFailed, Desk, argument, parsed_by
from bot.parsing import parse_tags, parse_time, whole_number
from domain.intros import ConsentKind
from domain.notices import DEFAULT_TIMEZONE
from domain.people import OPERATOR
from services import intros
from services.intros import ROUND_CADENCES_WEEKS, RoundPlan, Stats
from storage.intros import IntroRound
from storage.models import MAX_ID

cli = CliCommands()
group = cli.group("intros", help="peer introductions: counts, matching rounds, suspension")

LOCAL_ZONE = ZoneInfo(DEFAULT_TIMEZONE)
MAX_COOLDOWN_WEEKS = 520

# (Stats field and key in --json, label in the text form), in the order both print them.
STATS = (
    ("listed", "in the directory"),
    ("suspended", "suspended"),
    ("requests", "requests"),
    ("accepted", "accepted"),
    ("declined", "declined"),
    ("expired", "expired"),
    ("withdrawn", "withdrawn"),
    ("waiting", "waiting"),
    ("rounds", "rounds run"),
    ("round_introductions", "round introductions"),
    ("round_accepted", "round introductions accepted"),
)


def stats_json(counts: Stats) -> str:
    return json.dumps({key: getattr(counts, key) for key, _ in STATS})


def stats_lines(counts: Stats) -> list[str]:
    return [f"{label}\t{getattr(counts, key)}" for key, label in STATS]


@group.command(
    "stats",
    argument("--json", dest="as_json", action="store_true", help="one JSON object of the counts"),
    help="counts of directory entries, requests, answers and rounds: never who asked whom",
)
async def stats(desk: Desk, *, as_json: bool) -> list[str]:
    counts = await intros.stats(desk.repos, desk.now)
    return [stats_json(counts)] if as_json else stats_lines(counts)


def _local_time(text: str) -> datetime:
    return parse_time(text, LOCAL_ZONE)


def segment(found: IntroRound) -> str:
    """Who a round pairs, as staff named it: `everyone`, `tags london, new-ce`, and with
    --buddies `..., new in post with buddies`."""
    who = "tags " + ", ".join(found.tags) if found.tags else "everyone"
    return f"{who}, new in post with buddies" if found.buddies else who


def cadence(found: IntroRound) -> str:
    return f"every {found.every_weeks} weeks" if found.every_weeks else "once"


def _utc(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}" if moment else "-"


rounds_group = group.group("round", help="start or stop a matching round")


@rounds_group.command(
    "start",
    argument(
        "--tags",
        type=parsed_by(parse_tags),
        default=[],
        metavar="TAG,TAG",
        help="only members with any of these tags (default: everyone in the directory)",
    ),
    argument(
        "--buddies",
        action="store_true",
        help="pair those new in post with experienced members who volunteered as buddies",
    ),
    argument(
        "--every",
        type=int,
        choices=ROUND_CADENCES_WEEKS,
        metavar="{" + ",".join(map(str, ROUND_CADENCES_WEEKS)) + "}",
        help="repeat every 2 or 4 weeks (default: run once)",
    ),
    argument(
        "--cooldown-weeks",
        type=parsed_by(whole_number(0, MAX_COOLDOWN_WEEKS)),
        default=intros.DEFAULT_COOLDOWN_WEEKS,
        metavar="N",
        help="never pair two people introduced in the last N weeks (default: %(default)s)",
    ),
    argument(
        "--at",
        type=parsed_by(_local_time),
        metavar="TIME",
        help="first run then, e.g. 2026-12-07 09:00 (Europe/London) or ISO 8601 with an offset "
        "(default: now)",
    ),
    help="start a matching round; prints its id alone on the last line",
)
async def start(
    desk: Desk,
    *,
    tags: list[str],
    buddies: bool,
    every: int | None,
    cooldown_weeks: int,
    at: datetime | None,
) -> list[str]:
    if at is not None and at < desk.now:
        raise CommandFailed(f"not started: {_utc(at)} UTC is in the past")
    plan = RoundPlan(tuple(tags), buddies, every, cooldown_weeks, at)
    started = await intros.start_round(desk.repos, plan, desk.now, OPERATOR)
    return [
        f"Round {started.id}: {segment(started)}, {cadence(started)}, cooldown "
        f"{started.cooldown_weeks} weeks; first run {_utc(started.next_at)} UTC.",
        str(started.id),
    ]


ROUND_ID = argument(
    "round_id",
    type=parsed_by(whole_number(1, MAX_ID)),
    metavar="ID",
    help="the round's id, as `intros round start` printed it",
)


@rounds_group.command("stop", ROUND_ID, help="stop a round: it does not run again")
async def stop(desk: Desk, *, round_id: int) -> list[str]:
    stopped = await intros.stop_round(desk.repos, round_id, desk.now, OPERATOR)
    return [f"round {stopped.id} stopped at {_utc(stopped.stopped_at)} UTC; it will not run again"]


@group.command("rounds", help="every matching round: segment, cadence, runs, next run")
async def list_rounds(desk: Desk) -> list[str]:
    return [
        "id\tsegment\tcadence\truns\tnext run (UTC)\tstopped (UTC)",
        *(
            f"{found.id}\t{segment(found)}\t{cadence(found)}\t{found.runs}\t"
            f"{_utc(found.next_at)}\t{_utc(found.stopped_at)}"
            for found in await intros.rounds(desk.repos)
        ),
    ]


MEMBER_ID = argument(
    "member_id",
    type=parsed_by(whole_number(1, MAX_ID)),
    metavar="MEMBER_ID",
    help="the member's id, as `members list` shows it",
)


async def _withdrawn_now(desk: Desk, member_id: int) -> int:
    """How many introductions the consent record says were withdrawn for the member just now."""
    return sum(
        1
        for entry in await desk.repos.intros.consents_of(member_id)
        if entry.kind == ConsentKind.WITHDRAWN and entry.at == desk.now
    )


@group.command(
    "suspend",
    MEMBER_ID,
    help="take a member out of searches and rounds; their open introductions are withdrawn",
)
async def suspend(desk: Desk, *, member_id: int) -> list[str]:
    entry = await intros.set_suspended(desk.repos, member_id, True, desk.now, OPERATOR)
    if entry.suspended_at != desk.now:
        return [f"member {member_id} ({entry.name}) was suspended already"]
    withdrawn = await _withdrawn_now(desk, member_id)
    return [
        f"suspended member {member_id} ({entry.name}) from the directory; "
        f"{withdrawn} open introduction{'s' * (withdrawn != 1)} withdrawn"
    ]


@group.command("restore", MEMBER_ID, help="give a suspended member their place back")
async def restore(desk: Desk, *, member_id: int) -> list[str]:
    entry = await intros.set_suspended(desk.repos, member_id, False, desk.now, OPERATOR)
    return [f"member {member_id} ({entry.name}) is in the directory again"]
