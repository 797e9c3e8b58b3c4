"""Broadcasts: compose, preview, confirm, then watch delivery counts live (rules:
services/broadcasts.py, as for /broadcast and `cedp-bot broadcast`).

Composing takes one form; its preview shows the exact recipients (`broadcasts.plan`) and the
message as Telegram and Slack will show it, rendered by the adapters' own `render`. Confirm
posts the same fields again (hidden), so what is scheduled is what was previewed, re-checked at
that moment; Edit posts them back to the form. A slip shows the form again with what was typed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from datetime import datetime

from aiohttp import web

from bot import markup
from bot.messages import Choices
from bot.parsing import parse_tags, parse_time
from console.pages import ROOT, Form, FormError, Missing, Page, Pages, Redirect, Visit
from console.times import PROGRAMME_ZONE
from domain.errors import Refusal
from domain.notices import Category
from handlers.broadcasts import reply_for
from handlers.broadcasts_cli import PLATFORMS
from services import broadcasts
from services.broadcasts import (
    CATEGORY_NAMES,
    MAX_CHOICE_CHARS,
    MAX_CHOICES,
    MAX_TEXT_CHARS,
    MUTED,
    BroadcastMessage,
    Draft,
    Plan,
)
from storage.repositories import Repositories

pages = Pages("broadcasts", "Broadcasts")
COMPOSE = f"{ROOT}/broadcasts/new"
NOW, LATER = "now", "later"
COUNTS_ONLY, NAMES_TO_STAFF = "counts", "names"
MAX_FIELD_CHARS = 1000  # any field but the message: far more than a valid value needs
MAX_POSTED_TEXT = 4 * MAX_TEXT_CHARS  # kept to show again, then refused with its length


@dataclass(frozen=True, slots=True)
class Composed:
    """The compose form's fields as posted: shown again after Edit or a slip, carried through
    the preview in hidden inputs, and read into a `Draft` with each field checked."""

    text: str = ""
    tags: tuple[str, ...] = ()
    more_tags: str = ""
    platform: str = ""
    category: str = Category.NEWS.value
    choices: str = ""
    names: str = COUNTS_ONLY
    when: str = NOW
    date: str = ""
    time: str = ""

    @classmethod
    def posted(cls, form: Form) -> Composed:
        def value(name: str, label: str, default: str = "") -> str:
            return form.text(name, label, max_chars=MAX_FIELD_CHARS, required=False) or default

        return cls(
            text=form.text("text", "Message", max_chars=MAX_POSTED_TEXT, required=False),
            tags=tuple(dict.fromkeys(form.texts("tag"))),
            more_tags=value("more_tags", "Other tags"),
            platform=value("platform", "Platform"),
            category=value("category", "Category", Category.NEWS.value),
            choices=value("choices", "Buttons to answer with"),
            names=value("names", "Who sees the answers", COUNTS_ONLY),
            when=value("when", "When", NOW),
            date=value("date", "Date"),
            time=value("time", "Time"),
        )

    def as_fields(self) -> list[tuple[str, str]]:
        """Every field as the form posts it (a tag per ticked box): the preview's hidden inputs."""
        return [
            *(("tag", tag) for tag in self.tags),
            *((f.name, getattr(self, f.name)) for f in fields(self) if f.name != "tags"),
        ]

    @property
    def choice_lines(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def draft(self) -> Draft:
        """The draft the rules take; `FormError` names a field that is not a valid value (the
        rules then check the draft itself)."""
        try:
            tags = parse_tags(",".join((*self.tags, self.more_tags)))
        except ValueError as error:
            raise FormError(f"Segment: {error}") from None
        if self.platform and self.platform not in PLATFORMS:
            raise FormError("Platform: choose one of the options")
        try:
            category = Category(self.category)
        except ValueError:
            raise FormError("Category: choose one of the options") from None
        if self.names not in (COUNTS_ONLY, NAMES_TO_STAFF):
            raise FormError("Who sees the answers: choose one of the options")
        return Draft(
            self.text,
            category=category,
            tags=tuple(tags),
            platform=self.platform or None,
            choices=tuple(self.choice_lines),
            send_at=self._send_at(),
            names_to_staff=self.names == NAMES_TO_STAFF,
        )

    def _send_at(self) -> datetime | None:
        if self.when == NOW:
            return None
        if self.when != LATER:
            raise FormError("When: choose now or a date and time")
        if not self.date or not self.time:
            raise FormError("When: give the date and the time to send it")
        try:
            return parse_time(f"{self.date} {self.time}", PROGRAMME_ZONE)
        except ValueError as error:
            raise FormError(f"When: {error}") from None


@dataclass(frozen=True, slots=True)
class Shown:
    """One message as a platform shows it: its paragraphs as escaped HTML with the bold and
    italic the platform shows, then its rows of buttons."""

    html: str
    buttons: tuple[tuple[str, ...], ...] = ()


def previews(planned: Plan) -> dict[str, list[Shown]]:
    """The broadcast as Telegram and Slack show it, from the adapters' own rendering of the
    reply the senders send (handlers/broadcasts.py `reply_for`): Telegram's the very HTML it
    is sent, Slack's each section's mrkdwn read back into staff's markup, as a web page."""
    from bot.adapters import slack, telegram  # the SDKs load only when used, as in bot/web.py

    draft = planned.draft
    reply = reply_for(BroadcastMessage(0, planned.message, draft.choices))
    options = reply.options if isinstance(reply, Choices) else ()
    on_telegram = [
        Shown(
            message.html,
            tuple(tuple(b.text for b in row) for row in message.keyboard.inline_keyboard)
            if message.keyboard
            else (),
        )
        for message in telegram.render(reply.text, options, markup=reply.markup)
    ]
    on_slack = [
        Shown(
            "\n\n".join(
                markup.html(slack.from_slack(block["text"]["text"]))
                for block in message.blocks
                if block["type"] == "section"
            ),
            tuple(
                tuple(element["text"]["text"] for element in block["elements"])
                for block in message.blocks
                if block["type"] == "actions"
            ),
        )
        for message in slack.render(reply.text, options, markup=reply.markup)
    ]
    return {"Telegram": on_telegram, "Slack": on_slack}


async def tags_in_use(repos: Repositories) -> list[tuple[str, int]]:
    """Every member tag with how many members have it, most used first: the segments."""
    counted = Counter(tag.tag for member in await repos.members.list() for tag in member.tags)
    return sorted(counted.items(), key=lambda item: (-item[1], item[0]))


async def compose_page(visit: Visit, composed: Composed, error: str | None = None) -> Page:
    """The form, with what was typed and, after a slip, what was wrong (a 400 then)."""
    return Page(
        "broadcast_compose.html",
        "Compose a broadcast",
        {
            "composed": composed,
            "error": error,
            "tags": await tags_in_use(visit.repos),
            "platforms": PLATFORMS,
            "categories": CATEGORY_NAMES,
            "max_text": MAX_TEXT_CHARS,
            "max_choices": MAX_CHOICES,
            "max_choice_chars": MAX_CHOICE_CHARS,
        },
        status=400 if error else 200,
    )


async def status_of(visit: Visit) -> broadcasts.BroadcastStatus:
    """The broadcast the address names; a 404 page when there is none."""
    number = visit.whole("broadcast")
    try:
        return await broadcasts.status(visit.repos, number)
    except broadcasts.BroadcastError:
        raise Missing(f"There is no broadcast #{number}.") from None


@pages.get("")
async def listing(visit: Visit) -> Page:
    return Page(
        "broadcasts.html",
        "Broadcasts",
        {"reports": await broadcasts.list_broadcasts(visit.repos)},
    )


@pages.get("/new")
async def compose(visit: Visit) -> Page:
    return await compose_page(visit, Composed())


@pages.post("/new", back=COMPOSE)
async def edit(visit: Visit) -> Page:
    """Back from the preview to the form, with every value kept."""
    return await compose_page(visit, Composed.posted(visit.posted))


@pages.post("/preview", back=COMPOSE)
async def preview(visit: Visit) -> Page:
    composed = Composed.posted(visit.posted)
    try:
        planned = await broadcasts.plan(
            visit.repos, composed.draft(), visit.now, visit.services.settings
        )
    except Refusal as refusal:
        return await compose_page(visit, composed, str(refusal))
    if not planned.recipients:
        return await compose_page(visit, composed, "nobody is in that segment: choose another")
    return Page(
        "broadcast_preview.html",
        "Check and confirm",
        {
            "composed": composed,
            "plan": planned,
            "draft": planned.draft,
            "muted": planned.excluded(MUTED),
            "unreachable": planned.excluded("unreachable"),
            "previews": previews(planned),
        },
    )


@pages.post("", back=COMPOSE, once=True)
async def confirm(visit: Visit) -> Page | Redirect:
    """Schedule what the preview showed. The rules refuse before they write anything (the
    time has passed, the segment emptied), so the form comes back with the values kept."""
    composed = Composed.posted(visit.posted)
    try:
        planned = await broadcasts.schedule(
            visit.repos, composed.draft(), visit.now, visit.services.settings, by=visit.member
        )
    except Refusal as refusal:
        return await compose_page(visit, composed, str(refusal))
    return Redirect(
        f"{pages.base}/{planned.broadcast_id}",
        f"Broadcast #{planned.broadcast_id} scheduled: {planned.recipients} recipients, "
        f"it goes to {planned.to_send}.",
    )


@pages.get("/{broadcast}")
async def detail(visit: Visit) -> Page:
    report = await status_of(visit)
    message = broadcasts.message_of(report.broadcast)
    return Page(
        "broadcast.html",
        f"Broadcast #{report.broadcast.id}",
        {
            "report": report,
            "counts": report.as_json(),
            "message": message,
            "message_html": markup.html(message.text),
        },
    )


@pages.get("/{broadcast}/counts")
async def counts(visit: Visit) -> web.Response:
    """The live counts a page refreshes (console/static/live.js): `done` once nothing is
    pending, so polling stops; each choice's count also under `choice-<n>`, for live.js."""
    report = await status_of(visit)
    per_choice = {f"choice-{n}": count for n, count in enumerate(report.choices.values())}
    return web.json_response(
        {
            **report.as_json(),
            **per_choice,
            "state": report.state,
            "done": report.state != "sending",
        }
    )


@pages.post("/{broadcast}/resend", back=f"{ROOT}/broadcasts/{{broadcast}}")
async def resend(visit: Visit) -> Redirect:
    number = visit.whole("broadcast")
    again = await broadcasts.resend_failed(visit.repos, number, visit.now, by=visit.member)
    return Redirect(
        f"{pages.base}/{number}", f"Broadcast #{number}: {again} failed deliveries go again."
    )


@pages.post("/{broadcast}/cancel", back=f"{ROOT}/broadcasts/{{broadcast}}")
async def cancel(visit: Visit) -> Redirect:
    number = visit.whole("broadcast")
    stopped = await broadcasts.cancel(visit.repos, number, visit.now, by=visit.member)
    return Redirect(
        f"{pages.base}/{number}",
        f"Cancelled broadcast #{number}: {stopped} pending messages will not be sent.",
    )
