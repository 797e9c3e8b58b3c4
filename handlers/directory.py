"""/directory: members join the peer directory (the default is out), edit or leave their entry,
keep a private "never pair me with" list, snooze or leave matching rounds, and read their own
consent record. Rules: services/intros.py. Finding peers and introductions: handlers/intros.py.

Joining is a short wizard whose draft (a `ProfileDraft`, as JSON) lives in the conversation
data; editing reuses the wizard's screens for one field and saves at once, so each question is
asked, checked and shown in one place only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.flows import Flow, Step
from bot.messages import Choice, InboundEvent, Reply, Text, TextMessage, in_place
from bot.payloads import Payload, offer
from bot.router import Access, Router
from domain.intros import (
    MAX_INTERESTS,
    REGIONS,
    SUGGESTED_INTERESTS,
    TALK_ABOUT_MAX_CHARS,
    ConsentKind,
    ContactKind,
    parse_email,
    parse_field,
    parse_interests,
    parse_month,
    parse_phone,
)
from domain.people import MemberRef
from handlers.intros import Find, Introductions, Requests, profile_text
from services import intros
from services import settings as member_settings
from services.intros import ConsentLine, IntrosError, ProfileDraft, Search, Seen
from storage.intros import DirectoryProfile

router = Router("directory")

CONSENT_SHOWN = 15
PEOPLE_SHOWN = 8
SNOOZE_WEEKS = (4, 8)
TRY_AGAIN = "Sorry: {error}. Please type it again, or /cancel."
USE_BUTTONS = "Please choose one of the buttons, or /cancel.\n\n"
TIMED_OUT = "That form has timed out. Send /directory to start again."

NOT_LISTED = (
    "The peer directory helps you meet other chief executives on the programme. "
    "It's opt-in: members see your name, organisation, region and interests.\n"
    "Your contact details go only to someone you have both said yes to."
)
PAUSED = (
    "Your place in the directory is paused by the programme team: you aren't shown to others "
    "and can't ask for introductions for now. Please ask the team if you have questions."
)
LEAVE_WARNING = (
    "Leave the directory? Your entry and contact details are removed, and open requests are "
    "withdrawn. Your consent record is kept."
)
NEVER_INTRO = (
    "Never pair me with: matching rounds will not propose these people to you. This list is "
    "private (nobody on it is told) and affects only matching rounds."
)
ROUNDS_INTRO = (
    "Matching rounds: from time to time the programme proposes a peer for you to meet. "
    "Nothing is shared unless you both say yes."
)
CONSENT_INTRO = (
    "Your consent record, newest first. The programme keeps it so it can show what you "
    "agreed to, and when."
)
CONSENT_WORDS = {
    ConsentKind.JOINED: "joined the directory",
    ConsentKind.UPDATED: "changed your entry",
    ConsentKind.LEFT: "left the directory",
    ConsentKind.REQUESTED: "asked to be introduced to {who}",
    ConsentKind.ACCEPTED: "accepted the introduction to {who}",
    ConsentKind.DECLINED: "said not now to an introduction to {who}",
    ConsentKind.BLOCKED: "blocked {who}",
    ConsentKind.WITHDRAWN: "withdrew from the introduction to {who}",
    ConsentKind.EXPIRED: "the introduction to {who} lapsed",
    ConsentKind.SUSPENDED: "your place was paused by the programme team",
    ConsentKind.RESTORED: "your place was restored by the programme team",
}


class DirectoryFlow(Flow, name="directory"):
    """The join wizard and editing one field (a draft in the data), and the never-pair list."""

    NAME = Step()
    ORGANISATION = Step()
    REGION = Step()
    IN_POST = Step()
    INTERESTS = Step()
    OWN_INTERESTS = Step()
    TALK_ABOUT = Step()
    SHARES = Step()
    EMAIL = Step()
    PHONE = Step()
    BUDDY = Step()
    CONFIRM = Step()
    NEVER_ORGANISATION = Step()
    NEVER_PERSON = Step()


class Field(StrEnum):
    """A part of the entry, in the order the wizard asks for them."""

    NAME = "name"
    ORGANISATION = "org"
    REGION = "region"
    IN_POST = "since"
    INTERESTS = "interests"
    TALK_ABOUT = "talk"
    SHARES = "shares"
    BUDDY = "buddy"


FIELD_STEPS = {
    Field.NAME: DirectoryFlow.NAME,
    Field.ORGANISATION: DirectoryFlow.ORGANISATION,
    Field.REGION: DirectoryFlow.REGION,
    Field.IN_POST: DirectoryFlow.IN_POST,
    Field.INTERESTS: DirectoryFlow.INTERESTS,
    Field.TALK_ABOUT: DirectoryFlow.TALK_ABOUT,
    Field.SHARES: DirectoryFlow.SHARES,
    Field.BUDDY: DirectoryFlow.BUDDY,
}
FIELD_LABELS = {
    Field.NAME: "Name",
    Field.ORGANISATION: "Organisation",
    Field.REGION: "Region",
    Field.IN_POST: "In post since",
    Field.INTERESTS: "Interests",
    Field.TALK_ABOUT: "Happy to talk about",
    Field.SHARES: "What I share",
    Field.BUDDY: "Buddy volunteering",
}
SHARE_LABELS = {
    ContactKind.EMAIL: "Email",
    ContactKind.PHONE: "Phone",
    ContactKind.TELEGRAM: "My Telegram account",
    ContactKind.SLACK: "My Slack account",
}


class Mode(StrEnum):
    JOIN = "join"
    EDIT = "edit"


class BuddyChoice(StrEnum):
    YES = "yes"
    NO = "no"


# The menu and its screens


class ShowMenu(Payload, prefix="dir:menu"):
    pass


class EditEntry(Payload, prefix="dir:edit"):
    pass


class EditField(Payload, prefix="dir:edit-field"):
    field: Field


class AskLeave(Payload, prefix="dir:leave"):
    pass


class ConfirmLeave(Payload, prefix="dir:leave-yes"):
    pass


class ShowConsent(Payload, prefix="dir:consent"):
    pass


# The wizard


class Join(Payload, prefix="dir:join"):
    pass


class UseName(Payload, prefix="dir:use-name"):
    pass


class PickRegion(Payload, prefix="dir:region"):
    index: int  # its place in domain.intros.REGIONS


class Skip(Payload, prefix="dir:skip"):
    field: Field


class ToggleInterest(Payload, prefix="dir:interest"):
    index: int  # its place among the suggestions, then the member's own


class OwnInterests(Payload, prefix="dir:own-interests"):
    pass


class InterestsDone(Payload, prefix="dir:interests-done"):
    pass


class ToggleShare(Payload, prefix="dir:share"):
    kind: ContactKind


class SharesDone(Payload, prefix="dir:shares-done"):
    pass


class PickBuddy(Payload, prefix="dir:buddy"):
    choice: BuddyChoice


class ConfirmJoin(Payload, prefix="dir:confirm"):
    pass


# Never pair me with


class ShowNever(Payload, prefix="dir:never"):
    pass


class AddNeverOrganisation(Payload, prefix="dir:never-org"):
    pass


class AddNeverPerson(Payload, prefix="dir:never-person"):
    pass


class PickNever(Payload, prefix="dir:never-pick"):
    member: int


class RemoveNever(Payload, prefix="dir:never-rm"):
    entry: int


# Matching rounds (StayInRounds and LeaveRounds are also sent by the jobs after ignored rounds)


class ShowRounds(Payload, prefix="dir:rounds"):
    pass


class Snooze(Payload, prefix="dir:snooze"):
    weeks: int


class StayInRounds(Payload, prefix="dir:rounds-stay"):
    pass


class LeaveRounds(Payload, prefix="dir:rounds-leave"):
    pass


BACK = offer("Back to the directory", ShowMenu())
MENU = (
    offer("Find peers", Find()),
    offer("Requests", Requests()),
    offer("My introductions", Introductions()),
    offer("Edit my entry", EditEntry()),
    offer("Never pair me with", ShowNever()),
    offer("Matching rounds", ShowRounds()),
    offer("My consent record", ShowConsent()),
    offer("Leave the directory", AskLeave()),
)
PAUSED_MENU = (offer("My consent record", ShowConsent()), offer("Leave the directory", AskLeave()))


# Small shared pieces


def _member(event: InboundEvent) -> MemberRef:
    assert event.member is not None, "directory routes are for members"
    return event.member


def _sorry(event: InboundEvent, error: IntrosError) -> list[Reply]:
    return [in_place(event, f"Sorry, {error}.")]


async def _zone(ctx: Context, member_id: int) -> ZoneInfo:
    preferences = await member_settings.preferences(ctx.repos, member_id, ctx.services.settings)
    return preferences.timezone


def _day(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y}"


async def _stop_waiting(ctx: Context) -> None:
    """Whatever the member was typing into here is no longer awaited once they moved on."""
    state = ctx.conversation.state
    if state is not None and state.flow == DirectoryFlow.name:
        await ctx.conversation.finish()


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _shares_text(draft: ProfileDraft) -> str:
    """What the member shares once both accept, in their own words (it is their own)."""
    parts = {
        ContactKind.EMAIL: f"email ({draft.email})",
        ContactKind.PHONE: f"phone ({draft.phone})",
        ContactKind.TELEGRAM: "your Telegram account",
        ContactKind.SLACK: "your Slack account",
    }
    chosen = [parts[kind] for kind in ContactKind if kind in draft.shares]
    return ", ".join(chosen) or "nothing yet"


def _private_lines(draft: ProfileDraft) -> str:
    """What only the member sees of their entry: what they share, and whether they're a buddy."""
    lines = [f"Shared only after you both accept: {_shares_text(draft)}."]
    if draft.buddy:
        lines.append("You volunteer as a buddy for newly appointed chief executives.")
    return "\n".join(lines)


def _preview(draft: ProfileDraft) -> DirectoryProfile:
    """The draft as an entry (never stored), to show it exactly as others will see it."""
    return DirectoryProfile(
        name=draft.name,
        organisation=draft.organisation,
        region=draft.region,
        in_post_since=draft.in_post_since,
        interests=list(draft.interests),
        talk_about=draft.talk_about,
    )


# The menu


def _snoozed(entry: DirectoryProfile, now: datetime) -> bool:
    return entry.snoozed_until is not None and entry.snoozed_until > now


def _rounds_state(entry: DirectoryProfile, now: datetime, zone: ZoneInfo) -> str:
    if not entry.in_rounds:
        return "you've left them"
    if _snoozed(entry, now) and entry.snoozed_until is not None:
        return f"snoozed until {_day(entry.snoozed_until, zone)}"
    return "you're in them"


async def _waiting_for(ctx: Context, member_id: int) -> int:
    return sum(
        intros.seen_by(introduction, member_id, ctx.now) is Seen.WAITING_FOR_YOU
        for introduction in await intros.introductions_of(ctx.repos, member_id)
    )


async def _listed_text(ctx: Context, entry: DirectoryProfile) -> str:
    zone = await _zone(ctx, entry.member_id)
    lines = [
        "Your entry, as other members see it:",
        "",
        profile_text(entry),
        "",
        _private_lines(ProfileDraft.of(entry)),
        f"Matching rounds: {_rounds_state(entry, ctx.now, zone)}.",
    ]
    waiting = await _waiting_for(ctx, entry.member_id)
    if waiting:
        lines.append(
            _plural(waiting, "request waits", "requests wait") + " for your answer: see Requests."
        )
    return "\n".join(lines)


async def _menu(event: InboundEvent, ctx: Context, note: str = "") -> list[Reply]:
    """The member's place in the directory, with what they can do from here."""
    await _stop_waiting(ctx)
    entry = await intros.profile(ctx.repos, _member(event).id)
    if entry is None:
        text, options = NOT_LISTED, (offer("Join the directory", Join()),)
    elif entry.suspended_at is not None:
        text, options = PAUSED, PAUSED_MENU
    else:
        text, options = await _listed_text(ctx, entry), MENU
    return [in_place(event, note + text, options)]


@router.command(
    "directory",
    summary="Meet peers: the directory and introductions",
    access=Access.MEMBERS,
    menu="Peer directory",
    private_only=True,
)
async def directory(event: InboundEvent, ctx: Context) -> list[Reply]:
    return await _menu(event, ctx)


@router.choice(ShowMenu, access=Access.MEMBERS, private_only=True)
async def menu(event: InboundEvent, ctx: Context, pressed: ShowMenu) -> list[Reply]:
    return await _menu(event, ctx)


# The wizard's form: a mode and a draft, kept in the conversation data


@dataclasses.dataclass(frozen=True, slots=True)
class Form:
    mode: Mode
    draft: ProfileDraft

    def data(self) -> dict[str, Any]:
        draft = self.draft
        return {
            "mode": self.mode.value,
            "draft": {
                "name": draft.name,
                "organisation": draft.organisation,
                "region": draft.region,
                "in_post_since": draft.in_post_since.isoformat() if draft.in_post_since else None,
                "interests": list(draft.interests),
                "talk_about": draft.talk_about,
                "shares": sorted(kind.value for kind in draft.shares),
                "email": draft.email,
                "phone": draft.phone,
                "buddy": draft.buddy,
            },
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> Form:
        stored = data["draft"]
        since = stored["in_post_since"]
        draft = ProfileDraft(
            name=stored["name"],
            organisation=stored["organisation"],
            region=stored["region"],
            in_post_since=date.fromisoformat(since) if since else None,
            interests=tuple(stored["interests"]),
            talk_about=stored["talk_about"],
            shares=frozenset(ContactKind(kind) for kind in stored["shares"]),
            email=stored["email"],
            phone=stored["phone"],
            buddy=stored["buddy"],
        )
        return cls(Mode(data["mode"]), draft)

    def with_draft(self, **changes: Any) -> Form:
        return dataclasses.replace(self, draft=dataclasses.replace(self.draft, **changes))


EMPTY_DRAFT = ProfileDraft(name="", organisation="", region="", in_post_since=None, interests=())


def _form(ctx: Context) -> Form | None:
    """The form being filled in, or None when it timed out or was cancelled."""
    state = ctx.conversation.state
    if state is None or state.flow != DirectoryFlow.name or "draft" not in state.data:
        return None
    return Form.of(state.data)


@dataclasses.dataclass(frozen=True, slots=True)
class Asker:
    """Who fills in the form: what the screens offer depends on it."""

    display_name: str
    platforms: frozenset[str]


Screen = tuple[str, Sequence[Choice]]


def _now_line(form: Form, value: str) -> str:
    return f"\nNow: {value}" if form.mode is Mode.EDIT and value else ""


def _skip(form: Form, field: Field) -> Choice:
    return offer("Skip" if form.mode is Mode.JOIN else "Clear it", Skip(field))


def _name_screen(form: Form, asker: Asker) -> Screen:
    options = [offer(f"Use {asker.display_name}", UseName())] if asker.display_name else []
    text = "What name should other members see? Type it, or use the one I have."
    return text + _now_line(form, form.draft.name), options


def _organisation_screen(form: Form, asker: Asker) -> Screen:
    text = "Which organisation do you lead? Type its name, like Leeds Teaching Hospitals."
    return text + _now_line(form, form.draft.organisation), ()


def _region_screen(form: Form, asker: Asker) -> Screen:
    options = [offer(region, PickRegion(index)) for index, region in enumerate(REGIONS)]
    return "Which NHS England region are you in?" + _now_line(form, form.draft.region), options


def _in_post_screen(form: Form, asker: Asker) -> Screen:
    since = form.draft.in_post_since
    text = (
        "When did you come into post as chief executive? Type the month, like September 2025. "
        "It helps newly appointed peers find you."
    )
    return text + _now_line(form, f"{since:%B %Y}" if since else ""), [_skip(form, Field.IN_POST)]


def _interest_choices(draft: ProfileDraft) -> list[str]:
    """The suggestions, then the member's own: what the interest buttons index."""
    return [*SUGGESTED_INTERESTS, *(i for i in draft.interests if i not in SUGGESTED_INTERESTS)]


def _interests_screen(form: Form, asker: Asker) -> Screen:
    chosen = form.draft.interests
    options = [
        offer(f"✓ {interest}" if interest in chosen else interest, ToggleInterest(index))
        for index, interest in enumerate(_interest_choices(form.draft))
    ]
    options += [offer("Add my own", OwnInterests()), offer("Done", InterestsDone())]
    text = (
        f"Your interests and expertise: tap to choose up to {MAX_INTERESTS}, then Done.\n"
        f"Chosen: {', '.join(chosen) or 'none yet'}"
    )
    return text, options


def _own_interests_screen(form: Form, asker: Asker) -> Screen:
    return "Type your own, separated by commas, like: net zero, clinical strategy. Or /cancel.", ()


def _talk_about_screen(form: Form, asker: Asker) -> Screen:
    text = (
        "In a line, what are you happy to talk to peers about? "
        f"(At most {TALK_ABOUT_MAX_CHARS} characters.)"
    )
    return text + _now_line(form, form.draft.talk_about), [_skip(form, Field.TALK_ABOUT)]


def _share_kinds(asker: Asker) -> list[ContactKind]:
    """Email and phone, and the accounts the member has with the bot."""
    accounts = (ContactKind.TELEGRAM, ContactKind.SLACK)
    return [ContactKind.EMAIL, ContactKind.PHONE] + [
        kind for kind in accounts if kind.value in asker.platforms
    ]


def _shares_screen(form: Form, asker: Asker) -> Screen:
    shares = form.draft.shares
    options = [
        offer(
            f"✓ {SHARE_LABELS[kind]}" if kind in shares else SHARE_LABELS[kind], ToggleShare(kind)
        )
        for kind in _share_kinds(asker)
    ]
    options.append(offer("Done", SharesDone()))
    text = (
        "Which contact details should go to someone once you've both accepted an introduction? "
        "Nothing is shared before that. Tap to choose, then Done.\n"
        f"Chosen: {_shares_text(form.draft)}"
    )
    return text, options


def _email_screen(form: Form, asker: Asker) -> Screen:
    return "Type the email address to share, like name@trust.nhs.uk. Or /cancel.", ()


def _phone_screen(form: Form, asker: Asker) -> Screen:
    return "Type the phone number to share, like 07700 900123. Or /cancel.", ()


def _buddy_screen(form: Form, asker: Asker) -> Screen:
    options = (
        offer("Yes, I'll be a buddy", PickBuddy(BuddyChoice.YES)),
        offer("No, thanks", PickBuddy(BuddyChoice.NO)),
    )
    text = "Would you volunteer as a buddy for newly appointed chief executives in matching rounds?"
    return text + _now_line(form, "yes" if form.draft.buddy else "no"), options


def _confirm_screen(form: Form, asker: Asker) -> Screen:
    text = (
        "Here's your entry as other members will see it:\n\n"
        f"{profile_text(_preview(form.draft))}\n\n{_private_lines(form.draft)}"
    )
    return text, (offer("Join", ConfirmJoin()), offer("Start again", Join()))


SCREENS: dict[Step, Callable[[Form, Asker], Screen]] = {
    DirectoryFlow.NAME: _name_screen,
    DirectoryFlow.ORGANISATION: _organisation_screen,
    DirectoryFlow.REGION: _region_screen,
    DirectoryFlow.IN_POST: _in_post_screen,
    DirectoryFlow.INTERESTS: _interests_screen,
    DirectoryFlow.OWN_INTERESTS: _own_interests_screen,
    DirectoryFlow.TALK_ABOUT: _talk_about_screen,
    DirectoryFlow.SHARES: _shares_screen,
    DirectoryFlow.EMAIL: _email_screen,
    DirectoryFlow.PHONE: _phone_screen,
    DirectoryFlow.BUDDY: _buddy_screen,
    DirectoryFlow.CONFIRM: _confirm_screen,
}
STEPS_BY_NAME = {step.name: step for step in SCREENS}


async def _asker(event: InboundEvent, ctx: Context) -> Asker:
    member = await ctx.repos.members.get(_member(event).id)
    platforms = {identity.platform for identity in member.identities} if member else set()
    return Asker(_member(event).display_name, frozenset(platforms))


async def _show(
    event: InboundEvent, ctx: Context, form: Form, step: Step, note: str = ""
) -> list[Reply]:
    """Wait at `step` with the form, and show its question."""
    await ctx.conversation.go_to(step, form.data())
    text, options = SCREENS[step](form, await _asker(event, ctx))
    return [in_place(event, note + text, options)]


async def _save(event: InboundEvent, ctx: Context, form: Form) -> list[Reply]:
    member_id = _member(event).id
    existing = await intros.profile(ctx.repos, member_id)
    if form.mode is Mode.EDIT and existing is None:
        await _stop_waiting(ctx)
        return _sorry(event, IntrosError("you're not in the directory now: send /directory"))
    try:
        await intros.save_profile(ctx.repos, member_id, form.draft, ctx.now)
    except IntrosError as error:
        await _stop_waiting(ctx)
        return _sorry(event, error)
    note = "Saved. " if existing else "You're in the directory. Welcome!\n\n"
    return await _menu(event, ctx, note)


async def _answered(event: InboundEvent, ctx: Context, form: Form, field: Field) -> list[Reply]:
    """A field is answered: save it (editing), or ask the next question (joining)."""
    if form.mode is Mode.EDIT:
        return await _save(event, ctx, form)
    later = list(Field)[list(Field).index(field) + 1 :]
    return await _show(event, ctx, form, FIELD_STEPS[later[0]] if later else DirectoryFlow.CONFIRM)


def _timed_out(event: InboundEvent) -> list[Reply]:
    return [in_place(event, TIMED_OUT)]


@router.choice(Join, access=Access.MEMBERS, private_only=True)
async def join(event: InboundEvent, ctx: Context, pressed: Join) -> list[Reply]:
    if await intros.profile(ctx.repos, _member(event).id) is not None:
        return await _menu(event, ctx)
    return await _show(event, ctx, Form(Mode.JOIN, EMPTY_DRAFT), DirectoryFlow.NAME)


@router.choice(UseName, access=Access.MEMBERS, private_only=True)
async def use_name(event: InboundEvent, ctx: Context, pressed: UseName) -> list[Reply]:
    form = _form(ctx)
    if form is None:
        return _timed_out(event)
    try:
        name = parse_field(_member(event).display_name, "name")
    except ValueError as error:
        return await _show(event, ctx, form, DirectoryFlow.NAME, f"Sorry: {error}.\n\n")
    return await _answered(event, ctx, form.with_draft(name=name), Field.NAME)


@router.choice(PickRegion, access=Access.MEMBERS, private_only=True)
async def region_picked(event: InboundEvent, ctx: Context, pressed: PickRegion) -> list[Reply]:
    form = _form(ctx)
    if form is None:
        return _timed_out(event)
    if pressed.index >= len(REGIONS):
        return await _show(event, ctx, form, DirectoryFlow.REGION, USE_BUTTONS)
    return await _answered(event, ctx, form.with_draft(region=REGIONS[pressed.index]), Field.REGION)


SKIPPED = {Field.IN_POST: {"in_post_since": None}, Field.TALK_ABOUT: {"talk_about": ""}}


@router.choice(Skip, access=Access.MEMBERS, private_only=True)
async def skipped(event: InboundEvent, ctx: Context, pressed: Skip) -> list[Reply]:
    form = _form(ctx)
    if form is None or pressed.field not in SKIPPED:
        return _timed_out(event)
    return await _answered(event, ctx, form.with_draft(**SKIPPED[pressed.field]), pressed.field)


def _with_interests(draft: ProfileDraft, added: Sequence[str]) -> ProfileDraft:
    interests = (*draft.interests, *(i for i in added if i not in draft.interests))
    if len(interests) > MAX_INTERESTS:
        raise ValueError(f"you can choose up to {MAX_INTERESTS} interests; untick some first")
    return dataclasses.replace(draft, interests=interests)


@router.choice(ToggleInterest, access=Access.MEMBERS, private_only=True)
async def interest_toggled(
    event: InboundEvent, ctx: Context, pressed: ToggleInterest
) -> list[Reply]:
    form = _form(ctx)
    if form is None:
        return _timed_out(event)
    choices = _interest_choices(form.draft)
    if pressed.index >= len(choices):
        return await _show(event, ctx, form, DirectoryFlow.INTERESTS)
    interest = choices[pressed.index]
    if interest in form.draft.interests:
        kept = tuple(i for i in form.draft.interests if i != interest)
        return await _show(event, ctx, form.with_draft(interests=kept), DirectoryFlow.INTERESTS)
    try:
        form = dataclasses.replace(form, draft=_with_interests(form.draft, [interest]))
    except ValueError as error:
        return await _show(event, ctx, form, DirectoryFlow.INTERESTS, f"Sorry: {error}.\n\n")
    return await _show(event, ctx, form, DirectoryFlow.INTERESTS)


@router.choice(OwnInterests, access=Access.MEMBERS, private_only=True)
async def own_interests(event: InboundEvent, ctx: Context, pressed: OwnInterests) -> list[Reply]:
    form = _form(ctx)
    if form is None:
        return _timed_out(event)
    return await _show(event, ctx, form, DirectoryFlow.OWN_INTERESTS)


@router.choice(InterestsDone, access=Access.MEMBERS, private_only=True)
async def interests_done(event: InboundEvent, ctx: Context, pressed: InterestsDone) -> list[Reply]:
    form = _form(ctx)
    if form is None:
        return _timed_out(event)
    if not form.draft.interests:
        note = "Please choose at least one interest.\n\n"
        return await _show(event, ctx, form, DirectoryFlow.INTERESTS, note)
    return await _answered(event, ctx, form, Field.INTERESTS)


TYPED_CONTACTS = {ContactKind.EMAIL: DirectoryFlow.EMAIL, ContactKind.PHONE: DirectoryFlow.PHONE}


@router.choice(ToggleShare, access=Access.MEMBERS, private_only=True)
async def share_toggled(event: InboundEvent, ctx: Context, pressed: ToggleShare) -> list[Reply]:
    form = _form(ctx)
    if form is None:
        return _timed_out(event)
    kind, shares = pressed.kind, form.draft.shares
    if kind in shares:
        cleared = {kind.value: None} if kind in TYPED_CONTACTS else {}
        return await _show(
            event, ctx, form.with_draft(shares=shares - {kind}, **cleared), DirectoryFlow.SHARES
        )
    if kind not in _share_kinds(await _asker(event, ctx)):
        note = f"Sorry: you don't use the bot on {kind.value.capitalize()} yet.\n\n"
        return await _show(event, ctx, form, DirectoryFlow.SHARES, note)
    if kind in TYPED_CONTACTS:
        return await _show(event, ctx, form, TYPED_CONTACTS[kind])
    return await _show(event, ctx, form.with_draft(shares=shares | {kind}), DirectoryFlow.SHARES)


@router.choice(SharesDone, access=Access.MEMBERS, private_only=True)
async def shares_done(event: InboundEvent, ctx: Context, pressed: SharesDone) -> list[Reply]:
    form = _form(ctx)
    if form is None:
        return _timed_out(event)
    if not form.draft.shares:
        note = "Please choose at least one way for peers to reach you.\n\n"
        return await _show(event, ctx, form, DirectoryFlow.SHARES, note)
    return await _answered(event, ctx, form, Field.SHARES)


@router.choice(PickBuddy, access=Access.MEMBERS, private_only=True)
async def buddy_picked(event: InboundEvent, ctx: Context, pressed: PickBuddy) -> list[Reply]:
    form = _form(ctx)
    if form is None:
        return _timed_out(event)
    buddy = pressed.choice is BuddyChoice.YES
    return await _answered(event, ctx, form.with_draft(buddy=buddy), Field.BUDDY)


@router.choice(ConfirmJoin, access=Access.MEMBERS, private_only=True)
async def join_confirmed(event: InboundEvent, ctx: Context, pressed: ConfirmJoin) -> list[Reply]:
    form = _form(ctx)
    if form is None:
        return _timed_out(event)
    return await _save(event, ctx, form)


# What the member types into the form


Parse = Callable[[ProfileDraft, str, date], ProfileDraft]


@dataclasses.dataclass(frozen=True, slots=True)
class Typed:
    """How a typed answer changes the draft; `completes` it answers `field`, else it returns
    to that field's question (a contact detail, one's own interests)."""

    field: Field
    parse: Parse
    completes: bool = True


def _replacing(**parsers: Callable[[str, date], Any]) -> Parse:
    def parse(draft: ProfileDraft, text: str, today: date) -> ProfileDraft:
        return dataclasses.replace(
            draft, **{name: read(text, today) for name, read in parsers.items()}
        )

    return parse


def _sharing(kind: ContactKind, read: Callable[[str], str]) -> Parse:
    def parse(draft: ProfileDraft, text: str, today: date) -> ProfileDraft:
        return dataclasses.replace(draft, shares=draft.shares | {kind}, **{kind.value: read(text)})

    return parse


TYPED = {
    DirectoryFlow.NAME.name: Typed(
        Field.NAME, _replacing(name=lambda text, _: parse_field(text, "name"))
    ),
    DirectoryFlow.ORGANISATION.name: Typed(
        Field.ORGANISATION,
        _replacing(organisation=lambda text, _: parse_field(text, "organisation")),
    ),
    DirectoryFlow.IN_POST.name: Typed(Field.IN_POST, _replacing(in_post_since=parse_month)),
    DirectoryFlow.TALK_ABOUT.name: Typed(
        Field.TALK_ABOUT,
        _replacing(
            talk_about=lambda text, _: parse_field(
                text, "line on what you're happy to talk about", TALK_ABOUT_MAX_CHARS
            )
        ),
    ),
    DirectoryFlow.OWN_INTERESTS.name: Typed(
        Field.INTERESTS,
        lambda draft, text, _: _with_interests(draft, parse_interests(text)),
        completes=False,
    ),
    DirectoryFlow.EMAIL.name: Typed(
        Field.SHARES, _sharing(ContactKind.EMAIL, parse_email), completes=False
    ),
    DirectoryFlow.PHONE.name: Typed(
        Field.SHARES, _sharing(ContactKind.PHONE, parse_phone), completes=False
    ),
}


async def typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    """A typed answer: checked by its parser, which says what is wrong, or the form moves on."""
    assert isinstance(event.content, TextMessage) and ctx.conversation.state is not None
    form, answer = _form(ctx), TYPED[ctx.conversation.state.step]
    if form is None:
        return _timed_out(event)
    try:
        draft = answer.parse(form.draft, event.content.text, ctx.now.date())
    except ValueError as error:
        await ctx.conversation.stay()
        return [Text(TRY_AGAIN.format(error=error))]
    form = dataclasses.replace(form, draft=draft)
    if answer.completes:
        return await _answered(event, ctx, form, answer.field)
    return await _show(event, ctx, form, FIELD_STEPS[answer.field])


async def typed_at_buttons(event: InboundEvent, ctx: Context) -> list[Reply]:
    """Text where the form waits for a button: ask again, politely."""
    assert ctx.conversation.state is not None
    form = _form(ctx)
    if form is None:
        return _timed_out(event)
    return await _show(event, ctx, form, STEPS_BY_NAME[ctx.conversation.state.step], USE_BUTTONS)


for _step in SCREENS:
    router.step(_step, access=Access.MEMBERS)(typed if _step.name in TYPED else typed_at_buttons)


# Editing one field


@router.choice(EditEntry, access=Access.MEMBERS, private_only=True)
async def edit_entry(event: InboundEvent, ctx: Context, pressed: EditEntry) -> list[Reply]:
    await _stop_waiting(ctx)
    options = [offer(label, EditField(field)) for field, label in FIELD_LABELS.items()]
    return [in_place(event, "Which part of your entry would you like to change?", [*options, BACK])]


@router.choice(EditField, access=Access.MEMBERS, private_only=True)
async def edit_field(event: InboundEvent, ctx: Context, pressed: EditField) -> list[Reply]:
    entry = await intros.profile(ctx.repos, _member(event).id)
    if entry is None or entry.suspended_at is not None:
        return await _menu(event, ctx)
    form = Form(Mode.EDIT, ProfileDraft.of(entry))
    return await _show(event, ctx, form, FIELD_STEPS[pressed.field])


# Leaving


@router.choice(AskLeave, access=Access.MEMBERS, private_only=True)
async def ask_leave(event: InboundEvent, ctx: Context, pressed: AskLeave) -> list[Reply]:
    await _stop_waiting(ctx)
    options = (offer("Yes, leave", ConfirmLeave()), offer("Keep my entry", ShowMenu()))
    return [in_place(event, LEAVE_WARNING, options)]


@router.choice(ConfirmLeave, access=Access.MEMBERS, private_only=True)
async def leave_confirmed(event: InboundEvent, ctx: Context, pressed: ConfirmLeave) -> list[Reply]:
    try:
        withdrawn = await intros.leave(ctx.repos, _member(event).id, ctx.now)
    except IntrosError as error:
        return _sorry(event, error)
    lines = ["You've left the directory: your entry and contact details are removed."]
    if withdrawn:
        lines.append(_plural(withdrawn, "open request was", "open requests were") + " withdrawn.")
    lines.append("Your consent record is kept. Send /directory to join again at any time.")
    return [in_place(event, " ".join(lines))]


# Never pair me with


async def _never(event: InboundEvent, ctx: Context, note: str = "") -> list[Reply]:
    await _stop_waiting(ctx)
    entries = await intros.never_list(ctx.repos, _member(event).id)
    lines = "\n".join(f"• {what}" for _, what in entries) or "• nobody yet"
    options = [
        *(offer(f"Remove {what}", RemoveNever(entry_id)) for entry_id, what in entries),
        offer("Add a person", AddNeverPerson()),
        offer("Add an organisation", AddNeverOrganisation()),
        BACK,
    ]
    return [in_place(event, f"{note}{NEVER_INTRO}\n{lines}", options)]


@router.choice(ShowNever, access=Access.MEMBERS, private_only=True)
async def never(event: InboundEvent, ctx: Context, pressed: ShowNever) -> list[Reply]:
    return await _never(event, ctx)


@router.choice(RemoveNever, access=Access.MEMBERS, private_only=True)
async def never_removed(event: InboundEvent, ctx: Context, pressed: RemoveNever) -> list[Reply]:
    removed = await intros.forget_never(ctx.repos, _member(event).id, pressed.entry)
    return await _never(event, ctx, "Removed.\n\n" if removed else "That was removed already.\n\n")


@router.choice(AddNeverOrganisation, access=Access.MEMBERS, private_only=True)
async def add_never_organisation(
    event: InboundEvent, ctx: Context, pressed: AddNeverOrganisation
) -> list[Reply]:
    await ctx.conversation.go_to(DirectoryFlow.NEVER_ORGANISATION)
    text = "Type the organisation's name: rounds won't pair you with anyone there. Or /cancel."
    return [in_place(event, text)]


@router.step(DirectoryFlow.NEVER_ORGANISATION, access=Access.MEMBERS)
async def never_organisation_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage)
    try:
        organisation = parse_field(event.content.text, "organisation's name")
    except ValueError as error:
        await ctx.conversation.stay()
        return [Text(TRY_AGAIN.format(error=error))]
    await intros.never_pair_with(ctx.repos, _member(event).id, organisation=organisation)
    return await _never(event, ctx, f"Added anyone at {organisation}.\n\n")


@router.choice(AddNeverPerson, access=Access.MEMBERS, private_only=True)
async def add_never_person(
    event: InboundEvent, ctx: Context, pressed: AddNeverPerson
) -> list[Reply]:
    await ctx.conversation.go_to(DirectoryFlow.NEVER_PERSON)
    return [in_place(event, "Type part of their name. Or /cancel.")]


@router.step(DirectoryFlow.NEVER_PERSON, access=Access.MEMBERS)
async def never_person_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage)
    typed_name = event.content.text
    try:
        found = await intros.search(
            ctx.repos, _member(event).id, Search(name=typed_name), ctx.now.date()
        )
    except IntrosError as error:
        await _stop_waiting(ctx)
        return _sorry(event, error)
    if not found or len(found) > PEOPLE_SHOWN:
        await ctx.conversation.stay()
        if found:
            return [Text(f"{len(found)} people match; please type more of their name.")]
        return [Text(f"Nobody in the directory matches “{typed_name}”. Try again, or /cancel.")]
    await _stop_waiting(ctx)
    options = [
        *(offer(f"{e.name}, {e.organisation}", PickNever(e.member_id)) for e in found),
        offer("Back to my list", ShowNever()),
    ]
    return [in_place(event, "Whom should rounds never pair you with?", options)]


@router.choice(PickNever, access=Access.MEMBERS, private_only=True)
async def never_picked(event: InboundEvent, ctx: Context, pressed: PickNever) -> list[Reply]:
    member_id = _member(event).id
    try:
        other = await intros.peer(ctx.repos, member_id, pressed.member)
    except IntrosError as error:
        return _sorry(event, error)
    await intros.never_pair_with(ctx.repos, member_id, other_id=other.member_id)
    return await _never(event, ctx, f"Added {other.name}.\n\n")


# Matching rounds


async def _rounds(event: InboundEvent, ctx: Context, note: str = "") -> list[Reply]:
    entry = await intros.profile(ctx.repos, _member(event).id)
    if entry is None or entry.suspended_at is not None:
        return await _menu(event, ctx)
    state = _rounds_state(entry, ctx.now, await _zone(ctx, entry.member_id))
    options = []
    if not entry.in_rounds or _snoozed(entry, ctx.now):
        options.append(offer("Rejoin rounds", StayInRounds()))
    if entry.in_rounds:
        options += [offer(f"Snooze {weeks} weeks", Snooze(weeks)) for weeks in SNOOZE_WEEKS]
        options.append(offer("Leave rounds", LeaveRounds()))
    options.append(BACK)
    return [in_place(event, f"{note}{ROUNDS_INTRO}\nNow: {state}.", options)]


async def _set_rounds(
    event: InboundEvent, ctx: Context, note: str, *, in_rounds: bool, until: datetime | None
) -> list[Reply]:
    try:
        await intros.set_rounds(
            ctx.repos, _member(event).id, in_rounds=in_rounds, snooze_until=until
        )
    except IntrosError as error:
        return _sorry(event, error)
    return await _rounds(event, ctx, note)


@router.choice(ShowRounds, access=Access.MEMBERS, private_only=True)
async def rounds(event: InboundEvent, ctx: Context, pressed: ShowRounds) -> list[Reply]:
    return await _rounds(event, ctx)


@router.choice(Snooze, access=Access.MEMBERS, private_only=True)
async def snoozed(event: InboundEvent, ctx: Context, pressed: Snooze) -> list[Reply]:
    if pressed.weeks not in SNOOZE_WEEKS:
        return await _rounds(event, ctx)
    until = ctx.now + timedelta(weeks=pressed.weeks)
    note = f"Snoozed for {pressed.weeks} weeks.\n\n"
    return await _set_rounds(event, ctx, note, in_rounds=True, until=until)


@router.choice(StayInRounds, access=Access.MEMBERS, private_only=True)
async def stay_in_rounds(event: InboundEvent, ctx: Context, pressed: StayInRounds) -> list[Reply]:
    note = "Done: you're in matching rounds.\n\n"
    return await _set_rounds(event, ctx, note, in_rounds=True, until=None)


@router.choice(LeaveRounds, access=Access.MEMBERS, private_only=True)
async def leave_rounds(event: InboundEvent, ctx: Context, pressed: LeaveRounds) -> list[Reply]:
    note = "Done: you've left matching rounds. Your entry stays in the directory.\n\n"
    return await _set_rounds(event, ctx, note, in_rounds=False, until=None)


# The consent record


def consent_text(line: ConsentLine, zone: ZoneInfo) -> str:
    """`2 Dec 2026 10:04 · asked to be introduced to Sam Patel (sharing email)`."""
    words = CONSENT_WORDS[line.kind].format(who=" and ".join(line.others) or "a peer")
    detail = f" ({line.detail})" if line.detail else ""
    local = line.at.astimezone(zone)
    return f"{local.day} {local:%b %Y %H:%M} · {words}{detail}"


@router.choice(ShowConsent, access=Access.MEMBERS, private_only=True)
async def consent(event: InboundEvent, ctx: Context, pressed: ShowConsent) -> list[Reply]:
    member_id = _member(event).id
    zone = await _zone(ctx, member_id)
    record = await intros.consent_record(ctx.repos, member_id)
    lines = [consent_text(line, zone) for line in reversed(record[-CONSENT_SHOWN:])]
    text = CONSENT_INTRO + "\n\n" + ("\n".join(lines) or "Nothing yet.")
    return [in_place(event, text, [BACK])]
