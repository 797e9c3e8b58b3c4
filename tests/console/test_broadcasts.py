"""Broadcasts in the console: staff compose one on a form, see exactly who it reaches and how it
looks on Telegram and on Slack, confirm, then follow its counts; resend to the failed, cancel
what is pending. The rules are the chat's and the CLI's (services/broadcasts.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.testing import TestChat
from bot.core import Bot
from services import broadcasts
from services.broadcasts import MAX_TEXT_CHARS
from storage.repositories import Repositories
from tests.conftest import FakeClock, join_as, unit
from tests.console.conftest import Browser, Page, fresh_once, new_browser, text_of

NEWS = "The open space event is on 7 December in Leeds.\n\nBring a friend."
ATTEND, DECLINE = "I'd like to attend", "Not this time"
Fields = list[tuple[str, str]]
_LEASE = timedelta(minutes=1)


@pytest.fixture
async def alice(bot: Bot) -> TestChat:
    chat = TestChat(bot, user_id="alice", display_name="Alice Jones")
    await join_as(bot, chat, tags=("london", "new-ceo"))
    return chat


@pytest.fixture
async def bob(bot: Bot) -> TestChat:
    chat = TestChat(bot, user_id="bob", display_name="Bob Smith")
    await join_as(bot, chat, tags=("north",))
    return chat


def fields(**changes: str | list[str]) -> Fields:
    """The compose form as a browser posts it: a message to everyone, now, as news."""
    values: dict[str, str | list[str]] = {
        "text": NEWS,
        "more_tags": "",
        "platform": "",
        "category": "news",
        "choices": "",
        "names": "counts",
        "when": "now",
        "date": "",
        "time": "",
        **changes,
    }
    return [
        (name, item)
        for name, value in values.items()
        for item in (value if isinstance(value, list) else [value])
    ]


async def post(browser: Browser, path: str, posted: Fields) -> Page:
    once = ("once", fresh_once())
    return await browser.post(path, data=[("form_token", browser.form_token or ""), once, *posted])


def hidden_fields(page: Page) -> Fields:
    """What the preview's Confirm posts again, the form token aside."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text, re.S)
    return [(name, unescape(value)) for name, value in found if name != "form_token"]


def notice(page: Page) -> str:
    found = re.search(r'role="alert"[^>]*>(.*?)</p>', page.text, re.S)
    assert found, text_of(page.text)
    return text_of(found.group(1))


async def broadcast_actions(bot: Bot) -> list[tuple[str, str]]:
    trail = await unit(bot.services.database, lambda repos: repos.audit.entries())
    return [
        (entry.record.action, entry.record.subject)
        for entry in trail
        if entry.record.action.startswith("broadcast.")
    ]


async def status(bot: Bot, number: int = 1) -> broadcasts.BroadcastStatus:
    return await unit(bot.services.database, lambda repos: broadcasts.status(repos, number))


async def test_the_form_offers_the_tags_in_use_with_how_many_members_have_them(
    browser: Browser, alice: TestChat, bob: TestChat
) -> None:
    page = await browser.get("/console/broadcasts/new")
    assert page.status == 200
    shown = text_of(page.text)
    assert "london (1 member)" in shown and "north (1 member)" in shown
    assert '<label for="text">Message' in page.text
    for name in ("more_tags", "choices", "date", "time"):
        assert f'<label for="{name}">' in page.text


async def test_staff_compose_preview_and_confirm_and_the_audit_trail_records_the_send(
    bot: Bot, browser: Browser, alice: TestChat, bob: TestChat
) -> None:
    composed = fields(
        tag="london", choices=f"{ATTEND}\n{DECLINE}\n", names="names", category="events"
    )
    preview = await post(browser, "/console/broadcasts/preview", composed)
    assert preview.status == 200, text_of(preview.text)
    shown = text_of(preview.text)
    assert "To london , on each member's last-used platform; category events" in shown
    assert "Recipients 1 It goes to 1 Muted events 0 Unreachable 0" in shown
    assert shown.count("Your answer is shared with the programme team by name.") == 2
    assert "On Telegram" in shown and "On Slack" in shown
    assert shown.count(ATTEND) == 2  # a button on each preview
    assert "Confirm: send to 1 member" in shown
    assert await broadcast_actions(bot) == []  # nothing is sent by a preview

    detail = await post(browser, "/console/broadcasts", hidden_fields(preview))
    assert "Broadcast #1 scheduled: 1 recipients, it goes to 1." in text_of(detail.text)
    assert 'data-live-src="/console/broadcasts/1/counts"' in detail.text
    report = await status(bot)
    assert report.broadcast.tags == ["london"] and report.broadcast.category == "events"
    assert report.broadcast.choices == [ATTEND, DECLINE] and report.broadcast.names_to_staff
    assert report.broadcast.text == NEWS
    assert await broadcast_actions(bot) == [("broadcast.send", "broadcast:1")]

    [received] = await alice.inbox()
    assert received.text.startswith(NEWS)
    assert await bob.inbox() == []


async def test_the_previews_come_from_each_platforms_rendering(
    browser: Browser, alice: TestChat
) -> None:
    """Telegram shows the text literally; Slack's escaping of &, < and > is undone on screen;
    the page escapes both once, like any text."""
    preview = await post(
        browser, "/console/broadcasts/preview", fields(text="Fish & chips <b>at 6</b>")
    )
    assert preview.text.count("Fish &amp; chips &lt;b&gt;at 6&lt;/b&gt;") == 3  # and Confirm's
    assert "&amp;amp;" not in preview.text


async def test_the_preview_shows_staffs_light_formatting_on_both_platforms(
    browser: Browser, alice: TestChat
) -> None:
    typed = "*Bring* a _friend_ & <b>\n- one\n* two\n2*3*4 snake_case"
    preview = await post(browser, "/console/broadcasts/preview", fields(text=typed))
    assert preview.status == 200, text_of(preview.text)
    shown = "<b>Bring</b> a <i>friend</i> &amp; &lt;b&gt;\n• one\n• two\n2*3*4 snake_case\n\n"
    assert preview.text.count(shown) == 2  # Telegram's column and Slack's


async def test_a_broadcasts_page_shows_its_message_formatted(
    bot: Bot, browser: Browser, alice: TestChat
) -> None:
    await post(browser, "/console/broadcasts", fields(text="*Bring* a friend"))
    page = await browser.get("/console/broadcasts/1")
    assert "<b>Bring</b> a friend" in page.text


async def test_edit_goes_back_to_the_form_with_every_value_kept(
    bot: Bot, browser: Browser, alice: TestChat, bob: TestChat
) -> None:
    on_telegram = TestChat(bot, user_id="5001", display_name="Tess Gram", platform="telegram")
    await join_as(bot, on_telegram, tags=("north",))
    composed = fields(
        tag=["london", "north"],
        more_tags="new-ceo",
        platform="telegram",
        category="essential",
        choices=f"{ATTEND}\n{DECLINE}",
        names="names",
        when="later",
        date="2026-11-25",
        time="10:30",
    )
    preview = await post(browser, "/console/broadcasts/preview", composed)
    assert "sends Wed 25 Nov 2026, 10:30" in text_of(preview.text)
    form = await post(browser, "/console/broadcasts/new", hidden_fields(preview))
    assert form.status == 200
    ticked = re.findall(r'name="(\w+)" value="([^"]*)" checked', form.text)
    assert ticked == [
        ("tag", "north"),
        ("tag", "london"),
        ("platform", "telegram"),
        ("category", "essential"),
        ("names", "names"),
        ("when", "later"),
    ]
    assert 'value="new-ceo"' in form.text and 'value="2026-11-25"' in form.text
    assert f"{ATTEND}\n{DECLINE}".replace("'", "&#39;") in form.text
    assert NEWS in form.text


LONG = "x" * (MAX_TEXT_CHARS + 1)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"text": ""}, "the message is empty"),
        ({"text": "   \n "}, "the message is empty"),
        ({"text": LONG}, f"the message has {MAX_TEXT_CHARS + 1} characters"),
        ({"more_tags": "Not a tag!"}, "Segment: 'not a tag!' is not a valid tag"),
        ({"tag": "<script>"}, "is not a valid tag"),
        ({"more_tags": "nobody-has-this"}, "nobody is in that segment"),
        ({"platform": "fax"}, "Platform: choose one of the options"),
        ({"category": "gossip"}, "Category: choose one of the options"),
        ({"names": "maybe"}, "Who sees the answers: choose one of the options"),
        ({"when": "tomorrow"}, "When: choose now or a date and time"),
        ({"when": "later"}, "When: give the date and the time"),
        ({"when": "later", "date": "2026-13-45", "time": "09:00"}, "is not a time"),
        (
            {"when": "later", "date": "2026-11-23", "time": "09:00"},
            "2026-11-23 09:00 UTC has passed",
        ),
        ({"when": "later", "date": "2028-01-01", "time": "09:00"}, "at most a year ahead"),
        ({"choices": "\n".join("ABCDEF")}, "at most 5 choices"),
        ({"choices": "Yes\nyes"}, "two choices are the same"),
        ({"choices": "y" * 41}, "a choice takes at most 40 characters"),
    ],
)
@pytest.mark.parametrize("step", ["preview", "confirm"])
async def test_a_bad_field_shows_the_form_again_saying_why_with_the_values_kept(
    bot: Bot,
    browser: Browser,
    alice: TestChat,
    changes: dict[str, str],
    says: str,
    step: str,
) -> None:
    path = "/console/broadcasts/preview" if step == "preview" else "/console/broadcasts"
    page = await post(browser, path, fields(**changes))
    assert page.status == 400
    assert says in notice(page)
    assert '<form class="stack" method="post" action="/console/broadcasts/preview">' in page.text
    if changes.get("text", NEWS) == NEWS:
        assert NEWS in page.text
    assert await broadcast_actions(bot) == []


@pytest.mark.parametrize("step", ["preview", "confirm", "new"])
async def test_garbage_that_no_form_sends_is_refused_politely(
    bot: Bot, browser: Browser, alice: TestChat, step: str
) -> None:
    path = {"preview": "/console/broadcasts/preview", "confirm": "/console/broadcasts"}.get(
        step, "/console/broadcasts/new"
    )
    posted = [
        ("form_token", browser.form_token or ""),
        ("once", fresh_once()),
        *fields(choices="x" * 5000),
    ]
    refused = await browser.post(path, data=posted, follow=False)
    assert refused.status == 303 and refused.location == "/console/broadcasts/new"
    page = await browser.get("/console/broadcasts/new")
    assert "Buttons to answer with: at most 1000 characters, not 5000" in notice(page)
    assert await broadcast_actions(bot) == []


@pytest.mark.parametrize("path", ["/console/broadcasts/preview", "/console/broadcasts"])
async def test_a_form_with_no_fields_says_the_message_is_empty(
    bot: Bot, browser: Browser, alice: TestChat, path: str
) -> None:
    page = await browser.post(path, {})
    assert page.status == 400
    assert "the message is empty" in notice(page)
    assert await broadcast_actions(bot) == []


async def test_fields_left_out_take_the_forms_defaults(browser: Browser, alice: TestChat) -> None:
    preview = await browser.post("/console/broadcasts/preview", {"text": NEWS})
    assert preview.status == 200
    assert "To everyone , on each member's last-used platform; category news" in text_of(
        preview.text
    )


async def test_a_post_without_the_form_token_is_not_accepted(
    browser: Browser, alice: TestChat
) -> None:
    page = await browser.post("/console/broadcasts", data=fields())
    assert page.status == 403


async def _schedule(browser: Browser, **changes: str) -> Page:
    preview = await post(browser, "/console/broadcasts/preview", fields(**changes))
    assert preview.status == 200, text_of(preview.text)
    return await post(browser, "/console/broadcasts", hidden_fields(preview))


async def test_cancel_stops_what_is_pending_and_is_recorded(
    bot: Bot, browser: Browser, alice: TestChat, bob: TestChat
) -> None:
    detail = await _schedule(
        browser, more_tags="london,north", when="later", date="2026-11-25", time="09:00"
    )
    assert "Cancel: the 2 pending are not sent" in text_of(detail.text)
    page = await browser.post("/console/broadcasts/1/cancel", {})
    assert "Cancelled broadcast #1: 2 pending messages will not be sent." in text_of(page.text)
    assert "Delivery: cancelled" in text_of(page.text)
    assert "Cancel: the" not in text_of(page.text)
    again = await browser.post("/console/broadcasts/1/cancel", {})
    assert "broadcast 1 was cancelled already" in notice(again)
    assert await broadcast_actions(bot) == [
        ("broadcast.send", "broadcast:1"),
        ("broadcast.cancel", "broadcast:1"),
    ]


async def _refuse_everyone(bot: Bot, platform: str) -> None:
    """The platform refuses every due row for good, as a blocked bot is refused."""

    async def refuse(repos: Repositories) -> None:
        due = await broadcasts.claim_due(
            repos, platform, bot.services.clock(), bot.services.settings, lease=_LEASE, limit=10
        )
        outcomes = [broadcasts.refused(item.delivery, "blocked by the user") for item in due]
        await repos.broadcasts.record(outcomes, bot.services.clock())

    await unit(bot.services.database, refuse)


async def test_the_failed_are_listed_as_the_command_line_lists_them_and_resent_to(
    bot: Bot, browser: Browser, alice: TestChat, clock: FakeClock
) -> None:
    await _schedule(browser, tag="london")
    await _refuse_everyone(bot, alice.sender.platform)
    page = await browser.get("/console/broadcasts/1")
    shown = text_of(page.text)
    assert "Failed and unreachable (1)" in shown
    assert f"failed Alice Jones {alice.sender.platform}:alice unreachable: blocked" in shown
    assert "Resend to the failed (1)" in shown

    resent = await browser.post("/console/broadcasts/1/resend", {})
    assert "Broadcast #1: 1 failed deliveries go again." in text_of(resent.text)
    assert (await status(bot)).state == "sending"
    assert await broadcast_actions(bot) == [
        ("broadcast.send", "broadcast:1"),
        ("broadcast.resend", "broadcast:1"),
    ]
    [received] = await alice.inbox()
    assert received.text.startswith(NEWS)


async def test_the_counts_json_says_done_once_nothing_is_pending(
    browser: Browser, alice: TestChat, bob: TestChat
) -> None:
    await _schedule(browser, more_tags="london,north", choices=f"{ATTEND}\n{DECLINE}")
    counts = await browser.client.get("/console/broadcasts/1/counts")
    assert await counts.json() == {
        "recipients": 2,
        "pending": 2,
        "sent": 0,
        "failed": 0,
        "excluded": 0,
        "choices": {ATTEND: 0, DECLINE: 0},
        "choice-0": 0,
        "choice-1": 0,
        "state": "sending",
        "done": False,
    }
    await alice.inbox()
    await alice.press(ATTEND)
    await bob.inbox()
    counts = await browser.client.get("/console/broadcasts/1/counts")
    values = await counts.json()
    assert (values["sent"], values["pending"], values["choice-0"]) == (2, 0, 1)
    assert (values["state"], values["done"]) == ("done", True)


@pytest.mark.parametrize("names", ["names", "counts"])
async def test_answers_are_counted_and_named_only_when_members_were_told(
    browser: Browser, alice: TestChat, names: str
) -> None:
    await _schedule(browser, choices=f"{ATTEND}\n{DECLINE}", names=names)
    await alice.inbox()
    await alice.press(DECLINE)
    shown = text_of((await browser.get("/console/broadcasts/1")).text)
    assert f"{ATTEND} 0" in shown
    if names == "names":
        assert f"{DECLINE} 1 Alice Jones" in shown
    else:
        assert f"{DECLINE} 1" in shown and "Alice Jones" not in shown
        assert "counts only" in shown


async def test_the_list_shows_every_broadcast_newest_first_with_its_counts(
    browser: Browser, alice: TestChat, bob: TestChat
) -> None:
    assert "No broadcasts yet." in text_of((await browser.get("/console/broadcasts")).text)
    await _schedule(browser, text="First of two")
    await _schedule(browser, text="Second of two", tag="north")
    shown = text_of((await browser.get("/console/broadcasts")).text)
    assert shown.index("#2 Second of two") < shown.index("#1 First of two")
    assert "news north 0 / 1 1 0 0 sending" in shown


@pytest.mark.parametrize(
    "path",
    [
        "/console/broadcasts/99",
        "/console/broadcasts/99/counts",
        "/console/broadcasts/preview",
        "/console/broadcasts/abc",
        "/console/broadcasts/1" + "0" * 20,
    ],
)
async def test_an_unknown_broadcast_is_a_polite_404(browser: Browser, path: str) -> None:
    page = await browser.get(path)
    assert page.status == 404


@pytest.mark.parametrize("action", ["resend", "cancel"])
async def test_acting_on_an_unknown_broadcast_says_so(browser: Browser, action: str) -> None:
    page = await browser.post(f"/console/broadcasts/99/{action}", follow=False)
    assert page.status == 303 and page.location == "/console/broadcasts/99"
    assert (await browser.post("/console/broadcasts/abc/resend", {})).status == 404


async def test_signed_out_nothing_is_shown_or_sent(
    bot: Bot, console_client: TestClient, alice: TestChat
) -> None:
    outsider = new_browser(console_client)
    assert (await outsider.get("/console/broadcasts/new")).status == 401
    assert (await outsider.post("/console/broadcasts", data=fields())).status == 401
    assert await broadcast_actions(bot) == []


async def test_confirming_the_same_preview_twice_sends_one_broadcast(
    bot: Bot, browser: Browser, alice: TestChat
) -> None:
    preview = await browser.post("/console/broadcasts/preview", {"text": NEWS})
    once = re.search(r'name="once" value="([^"]+)"', preview.text)
    assert once, "the confirmation carries a one-time token"
    confirm = [("form_token", browser.form_token or ""), ("once", once.group(1)), *fields()]
    first = await browser.post("/console/broadcasts", data=confirm)
    again = await browser.post("/console/broadcasts", data=confirm)  # a double click
    assert first.status == 200
    assert "already sent, so it was not carried out again" in text_of(again.text)
    assert len(await broadcast_actions(bot)) == 1
