"""Broadcasts at the terminal: `cedp-bot broadcast send / status / list / cancel / resend`
(rules: services/broadcasts.py, which the chat's /broadcast calls too)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bot.commandline import (
    CliCommands,
    CommandFailed,
    Desk,
    Invocation,
    argument,
    open_database,
    parsed_by,
    read_text_file,
)
from bot.context import utc_now
from bot.parsing import parse_tags, whole_number
from domain.notices import Category
from domain.people import OPERATOR
from handlers.broadcasts import choice_lines, headline, parse_choices, preview_lines
from services import broadcasts
from services.broadcasts import BroadcastError, BroadcastStatus, Draft, checked_send_at
from storage.broadcasts import DeliveryStatus
from storage.models import MAX_ID
from storage.repositories import Repositories

cli = CliCommands()
broadcast = cli.group("broadcast", help="updates to every member or a segment")

PLATFORMS = ("telegram", "slack")
BROADCAST_ID = argument(
    "broadcast_id",
    type=parsed_by(whole_number(1, MAX_ID)),
    metavar="ID",
    help="the broadcast's id, as `broadcast send` printed it",
)


def parse_when(text: str) -> datetime:
    """`2026-12-07T09:00+00:00`: ISO 8601 with its UTC offset, from now to a year ahead."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use ISO 8601, e.g. 2026-12-07T09:00+00:00"
        ) from None
    try:
        return checked_send_at(moment, utc_now())
    except BroadcastError as error:
        raise ValueError(str(error)) from None


@broadcast.tool(
    "send",
    argument("--text-file", type=Path, required=True, metavar="FILE", help="the message, as text"),
    argument(
        "--tags",
        type=parsed_by(parse_tags),
        default=[],
        metavar="TAG,TAG",
        help="only members with any of these tags (default: everyone)",
    ),
    argument(
        "--platform",
        choices=PLATFORMS,
        metavar="{" + ",".join(PLATFORMS) + "}",
        help="only members on this platform",
    ),
    argument(
        "--category",
        type=Category,
        choices=list(Category),
        default=Category.NEWS,
        metavar="{" + ",".join(Category) + "}",
        help="news and events can be muted by members; essential cannot (default: news)",
    ),
    argument(
        "--choices",
        type=parse_choices,
        default=[],
        metavar="'A|B'",
        help='buttons under the message, e.g. "I\'d like to attend|Not this time"',
    ),
    argument(
        "--names-to-staff",
        action="store_true",
        help="staff see who chose what (the message tells members so); otherwise only counts",
    ),
    argument(
        "--at",
        type=parsed_by(parse_when),
        metavar="TIME",
        help="send then, ISO 8601 with offset, e.g. 2026-12-07T09:00+00:00 (default: now)",
    ),
    argument("--yes", action="store_true", help="send without asking after the preview"),
    help="preview a broadcast, then schedule it; prints its id alone on the last line",
)
async def send(
    invocation: Invocation,
    *,
    text_file: Path,
    tags: list[str],
    platform: str | None,
    category: Category,
    choices: list[str],
    names_to_staff: bool,
    at: datetime | None,
    yes: bool,
) -> int:
    draft = Draft(
        read_text_file(text_file),
        category=category,
        tags=tuple(tags),
        platform=platform,
        choices=tuple(choices),
        send_at=at,
        names_to_staff=names_to_staff,
    )
    out, settings = invocation.stdout, invocation.settings
    async with open_database(settings) as database:
        async with database.transaction() as session:
            planned = await broadcasts.plan(
                Repositories.bound_to(session), draft, utc_now(), settings
            )
        print("\n".join(preview_lines(planned)), file=out)
        if not planned.recipients:
            raise CommandFailed("not sent: nobody is in that segment")
        if not yes:
            print("Send it? [y/N] ", end="", file=out, flush=True)
            if invocation.stdin.readline().strip().lower() not in {"y", "yes"}:
                raise CommandFailed("not sent")
        async with database.transaction() as session:
            scheduled = await broadcasts.schedule(
                Repositories.bound_to(session), draft, utc_now(), settings, OPERATOR
            )
    print(f"Scheduled for {scheduled.to_send} of {scheduled.recipients} recipients.", file=out)
    print(scheduled.broadcast_id, file=out)
    return 0


def status_lines(report: BroadcastStatus) -> list[str]:
    lines = [
        headline(report),
        *(f"{status.value}\t{report.counts[status]}" for status in DeliveryStatus),
        *choice_lines(report),
    ]
    for problem in report.problems:
        account = f"{problem.platform}:{problem.recipient_id}" if problem.recipient_id else "-"
        lines.append(f"{problem.status.value}\t{problem.member_name}\t{account}\t{problem.reason}")
    return lines


@broadcast.command(
    "status",
    BROADCAST_ID,
    argument(
        "--json", dest="as_json", action="store_true", help="one JSON object: counts and choices"
    ),
    help="recipients, pending, sent, failed, excluded, and the count for each choice",
)
async def show_status(desk: Desk, *, broadcast_id: int, as_json: bool) -> list[str]:
    report = await broadcasts.status(desk.repos, broadcast_id)
    return [json.dumps(report.as_json())] if as_json else status_lines(report)


@broadcast.command("list", help="every broadcast, newest first, with its counts")
async def list_all(desk: Desk) -> list[str]:
    lines = ["id\tcreated\tsend at\tcategory\tsegment\tsent/recipients\tpending\tfailed\tstate"]
    for report in await broadcasts.list_broadcasts(desk.repos):
        item, counts = report.broadcast, report.counts
        segment = ",".join(item.tags) or "everyone"
        if item.platform:
            segment += f" on {item.platform}"
        lines.append(
            f"{item.id}\t{item.created_at:%Y-%m-%d %H:%M}\t{item.send_at:%Y-%m-%d %H:%M}\t"
            f"{item.category}\t{segment}\t{counts[DeliveryStatus.SENT]}/{report.recipients}\t"
            f"{counts[DeliveryStatus.PENDING]}\t{counts[DeliveryStatus.FAILED]}\t{report.state}"
        )
    return lines


@broadcast.command(
    "cancel", BROADCAST_ID, help="stop a broadcast: what is still pending is not sent"
)
async def cancel(desk: Desk, *, broadcast_id: int) -> list[str]:
    stopped = await broadcasts.cancel(desk.repos, broadcast_id, desk.now, OPERATOR)
    return [f"cancelled broadcast {broadcast_id}: {stopped} pending messages will not be sent"]


@broadcast.command(
    "resend",
    BROADCAST_ID,
    argument(
        "--failed",
        action="store_true",
        required=True,
        help="send again to those it failed to reach",
    ),
    help="send a broadcast again to those it failed to reach",
)
async def resend(desk: Desk, *, broadcast_id: int, failed: bool) -> list[str]:
    again = await broadcasts.resend_failed(desk.repos, broadcast_id, desk.now, OPERATOR)
    return [f"broadcast {broadcast_id}: {again} failed deliveries will be sent again"]
