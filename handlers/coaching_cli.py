"""Coaching at the terminal, for staff: `cedp-bot coaching import / export / bookings /
utilisation` (rules: services/coaching_import.py and services/coaching.py, which the chat calls
too).

`bookings --json` prints one object per line with exactly the keys `coach`, `member`, `start`
and `status`; `start` is ISO 8601 in UTC with a `Z`, to the second: `2026-12-09T14:00:00Z`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.commandline import CliCommands, Desk, argument, parsed_by, read_text_file
from bot.parsing import whole_number
from domain.people import OPERATOR
from services import coaching as rules
from services.coaching import Session, upcoming_sessions
from services.coaching_import import export_coaches, import_coaches, read_coaches

cli = CliCommands()
coaching = cli.group("coaching", help="coaches and mentors, their bookings and utilisation")

MAX_DAYS = 366


def iso_utc(moment: datetime) -> str:
    """`2026-12-09T14:00:00Z`: the form `bookings --json` promises."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@coaching.command(
    "import",
    argument("file", type=Path, metavar="FILE.yaml", help="coaches in the format of the export"),
    help="add and update coaches from a YAML file; all of it or, with any problem, none",
)
async def import_file(desk: Desk, *, file: Path) -> list[str]:
    entries = read_coaches(read_text_file(file), str(file))
    report = await import_coaches(desk.repos, entries, desk.now, OPERATOR)
    return [
        *(f"added\t{name}" for name in report.added),
        *(f"updated\t{name}" for name in report.updated),
        *(f"unchanged\t{name}" for name in report.unchanged),
        f"{len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged",
    ]


@coaching.command("export", help="every coach as YAML, in the format `coaching import` reads")
async def export(desk: Desk) -> list[str]:
    return [(await export_coaches(desk.repos)).rstrip("\n")]


def _as_json(session: Session) -> str:
    return json.dumps(
        {
            "coach": session.coach.name,
            "member": session.member_name,
            "start": iso_utc(session.booking.start_at),
            "status": session.booking.status,
        },
        ensure_ascii=False,
    )


def _as_row(session: Session) -> str:
    return (
        f"{session.booking.start_at.astimezone(UTC):%Y-%m-%d %H:%M}\t{session.coach.name}\t"
        f"{session.member_name}\t{session.booking.status}"
    )


@coaching.command(
    "bookings",
    argument("--coach", metavar="NAME", help="only this coach's sessions"),
    argument(
        "--json",
        dest="as_json",
        action="store_true",
        help="one JSON object a line: coach, member, start (UTC, e.g. 2026-12-09T14:00:00Z), "
        "status",
    ),
    help="upcoming sessions, earliest first",
)
async def bookings(desk: Desk, *, coach: str | None, as_json: bool) -> list[str]:
    sessions = await upcoming_sessions(desk.repos, desk.now, coach)
    if as_json:
        return [_as_json(session) for session in sessions]
    return ["start (UTC)\tcoach\tmember\tstatus", *(_as_row(session) for session in sessions)]


@coaching.command(
    "utilisation",
    argument(
        "--days",
        type=parsed_by(whole_number(1, MAX_DAYS)),
        default=28,
        metavar="N",
        help=f"sessions starting in the next N days, 1 to {MAX_DAYS} (default: %(default)s)",
    ),
    help="sessions per coach, booked and cancelled: counts only",
)
async def utilisation(desk: Desk, *, days: int) -> list[str]:
    counts = await rules.utilisation(desk.repos, desk.now, desk.now + timedelta(days=days))
    return [
        "coach\tkind\tbooked\tcancelled",
        *(f"{u.coach.name}\t{u.coach.kind}\t{u.booked}\t{u.cancelled}" for u in counts),
    ]
