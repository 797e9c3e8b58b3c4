"""Members and invites: the member list filtered by role and tag, with each member's accounts
(platform only, never the account's id or any contact detail) and which of them the platforms
refused; changing a member's role and tags; creating invite codes and withdrawing them. The
rules are services/members.py, as for `cedp-bot members` and `cedp-bot invites`.

A new invite's code is shown once, in the notice right after it is created; afterwards the
page names invites by number, as the audit trail does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.parsing import parse_role, parse_tags
from console.pages import Form, FormError, Page, Pages, Redirect, Visit
from console.times import local_text
from domain.people import Role
from services import members as membership
from storage.invites import format_code
from storage.models import Identity, Member

pages = Pages("members", "Members and invites")
MAX_TAG_CHARS = 64  # the member_tags.tag column
MAX_TAGS_CHARS = 400
MAX_EXPIRY_DAYS = 365
TAG_RULE = "lower-case letters, digits and dashes, separated by commas"


@dataclass(frozen=True, slots=True)
class Filter:
    """Which members the list shows: a role, a tag, both or neither."""

    role: Role | None = None
    tag: str | None = None


def _filter(visit: Visit) -> Filter:
    """The filter the address asks for; a role or tag that cannot exist is a polite 400."""
    query = visit.request.query
    role_text = query.get("role", "").strip()
    tag_text = query.get("tag", "").strip()
    if "," in tag_text:
        raise FormError("Filter: one tag at a time, please")
    if len(tag_text) > MAX_TAG_CHARS:
        raise FormError(f"Filter: a tag has at most {MAX_TAG_CHARS} characters")
    try:
        role = parse_role(role_text[:20]) if role_text else None
        tags = parse_tags(tag_text)
    except ValueError as error:
        raise FormError(f"Filter: {error}") from None
    return Filter(role, tags[0] if tags else None)


def _unreachable(members: Sequence[Member]) -> list[tuple[Member, Identity]]:
    """Accounts a platform refused messages to, most recent first: staff may want to ask the
    person, another way, to write to the bot again (that clears it)."""
    refused = [(m, i) for m in members for i in m.identities if i.unreachable_since]
    return sorted(refused, key=lambda pair: str(pair[1].unreachable_since), reverse=True)


@pages.get("")
async def listing(visit: Visit) -> Page:
    shown = _filter(visit)
    everyone = await membership.list_members(visit.repos)
    listed = await membership.list_members(visit.repos, role=shown.role, tag=shown.tag)
    return Page(
        "members.html",
        "Members and invites",
        {
            "filter": shown,
            "self_id": visit.member.id,
            "roles": list(Role),
            "known_tags": sorted({tag.tag for member in everyone for tag in member.tags}),
            "listed": listed,
            "everyone": len(everyone),
            "unreachable": _unreachable(everyone),
            "invites": list(reversed(await membership.list_invites(visit.repos, visit.now))),
            "max_uses": membership.MAX_INVITE_USES,
            "max_expiry_days": MAX_EXPIRY_DAYS,
            "tag_rule": TAG_RULE,
        },
    )


def _role(form: Form, label: str) -> Role:
    try:
        return parse_role(form.text("role", label, max_chars=20))
    except ValueError as error:
        raise FormError(f"{label}: {error}") from None


def _tags(form: Form, name: str, label: str) -> list[str]:
    try:
        return parse_tags(form.text(name, label, max_chars=MAX_TAGS_CHARS, required=False))
    except ValueError as error:
        raise FormError(f"{label}: {error}") from None


def _row(member_id: int) -> str:
    return f"{pages.base}#member-{member_id}"


@pages.post("/{member}/role")
async def change_role(visit: Visit) -> Redirect:
    role = _role(visit.posted, "Role")
    member = await membership.set_role(
        visit.repos, visit.whole("member"), role, visit.now, visit.member
    )
    return Redirect(_row(member.id), f"{member.display_name} is now {role}.")


@pages.post("/{member}/tags")
async def change_tags(visit: Visit) -> Redirect:
    form = visit.posted
    add = _tags(form, "add", "Tags to add")
    remove = [tag for tag in form.texts("remove") if len(tag) <= MAX_TAG_CHARS]
    member = await membership.change_tags(
        visit.repos, visit.whole("member"), add=add, remove=remove, now=visit.now, by=visit.member
    )
    tags = ", ".join(sorted(tag.tag for tag in member.tags)) or "none"
    return Redirect(_row(member.id), f"{member.display_name}'s tags: {tags}.")


@pages.post("/invites", once=True)
async def create_invite(visit: Visit) -> Redirect:
    form = visit.posted
    role = _role(form, "Role")
    tags = _tags(form, "tags", "Tags")
    uses = form.number("uses", "People it admits", low=1, high=membership.MAX_INVITE_USES)
    days = (
        form.number("expires_days", "Valid for (days)", low=1, high=MAX_EXPIRY_DAYS)
        if form.text("expires_days", "Valid for (days)", max_chars=12, required=False)
        else None
    )
    invite = await membership.create_invite(
        visit.repos,
        role=role,
        tags=tags,
        uses=uses,
        valid_for=timedelta(days=days) if days is not None else None,
        now=visit.now,
        by=visit.member,
    )
    expiry = f"expires {local_text(invite.expires_at)}" if invite.expires_at else "never expires"
    return Redirect(
        f"{pages.base}#invites",
        f"Invite #{invite.id} created. Its code is {format_code(invite.code)}: note it now, it "
        f"is not shown again. It admits {uses} as {role}, tags {', '.join(tags) or 'none'}, "
        f"and {expiry}.",
    )


@pages.post("/invites/{invite}/revoke")
async def revoke_invite(visit: Visit) -> Redirect:
    invite_id = visit.whole("invite")
    await membership.revoke_numbered_invite(visit.repos, invite_id, visit.now, visit.member)
    return Redirect(f"{pages.base}#invites", f"Invite #{invite_id} is withdrawn.")
