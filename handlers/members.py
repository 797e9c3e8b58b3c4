"""Membership: join with an invite code, link another platform, see your details, and (staff)
create invite codes."""

from __future__ import annotations

from datetime import timedelta

from bot.context import Context
from bot.flows import Flow, Step
from bot.messages import (
    ChoicePress,
    Choices,
    CommandMessage,
    Edit,
    InboundEvent,
    Reply,
    Text,
    TextMessage,
)
from bot.parsing import parse_role, parse_tags
from bot.payloads import Payload, offer
from bot.router import Access, Router
from domain.people import MemberRef, Role
from handlers.start import main_menu
from services import members as membership
from storage.invites import RedeemFailure, format_code, looks_like_code
from storage.members import to_ref

router = Router("members")


class JoinFlow(Flow, name="join"):
    """Joining without the code on the command line: the bot asks for it."""

    CODE = Step()


class InviteRole(Payload, prefix="invite"):
    """The role a staff member picked for a new invite code."""

    role: Role


CHAT_INVITE_USES = 1
CHAT_INVITE_DAYS = 14

ASK_FOR_CODE = "Please type your invite code (it looks like ABCD-EFGH), or /cancel to stop."
NOT_A_CODE = (
    "That doesn't look like an invite code: codes have 8 letters and digits, like ABCD-EFGH."
)
REFUSALS = {
    RedeemFailure.UNKNOWN: "I can't find that invite code.",
    RedeemFailure.REVOKED: "That invite code has been withdrawn.",
    RedeemFailure.USED_UP: "That invite code has already been used.",
    RedeemFailure.EXPIRED: "That invite code has expired.",
}
ASK_TEAM = "Please ask the programme team for a new one."
A_ROLE = {Role.MEMBER: "a member", Role.COACH: "a coach", Role.STAFF: "a member of staff"}


def _args(event: InboundEvent) -> tuple[str, ...]:
    """Arguments of a typed command; a menu press runs the command without any."""
    return event.content.args if isinstance(event.content, CommandMessage) else ()


@router.command(
    "join",
    summary="Join the programme with your invite code",
    menu="Join",
    hide_from_members=True,
    private_only=True,
)
async def join(event: InboundEvent, ctx: Context) -> list[Reply]:
    if event.member is not None:
        return [Text(f"You're already a member, {event.member.display_name}. Send /me to check.")]
    code = "".join(_args(event))
    if not code:
        await ctx.conversation.go_to(JoinFlow.CODE)
        return [Text(ASK_FOR_CODE)]
    return await _redeem(event, ctx, code)


@router.step(JoinFlow.CODE)
async def join_code_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage)
    return await _redeem(event, ctx, event.content.text)


async def _redeem(event: InboundEvent, ctx: Context, typed: str) -> list[Reply]:
    """Use the code; a failure keeps a waiting conversation open so the person can retry."""
    if not looks_like_code(typed):
        await ctx.conversation.stay()
        return [Text(NOT_A_CODE)]
    joined = await membership.join(
        ctx.repos,
        typed,
        display_name=event.sender.display_name or "member",
        account=(event.sender.platform, event.sender.external_id),
        now=ctx.now,
    )
    if isinstance(joined, RedeemFailure):
        await ctx.conversation.stay()
        retry = (
            " Please check it and type it again, or /cancel."
            if ctx.conversation.state
            else (" Please check it and try again.")
        )
        suffix = retry if joined is RedeemFailure.UNKNOWN else f" {ASK_TEAM}"
        return [Text(REFUSALS[joined] + suffix)]
    if ctx.conversation.state is not None:
        await ctx.conversation.finish()
    welcome = (
        f"Welcome to the programme, {joined.display_name}! "
        f"You've joined as {A_ROLE[Role(joined.role)]}."
    )
    return [main_menu(ctx, to_ref(joined), welcome)]


@router.command(
    "me",
    summary="See what I hold about you",
    access=Access.MEMBERS,
    menu="My details",
    private_only=True,
)
async def me(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert event.member is not None
    member = await membership.get_member(ctx.repos, event.member.id)
    tags = ", ".join(tag.tag for tag in member.tags) or "none"
    accounts = ", ".join(sorted({identity.platform for identity in member.identities}))
    return [
        Text(
            f"Name: {member.display_name}\nRole: {member.role}\nTags: {tags}\n"
            f"Accounts: {accounts}\nMember since: {member.created_at:%d %B %Y}"
        )
    ]


LINK_MINUTES = membership.LINK_CODE_LIFETIME // timedelta(minutes=1)
LINK_HOW = (
    "To use this account as your membership, send /link followed by the code from the app "
    "where you joined. No code yet? Send /link there first."
)


@router.command(
    "link",
    summary="Use me on another app (Telegram, Slack) as the same member",
    menu="Link another app",
    private_only=True,
)
async def link(event: InboundEvent, ctx: Context) -> list[Reply]:
    typed = "".join(_args(event))
    if typed:
        return await _link_account(event, ctx, typed)
    if event.member is None:
        return [Text(LINK_HOW)]
    code = await membership.new_link_code(ctx.repos, event.member.id, ctx.now)
    return [
        Text(
            f"Your link code is {code}. Within {LINK_MINUTES} minutes, send /link {code} to me "
            "from your other app. It works once, and only for you: don't share it."
        )
    ]


async def _link_account(event: InboundEvent, ctx: Context, typed: str) -> list[Reply]:
    """Attach the sender's account to the member the code belongs to."""
    if event.member is not None:
        return [Text(f"This account is already yours, {event.member.display_name}: nothing to do.")]
    if not looks_like_code(typed):
        return [Text("That doesn't look like a link code: they look like ABCD-EFGH.")]
    account = (event.sender.platform, event.sender.external_id)
    member = await membership.link_account(ctx.repos, typed, account, ctx.now)
    if member is None:
        return [Text("That link code is unknown or has expired. " + LINK_HOW)]
    welcome = f"Linked. This is now the same membership as your other app, {member.display_name}."
    return [main_menu(ctx, to_ref(member), welcome)]


@router.command(
    "invite",
    summary="Create a one-use invite code: /invite ROLE [tags]",
    access=Access.STAFF,
    menu="Create an invite code",
    private_only=True,
)
async def invite(event: InboundEvent, ctx: Context) -> list[Reply]:
    args = _args(event)
    if not args:
        options = tuple(offer(role.value.capitalize(), InviteRole(role)) for role in Role)
        return [Choices("Which role should the invite give?", options)]
    try:
        role = parse_role(args[0])
        tags = parse_tags(",".join(args[1:]))
    except ValueError as error:
        return [Text(f"{error}. Usage: /invite ROLE [tags], e.g. /invite member new-ceo,london")]
    assert event.member is not None
    return [Text(await _new_invite_text(ctx, event.member, role, tags))]


@router.choice(InviteRole, access=Access.STAFF, private_only=True)
async def invite_role_chosen(event: InboundEvent, ctx: Context, pressed: InviteRole) -> list[Reply]:
    assert isinstance(event.content, ChoicePress)
    assert event.member is not None
    text = await _new_invite_text(ctx, event.member, pressed.role, [])
    return [Edit(event.content.message_id, text)]


async def _new_invite_text(ctx: Context, by: MemberRef, role: Role, tags: list[str]) -> str:
    created = await membership.create_invite(
        ctx.repos,
        role=role,
        tags=tags,
        uses=CHAT_INVITE_USES,
        valid_for=timedelta(days=CHAT_INVITE_DAYS),
        now=ctx.now,
        by=by,
    )
    tag_note = f" with tags {', '.join(created.tags)}" if created.tags else ""
    return (
        f"Invite code {format_code(created.code)} for {A_ROLE[role]}{tag_note}: one use, "
        f"valid for {CHAT_INVITE_DAYS} days. The person sends /join {format_code(created.code)}."
    )
