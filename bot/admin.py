"""Staff commands at the terminal: `cedp-bot invites ...` and `cedp-bot members ...`.

Each function takes the unit of work and parsed arguments and returns the lines to print,
so the command line stays a thin shell around them.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from domain.people import Role
from handlers import team
from knowledge.base import load_knowledge
from storage.invites import format_code
from storage.models import Identity, Member
from storage.repositories import Repositories


class AdminError(Exception):
    """A request that cannot be carried out; the message is shown to the operator."""


async def _member(repos: Repositories, member_id: int) -> Member:
    member = await repos.members.get(member_id)
    if member is None:
        raise AdminError(f"no member with id {member_id}")
    return member


def describe_member(member: Member) -> str:
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


async def create_invite(repos: Repositories, args: argparse.Namespace, now: datetime) -> list[str]:
    invite = await repos.invites.create(
        role=args.role,
        tags=args.tags,
        max_uses=args.uses,
        expires_at=now + args.expires if args.expires else None,
        now=now,
    )
    expiry = f"{invite.expires_at:%Y-%m-%d %H:%M} UTC" if invite.expires_at else "never"
    return [
        format_code(invite.code),
        f"role {invite.role}; tags {','.join(invite.tags) or '-'}; "
        f"uses {invite.max_uses}; expires {expiry}",
    ]


async def list_invites(repos: Repositories, args: argparse.Namespace, now: datetime) -> list[str]:
    lines = ["code\trole\ttags\tused\texpires\tstate"]
    for invite in await repos.invites.list():
        expired = invite.expires_at is not None and invite.expires_at <= now
        state = "revoked" if invite.revoked else "expired" if expired else "open"
        if invite.uses >= invite.max_uses and state == "open":
            state = "used up"
        expiry = f"{invite.expires_at:%Y-%m-%d}" if invite.expires_at else "never"
        lines.append(
            f"{format_code(invite.code)}\t{invite.role}\t{','.join(invite.tags) or '-'}\t"
            f"{invite.uses}/{invite.max_uses}\t{expiry}\t{state}"
        )
    return lines


async def revoke_invite(repos: Repositories, args: argparse.Namespace, now: datetime) -> list[str]:
    if not await repos.invites.revoke(args.code):
        raise AdminError(f"no invite with code {args.code}")
    return [f"revoked {args.code}"]


async def list_members(repos: Repositories, args: argparse.Namespace, now: datetime) -> list[str]:
    members = await repos.members.list(role=args.role, tag=args.tag)
    return ["id\tname\trole\ttags\taccounts", *(describe_member(m) for m in members)]


async def add_member(repos: Repositories, args: argparse.Namespace, now: datetime) -> list[str]:
    if args.identity and await repos.members.find_by_identity(*args.identity):
        raise AdminError(f"{':'.join(args.identity)} already belongs to a member")
    member = await repos.members.create(
        display_name=args.name, role=args.role, tags=args.tags, now=now, identity=args.identity
    )
    return [describe_member(await _member(repos, member.id))]


async def remove_member(repos: Repositories, args: argparse.Namespace, now: datetime) -> list[str]:
    if not await repos.members.remove(args.id):
        raise AdminError(f"no member with id {args.id}")
    return [f"removed member {args.id} and everything linked to them"]


async def set_member_role(
    repos: Repositories, args: argparse.Namespace, now: datetime
) -> list[str]:
    member = await _member(repos, args.id)
    await repos.members.set_role(member, Role(args.role))
    return [describe_member(member)]


async def tag_member(repos: Repositories, args: argparse.Namespace, now: datetime) -> list[str]:
    if not args.add and not args.remove:
        raise AdminError("say which tags to --add or --remove")
    member = await _member(repos, args.id)
    await repos.members.change_tags(member, add=args.add, remove=args.remove)
    return [describe_member(member)]


async def list_unanswered(
    repos: Repositories, args: argparse.Namespace, now: datetime
) -> list[str]:
    rows = await repos.team_questions.open()
    if not rows:
        return ["No questions are waiting for the team."]
    return ["id\tasked\tfrom\tquestion"] + [
        f"{row.id}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.asker_name}\t{row.question}"
        for row in rows
    ]


async def answer_unanswered(
    repos: Repositories, args: argparse.Namespace, now: datetime
) -> list[str]:
    try:
        row = await team.answer_question(repos, args.id, args.text, now)
        lines = [f"answered #{row.id}; the answer is on its way to {row.asker_name}"]
        if args.alternate_of:
            knowledge = load_knowledge(args.kb or args.default_knowledge)
            await team.add_alternate(repos, knowledge, row.id, args.alternate_of, now)
            lines.append(f"«{row.question}» added as a way of asking {args.alternate_of}")
    except team.TeamDeskError as error:
        raise AdminError(str(error)) from None
    return lines


async def missed_report(repos: Repositories, args: argparse.Namespace, now: datetime) -> list[str]:
    return team.report_lines(await repos.faq.most_missed(limit=args.limit))
