"""Pulse check-ins at the terminal, for staff: `cedp-bot pulse create / list / close / results`
(rules: services/pulse.py, which the chat and the jobs call too).

`create` reads the YAML format of services/pulse_file.py and prints the check-in's id alone on
the last line. `results` goes through the one role check in services.pulse.results: the
operator at the terminal counts as staff (domain.people.OPERATOR), and `--as MEMBER_ID` views
as that member, refused unless they are staff, in which case no file is written. `--json` prints
one object and nothing else (handlers/pulse_export.py); otherwise the text staff read in chat,
followed by the paths of the files written.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.commandline import (
    CliCommands,
    CommandFailed,
    Desk,
    argument,
    parsed_by,
    read_text_file,
)
from bot.dates import moment_text
from bot.parsing import whole_number
from domain.notices import DEFAULT_TIMEZONE
from domain.people import OPERATOR, MemberRef
from handlers.pulse_export import results_csv, results_json, results_png
from handlers.pulse_results import results_text
from services import pulse
from services.pulse_file import read_definition
from storage.members import to_ref
from storage.models import MAX_ID
from storage.pulse import PulseCheckin

cli = CliCommands()
group = cli.group("pulse", help="confidential check-ins: create, list, close, results")

UK = ZoneInfo(DEFAULT_TIMEZONE)


def _when(checkin: PulseCheckin) -> str:
    return (
        f"opens {moment_text(checkin.opens_at, UK)}, "
        f"closes {moment_text(checkin.closes_at, UK)} ({UK.key})"
    )


def _one_field(text: str) -> str:
    """Text as one field of a tab-separated line: any run of whitespace, tabs too, one space."""
    return " ".join(text.split())


@group.command(
    "create",
    argument("file", type=Path, metavar="FILE.yaml", help="the check-in, in the YAML format"),
    help="create a check-in from a YAML file; prints its id alone on the last line",
)
async def create(desk: Desk, *, file: Path) -> list[str]:
    definition = read_definition(read_text_file(file), str(file), desk.now)
    checkin = await pulse.create(desk.repos, definition, desk.now, OPERATOR)
    questions = ", ".join(f"{q.id} ({q.kind})" for q in definition.questions)
    lines = [
        f"Check-in {checkin.id} “{checkin.title}”: {_when(checkin)}.",
        f"{len(definition.questions)} questions: {questions}.",
        f"Sent to: {', '.join(checkin.segment) or 'every member'}.",
    ]
    if checkin.breakdown:
        lines.append(f"Results may compare: {', '.join(checkin.breakdown)}.")
    return [*lines, str(checkin.id)]


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(UK):%Y-%m-%d %H:%M}"


@group.command(
    "list", help="every check-in, latest first: state, times, how many sent and answered"
)
async def list_checkins(desk: Desk) -> list[str]:
    return [
        f"id\tstate\topens ({UK.key})\tcloses ({UK.key})\tsent\trespondents\ttitle",
        *(
            f"{s.checkin.id}\t{s.checkin.state}\t{_local(s.checkin.opens_at)}\t"
            f"{_local(s.checkin.closes_at)}\t{s.sent}\t{s.respondents}\t{_one_field(s.checkin.title)}"
            for s in await pulse.summaries(desk.repos)
        ),
    ]


CHECKIN_ID = argument(
    "checkin_id",
    type=parsed_by(whole_number(1, MAX_ID)),
    metavar="ID",
    help="the check-in's id, as `pulse create` and `pulse list` show it",
)


@group.command("close", CHECKIN_ID, help="close a check-in now: it takes no more answers")
async def close(desk: Desk, *, checkin_id: int) -> list[str]:
    closed = await pulse.close(desk.repos, checkin_id, desk.now, OPERATOR)
    return [
        f"check-in {closed.id} “{closed.title}” is closed; see `cedp-bot pulse results {closed.id}`"
    ]


async def _viewer(desk: Desk, member_id: int | None) -> MemberRef | None:
    """Who is asking: the operator, or with `--as` that member (None if there is no such one,
    whom the role check refuses like anyone else who is not staff)."""
    if member_id is None:
        return OPERATOR
    member = await desk.repos.members.get(member_id)
    return to_ref(member) if member is not None else None


def _write(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: into a file beside it, then renamed. The
    file is readable by its owner only (mkstemp's mode), as results are for staff."""
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        Path(temporary).replace(path)
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise CommandFailed(f"cannot write {path}: {error.strerror or error}") from None


@group.command(
    "results",
    CHECKIN_ID,
    argument("--json", dest="as_json", action="store_true", help="one JSON object of the results"),
    argument("--png", type=Path, metavar="FILE", help="also write a chart of the results"),
    argument("--csv", type=Path, metavar="FILE", help="also write the counts as CSV"),
    argument(
        "--as",
        dest="viewer_id",
        type=parsed_by(whole_number(1, MAX_ID)),
        metavar="MEMBER_ID",
        help="see them as this member would (refused unless they are staff)",
    ),
    help="a check-in's results, as released: only after close and with enough respondents",
)
async def results(
    desk: Desk,
    *,
    checkin_id: int,
    as_json: bool,
    png: Path | None,
    csv: Path | None,
    viewer_id: int | None,
) -> list[str]:
    viewer = await _viewer(desk, viewer_id)
    shown = await pulse.results(desk.repos, viewer, checkin_id, desk.settings, desk.now)
    files = {path: build(shown) for path, build in ((png, results_png), (csv, _csv_bytes)) if path}
    for path, data in files.items():
        _write(path, data)
    if as_json:
        return [json.dumps(results_json(shown))]
    return [results_text(shown, UK), *(f"wrote {path}" for path in files)]


def _csv_bytes(shown: pulse.Results) -> bytes:
    return results_csv(shown).encode("utf-8")
