"""Membership: invite codes, joining with one, one member across platforms, and the changes
staff make to members."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import Refusal
from domain.people import MemberRef, Role
from services.audit import Action, record
from storage.invites import RedeemFailure, format_code
from storage.models import Invite, Member
from storage.repositories import Repositories

Account = tuple[str, str]  # (platform, the platform's id for the person), e.g. ("telegram", "42")

MAX_INVITE_USES = 10_000
LINK_CODE_LIFETIME = timedelta(minutes=10)


class MembershipError(Refusal):
    """A change to invites or members that cannot be made; the message says why."""


class InviteState(StrEnum):
    OPEN = "open"
    USED_UP = "used up"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class InviteStatus:
    invite: Invite
    state: InviteState


def invite_state(invite: Invite, now: datetime) -> InviteState:
    """Whether the code still admits anyone; a withdrawn code says so before anything else."""
    if invite.revoked:
        return InviteState.REVOKED
    if invite.expires_at is not None and invite.expires_at <= now:
        return InviteState.EXPIRED
    if invite.uses >= invite.max_uses:
        return InviteState.USED_UP
    return InviteState.OPEN


async def create_invite(
    repos: Repositories,
    *,
    role: Role,
    tags: Sequence[str] = (),
    uses: int = 1,
    valid_for: timedelta | None,
    now: datetime,
    by: MemberRef,
) -> Invite:
    """A fresh code that admits `uses` people with `role` and `tags`; None `valid_for` never
    expires."""
    if not 1 <= uses <= MAX_INVITE_USES:
        raise MembershipError(f"an invite admits from 1 to {MAX_INVITE_USES} people")
    invite = await repos.invites.create(
        role=role,
        tags=tags,
        max_uses=uses,
        expires_at=now + valid_for if valid_for is not None else None,
        now=now,
    )
    await record(repos, by, Action.INVITE_CREATE, f"invite:{invite.id}", now, role=role, uses=uses)
    return invite


async def list_invites(repos: Repositories, now: datetime) -> list[InviteStatus]:
    return [
        InviteStatus(invite, invite_state(invite, now)) for invite in await repos.invites.list()
    ]


async def revoke_invite(repos: Repositories, code: str, now: datetime, by: MemberRef) -> None:
    invite_id = await repos.invites.revoke(code)
    if invite_id is None:
        raise MembershipError(f"no invite with code {code}")
    await record(repos, by, Action.INVITE_REVOKE, f"invite:{invite_id}", now)


async def revoke_numbered_invite(
    repos: Repositories, invite_id: int, now: datetime, by: MemberRef
) -> None:
    """Withdraw an invite by its number: where codes are not shown again (the console), staff
    name the invite as the audit trail does."""
    if await repos.invites.revoke_numbered(invite_id) is None:
        raise MembershipError(f"no invite #{invite_id}")
    await record(repos, by, Action.INVITE_REVOKE, f"invite:{invite_id}", now)


async def join(
    repos: Repositories, code: str, *, display_name: str, account: Account, now: datetime
) -> Member | RedeemFailure:
    """Use the invite code to make the person behind `account` a member, or say why not."""
    invite = await repos.invites.redeem(code, now)
    if isinstance(invite, RedeemFailure):
        return invite
    return await repos.members.create(
        display_name=display_name,
        role=Role(invite.role),
        tags=invite.tags,
        now=now,
        identity=account,
    )


async def new_link_code(repos: Repositories, member_id: int, now: datetime) -> str:
    """A one-use code, valid for `LINK_CODE_LIFETIME`, that attaches another account."""
    return format_code(await repos.link_codes.create(member_id, now, LINK_CODE_LIFETIME))


async def link_account(
    repos: Repositories, code: str, account: Account, now: datetime
) -> Member | None:
    """Attach `account` to the member the link code belongs to; None when unknown or expired."""
    member_id = await repos.link_codes.redeem(code, now)
    member = await repos.members.get(member_id) if member_id is not None else None
    if member is not None:
        await repos.members.add_identity(member.id, *account)
    return member


async def get_member(repos: Repositories, member_id: int) -> Member:
    member = await repos.members.get(member_id)
    if member is None:
        raise MembershipError(f"no member with id {member_id}")
    return member


async def list_members(
    repos: Repositories, *, role: Role | None = None, tag: str | None = None
) -> Sequence[Member]:
    return await repos.members.list(role=role, tag=tag)


async def add_member(
    repos: Repositories,
    *,
    name: str,
    role: Role,
    tags: Sequence[str] = (),
    account: Account | None = None,
    now: datetime,
    by: MemberRef,
) -> Member:
    """A member added by staff, without an invite; an account belongs to one member only."""
    if account is not None and await repos.members.find_by_identity(*account):
        raise MembershipError(f"{':'.join(account)} already belongs to a member")
    member = await repos.members.create(
        display_name=name, role=role, tags=tags, now=now, identity=account
    )
    await record(repos, by, Action.MEMBER_ADD, member.pseudonym, now, role=role)
    return await get_member(repos, member.id)


async def set_role(
    repos: Repositories, member_id: int, role: Role, now: datetime, by: MemberRef
) -> Member:
    if member_id == by.id and by.role == Role.STAFF and role != Role.STAFF:
        raise MembershipError(
            "you cannot take away your own staff role: another staff member can, so that "
            "nobody locks themselves out of staff tools by mistake"
        )
    member = await get_member(repos, member_id)
    before = member.role
    await repos.members.set_role(member, role)
    await record(repos, by, Action.MEMBER_ROLE, member.pseudonym, now, before=before, after=role)
    return member


async def change_tags(
    repos: Repositories,
    member_id: int,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    now: datetime,
    by: MemberRef,
) -> Member:
    if not add and not remove:
        raise MembershipError("say which tags to add or remove")
    member = await get_member(repos, member_id)
    await repos.members.change_tags(member, add=add, remove=remove)
    changed = {"added": ",".join(add), "removed": ",".join(remove)}
    facts = {key: value for key, value in changed.items() if value}
    await record(repos, by, Action.MEMBER_TAGS, member.pseudonym, now, **facts)
    return member
