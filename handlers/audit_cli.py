"""The audit trail at the terminal: `cedp-bot audit list [--since] [--actor]` reads it, and
`cedp-bot audit verify` checks its hash chain and names the first entry that does not fit.

The trail holds pseudonyms; the list shows the name and id beside a pseudonym whose member is
still here, and `--actor` takes a member id as well as a pseudonym or `terminal:<login>`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial

from bot.commandline import CliCommands, CommandFailed, Desk, argument, parsed_by
from bot.parsing import parse_time
from domain.audit import Stored, first_break
from storage.models import MAX_ID

cli = CliCommands()
audit = cli.group("audit", help="the audit trail of staff actions")


def _named(label: str, members: Mapping[str, tuple[int, str]]) -> str:
    if label not in members:
        return label
    member_id, name = members[label]
    return f"{label} ({name}, #{member_id})"


def _line(entry: Stored, members: Mapping[str, tuple[int, str]]) -> str:
    record = entry.record
    details = " ".join(f"{key}={value}" for key, value in sorted(record.details.items()))
    return (
        f"#{entry.number}  {record.at:%Y-%m-%d %H:%M:%S} UTC  {_named(record.actor, members)}  "
        f"{record.action}  {_named(record.subject, members)}{'  ' + details if details else ''}"
    )


@audit.command(
    "list",
    argument(
        "--since",
        type=parsed_by(partial(parse_time, zone=UTC)),
        metavar="TIME",
        help="only entries from this time on (2026-12-01 or 2026-12-01 09:00, UTC)",
    ),
    argument(
        "--actor",
        metavar="ACTOR",
        help="only this actor's entries: a member id, a pseudonym (m-...) or terminal:LOGIN",
    ),
    help="list the audit trail, oldest first",
)
async def list_entries(desk: Desk, *, since: datetime | None, actor: str | None) -> list[str]:
    if actor is not None and actor.isdigit():
        actor = await desk.repos.members.pseudonym(int(actor)) if int(actor) <= MAX_ID else None
        if actor is None:
            raise CommandFailed(
                "no member with that id (an erased member is known only by pseudonym)"
            )
    members = await desk.repos.members.by_pseudonym()
    return [_line(entry, members) for entry in await desk.repos.audit.entries(since, actor)]


@audit.command("verify", help="check the hash chain; names the first entry that does not fit")
async def verify(desk: Desk) -> list[str]:
    entries = await desk.repos.audit.entries()
    broken = first_break(entries)
    if broken is not None:
        raise CommandFailed(
            f"audit trail broken at entry #{broken}: it, or an entry before it, was changed, "
            "removed or reordered"
        )
    return [f"audit trail intact: {len(entries)} entries"]
