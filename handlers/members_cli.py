"""Membership at the terminal: `cedp-bot invites ...` and `cedp-bot members ...` for staff
(rules: services/members.py, which the chat's /join, /link and /invite call too)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.commandline import Argument, CliCommands, Desk, argument, parsed_by
from bot.parsing import parse_account, parse_duration, parse_role, parse_tags, whole_number
from domain.people import OPERATOR, Role
from services import members as membership
from services import privacy
from services.members import Account
from storage.invites import format_code
from storage.models import MAX_ID, Identity, Member

cli = CliCommands()

ROLES = "{" + ",".join(Role) + "}"
TAGS = "TAG,TAG"
TAG_RULE = "lower-case letters, digits and dashes"


def _role(flag: str, help: str, **options: Any) -> Argument:
    return argument(flag, type=parsed_by(parse_role), metavar=ROLES, help=help, **options)


def _tags(flag: str, help: str) -> Argument:
    return argument(
        flag, type=parsed_by(parse_tags), default=[], metavar=TAGS, help=f"{help} ({TAG_RULE})"
    )


MEMBER_ID = argument(
    "member_id",
    type=parsed_by(whole_number(1, MAX_ID)),
    metavar="ID",
    help="the member's id, as `members list` shows it",
)


def describe_member(member: Member) -> str:
    """One tab-separated row: id, name, role, tags, platform accounts."""
    tags = ",".join(tag.tag for tag in member.tags) or "-"
    accounts = ",".join(_describe_identity(i) for i in member.identities) or "-"
    return f"{member.id}\t{member.display_name}\t{member.role}\t{tags}\t{accounts}"


def _describe_identity(identity: Identity) -> str:
    """`telegram:42`, with why messages can't reach it when the platform refused them."""
    account = f"{identity.platform}:{identity.external_id}"
    if identity.unreachable_since is None:
        return account
    since = f"{identity.unreachable_since:%Y-%m-%d %H:%M}"
    return f"{account} (unreachable since {since} UTC: {identity.unreachable_reason})"


invites = cli.group("invites", help="invite codes")


@invites.command(
    "create",
    _role("--role", "the role the code gives", required=True),
    _tags("--tags", "tags the member gets"),
    argument(
        "--uses",
        type=parsed_by(whole_number(1, membership.MAX_INVITE_USES)),
        default=1,
        metavar="N",
        help=f"how many people may join with it, 1 to {membership.MAX_INVITE_USES} (default: 1)",
    ),
    argument(
        "--expires",
        type=parsed_by(parse_duration),
        metavar="DURATION",
        help="valid for this long, e.g. 14d, 12h, 2w or 30m (default: never expires)",
    ),
    help="create an invite code",
)
async def create_invite(
    desk: Desk, *, role: Role, tags: list[str], uses: int, expires: timedelta | None
) -> list[str]:
    invite = await membership.create_invite(
        desk.repos, role=role, tags=tags, uses=uses, valid_for=expires, now=desk.now, by=OPERATOR
    )
    expiry = f"{invite.expires_at:%Y-%m-%d %H:%M} UTC" if invite.expires_at else "never"
    return [
        format_code(invite.code),
        f"role {invite.role}; tags {','.join(invite.tags) or '-'}; "
        f"uses {invite.max_uses}; expires {expiry}",
    ]


@invites.command("list", help="list invite codes")
async def list_invites(desk: Desk) -> list[str]:
    lines = ["code\trole\ttags\tused\texpires\tstate"]
    for status in await membership.list_invites(desk.repos, desk.now):
        invite = status.invite
        expiry = f"{invite.expires_at:%Y-%m-%d}" if invite.expires_at else "never"
        lines.append(
            f"{format_code(invite.code)}\t{invite.role}\t{','.join(invite.tags) or '-'}\t"
            f"{invite.uses}/{invite.max_uses}\t{expiry}\t{status.state}"
        )
    return lines


@invites.command(
    "revoke",
    argument("code", metavar="CODE", help="the invite code, e.g. ABCD-EFGH"),
    help="withdraw an invite code",
)
async def revoke_invite(desk: Desk, *, code: str) -> list[str]:
    await membership.revoke_invite(desk.repos, code, desk.now, OPERATOR)
    return [f"revoked {code}"]


members = cli.group("members", help="programme members")


@members.command(
    "list",
    _role("--role", "only members with this role"),
    argument("--tag", metavar="TAG", help="only members with this tag"),
    help="list members",
)
async def list_members(desk: Desk, *, role: Role | None, tag: str | None) -> list[str]:
    listed = await membership.list_members(desk.repos, role=role, tag=tag)
    return ["id\tname\trole\ttags\taccounts", *(describe_member(m) for m in listed)]


@members.command(
    "add",
    argument("--name", required=True, metavar="NAME", help="the name the bot uses for them"),
    _role("--role", "what they may do", required=True),
    _tags("--tags", "their tags"),
    argument(
        "--identity",
        type=parsed_by(parse_account),
        metavar="PLATFORM:ID",
        help="a platform account of theirs, e.g. telegram:12345 or console:alice",
    ),
    help="add a member",
)
async def add_member(
    desk: Desk, *, name: str, role: Role, tags: list[str], identity: Account | None
) -> list[str]:
    member = await membership.add_member(
        desk.repos, name=name, role=role, tags=tags, account=identity, now=desk.now, by=OPERATOR
    )
    return [describe_member(member)]


@members.command(
    "set-role", MEMBER_ID, _role("role", "the new role"), help="change a member's role"
)
async def set_role(desk: Desk, *, member_id: int, role: Role) -> list[str]:
    changed = await membership.set_role(desk.repos, member_id, role, desk.now, OPERATOR)
    return [describe_member(changed)]


@members.command(
    "tag",
    MEMBER_ID,
    _tags("--add", "tags to give"),
    _tags("--remove", "tags to take away"),
    help="add or remove a member's tags",
)
async def tag_member(desk: Desk, *, member_id: int, add: list[str], remove: list[str]) -> list[str]:
    member = await membership.change_tags(
        desk.repos, member_id, add=add, remove=remove, now=desk.now, by=OPERATOR
    )
    return [describe_member(member)]


@members.command(
    "export",
    MEMBER_ID,
    help="print everything stored about a member as one JSON object (recorded in the audit trail)",
)
async def export_member(desk: Desk, *, member_id: int) -> list[str]:
    exported = await privacy.staff_export(desk.repos, member_id, desk.now, OPERATOR)
    return [json.dumps(exported, ensure_ascii=False)]


@members.command(
    "erase",
    MEMBER_ID,
    help="erase a member and everything that identifies them, at once, without asking "
    "(recorded in the audit trail)",
)
async def erase_member(desk: Desk, *, member_id: int) -> list[str]:
    erased = await privacy.erase(desk.repos, member_id, desk.now, OPERATOR)
    told = erased.told
    return [
        f"erased member {member_id}",
        *(f"{what}\t{count}" for what, count in erased.counts.items() if count),
        f"members told their sessions with this coach are cancelled\t{told.members}",
        f"coaches told their sessions with this member are cancelled\t{told.coaches}",
    ]


# The older name, kept for scripts that use it: one erasure, however it is asked for.
members.command("remove", MEMBER_ID, help="the same as `members erase` (its older name)")(
    erase_member
)
