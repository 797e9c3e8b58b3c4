"""No secret, contact detail or check-in answer reaches the log, at DEBUG, in a session that
touches every capability on both platforms.

The server is a real `cedp-bot serve` process with CEDP_LOG_LEVEL=DEBUG, and what is read is its
stderr: exactly what a deployment prints, through its own logging set-up (bot/cli.py), from
every logger in the process (ours, aiohttp.access, python-telegram-bot, slack_bolt, slack_sdk,
SQLAlchemy, which keeps itself at WARNING), start-up and shutdown included. An in-process server
would share the test's own logging with the loopback platforms and the HTTP client, whose lines
are no part of what the bot prints, and would skip the command line's set-up.

Staff work at the terminal (`cedp-bot invites create`, `coaching import`, `pulse create`) as they
do; everything else goes through the public HTTP endpoints, replies read at the loopback
platforms. Each person's part runs beside the others' where it does not wait on them: every chat
is paced on its own (a message a second after a short burst), so one after another would take
minutes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus

import aiohttp
import pytest

from bot.adapters.telegram import SECRET_HEADER, WEBHOOK_PATH
from handlers.faq import ASK_TEAM, HANDED_OVER
from tests.conftest import eventually
from tests.e2e.conftest import SLACK_SIGNING_SECRET, TELEGRAM_SECRET, Endpoint
from tests.e2e.loopback import LoopbackPlatforms, RecordedCall
from tests.e2e.payloads import (
    slack_dm_event,
    slack_event,
    slack_signature_headers,
    telegram_message,
)
from tests.e2e.people import Person, SlackPerson
from tests.e2e.processes import environment, free_port, serving
from tests.e2e.test_broadcasts import cli
from tests.e2e.test_slack import EVENTS
from tests.e2e.test_telegram import HEADERS, buttons, post_update

SECRET_KEY = "cedp-secret-key-Wq9v2Lr7Xe4Tn8Zs-kept-out-of-logs"
STAFF, ALICE, BEA = 7000, 7001, 7002  # on Telegram; Dr Priya Shah, the coach, is 7009
QUILLON = "U0QUILLON"  # on Slack
EMAIL, PHONE = "quillon.vexmoor@example.nhs.uk", "+44 7700 900461"
COMMENT = "zanzibar-quokka-comment"
CHOICE = "Marmalade lighthouse"  # a check-in option that is in no other text
FORGED_TELEGRAM_SECRET = "forged-telegram-header-0451"
FORGED_SLACK_KEY = "forged-slack-signing-key"
NEWS = "The spring residential is confirmed for 12 to 14 March."
TEAM_ANSWER = "Dogs are welcome in the gardens, on a lead."
SIGN_IN_LINK = re.compile(r"http://\S+/console/sign-in/([\w-]+)")

COACHES = """\
- name: Dr Priya Shah
  kind: coach
  account: telegram:7009
  specialisms: [finance]
  format: video
  bio: Former trust chief executive, accredited executive coach.
  timezone: Europe/London
  session_minutes: 60
  buffer_minutes: 15
  notice_hours: 24
  horizon_weeks: 8
  weekly: ["mon 09:00-12:00", "wed 14:00-17:00"]
"""

# A route of each capability, as the log names them: each must have been taken.
ROUTES = (
    "command:join",
    "command:me",
    "choice:settings:mute",
    "text",  # a question for the information line
    "choice:faq:pick",  # did you mean
    "choice:faq:team",  # handed to the team
    "command:console",
    "step:team-answer/text",
    "choice:book:yes",
    "choice:session:cancel-yes",
    "step:directory/email",
    "step:directory/phone",
    "choice:intro:yes",
    "choice:pulse:a",
    "step:pulse/comment",
    "step:broadcast/text",
    "choice:bc:rsvp",
)


def checkin(now: datetime) -> str:
    """A check-in open from a minute ago: the distinctive choice, then a comment."""
    return (
        f"title: Spring check-in\nopens: {(now - timedelta(minutes=1)).isoformat()}\n"
        f"closes: {(now + timedelta(days=7)).isoformat()}\nquestions:\n"
        f"  - id: need\n    text: What would help you most right now?\n    kind: choice\n"
        f"    options: [{CHOICE}, Something else]\n"
        f"  - id: comment\n    text: Anything else?\n    kind: text\n"
    )


@pytest.fixture
def terminal(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The folder staff run `cedp-bot` in, on the server's database; the test's logging is
    restored after (the command line sets up its own)."""
    monkeypatch.setenv("CEDP_DATABASE_URL", database_url)
    monkeypatch.setenv("CEDP_SEMANTIC", "off")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield tmp_path
    root.handlers[:] = handlers
    root.setLevel(level)


def staff_file(folder: Path, name: str, content: str) -> str:
    path = folder / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def labels(call: RecordedCall) -> list[str]:
    """The button labels of a Telegram message or a Slack one."""
    if "blocks" not in call.params:
        return [found["text"] for found in buttons(call)]
    return [
        element["text"]["text"]
        for block in call.params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def text(call: RecordedCall) -> str:
    return str(call.params.get("text", ""))


async def when_received(person: Person | SlackPerson, fragment: str) -> RecordedCall:
    """The first message to `person` containing `fragment`, once it has come."""

    def found() -> list[RecordedCall]:
        return [call for call in person.received() if fragment in text(call)]

    await eventually(lambda: bool(found()), 15, f"{fragment!r} reaches the person")
    return found()[0]


async def press_through(
    person: Person | SlackPerson, shown: RecordedCall, *steps: str
) -> RecordedCall:
    for label in steps:
        shown = await person.press(shown, label)
    return shown


async def type_through(person: Person | SlackPerson, *typed: str) -> RecordedCall:
    for line in typed:
        shown = await person.type(line)
    return shown


# Each person's part


async def invites(staff: Person, count: int) -> list[str]:
    """Staff join with a code from the terminal, then make `count` codes in chat."""
    code, _ = (await cli("invites", "create", "--role", "staff")).splitlines()
    assert "Welcome" in text(await staff.type(f"/join {code}"))
    made = [text(await staff.type("/invite member")) for _ in range(count)]
    return [re.findall(r"/join (\S+?)\.$", invite)[0] for invite in made]


async def joined(person: Person | SlackPerson, code: str, *, looks_around: bool = True) -> None:
    """`person` joins with `code`; then, `looks_around`, reads /me and mutes events."""
    assert "Welcome" in text(await person.type(f"/join {code}"))
    if looks_around:
        assert "Name:" in text(await person.type("/me"))
        await person.press(await person.type("/settings"), "Mute events")


async def directory_entry(
    person: Person | SlackPerson, name: str, organisation: str, *shares: str
) -> None:
    """The directory wizard, typed and pressed; `shares` are the presses (and typed values)
    on the page of what to share."""
    shown = await person.type("/directory")
    await person.press(shown, "Join the directory")
    shown = await type_through(person, name, organisation)
    await person.press(shown, "London")
    shown = await person.type("September 2025")
    shown = await press_through(person, shown, "digital", "Done", "Skip")
    for share in shares:
        shown = await (person.press(shown, share) if share in labels(shown) else person.type(share))
    shown = await press_through(person, shown, "Done", "No, thanks", "Join")
    assert "You're in the directory" in text(shown), text(shown)


async def alice_asks_and_joins_the_directory(alice: Person, code: str) -> None:
    await joined(alice, code)
    answer = await alice.type("what is the programme?")
    await alice.press(answer, "👍 Helpful")
    await directory_entry(alice, "Alice Jones", "Leeds Teaching Hospitals", "My Telegram account")


async def bea_asks_then_books_and_cancels(
    bea: Person, code: str, platforms: LoopbackPlatforms
) -> None:
    await joined(bea, code, looks_around=False)
    unsure = await bea.type("events")
    assert "None of these" in labels(unsure)
    await bea.press(unsure, labels(unsure)[0])
    offer = await bea.type("can I bring my dog?")
    assert text(await bea.press(offer, ASK_TEAM)) == HANDED_OVER
    await when_received(bea, TEAM_ANSWER)

    shown = await bea.type("/book")
    shown = await press_through(bea, shown, "Coaching", "Finance", "Dr Priya Shah")
    shown = await bea.press(shown, labels(shown)[0])  # the first free time
    booked = await bea.press(shown, "Yes")
    assert text(booked).startswith("Booked:"), text(booked)
    await platforms.wait_for("sendDocument")  # the .ics invite
    sessions = await bea.type("/sessions")
    [cancel] = [label for label in labels(sessions) if label.startswith("Cancel ")]
    asked = await bea.press(sessions, cancel)
    await bea.press(asked, "Yes, cancel it")


async def quillon_joins_the_directory(quillon: SlackPerson, code: str) -> None:
    await joined(quillon, code)
    await directory_entry(
        quillon,
        "Quillon Vexmoor",
        "Northfield NHS Foundation Trust",
        "Email",
        EMAIL,
        "Phone",
        PHONE,
    )


async def staff_answer_then_draft_a_broadcast(staff: Person) -> RecordedCall:
    """Staff answer the question handed to them, then write a broadcast with buttons up to its
    preview, which is returned."""
    await when_received(staff, "New question for the programme team")
    queue = await staff.type("/unanswered")
    await staff.press(queue, "Answer #1")
    assert text(await staff.type(TEAM_ANSWER)).startswith("Sent to")

    await staff.type("/broadcast")
    shown = await staff.type(NEWS)
    shown = await press_through(staff, shown, "Everyone", "All platforms", "News", "Add buttons")
    shown = await staff.type("Attend | Decline")
    return await staff.press(shown, "Counts only")


async def introduced(alice: Person, quillon: SlackPerson) -> None:
    shown = await alice.type("/directory")
    steps = ("Find peers", "Interest", "Digital", "Quillon Vexmoor", "Ask for an introduction")
    await press_through(alice, shown, *steps)
    sent = await alice.type("Could we compare notes on elective recovery?")
    assert text(sent).startswith("Sent to Quillon Vexmoor."), text(sent)
    request = await when_received(quillon, "would like to be introduced")
    assert text(await quillon.press(request, "Accept")).startswith("You're introduced")
    assert PHONE in text(await when_received(alice, EMAIL))


async def checked_in(person: Person | SlackPerson, option: str) -> None:
    invitation = await when_received(person, "is open to you")
    question = await person.press(invitation, "Start")
    await person.press(question, option)
    assert "thank you" in text(await person.type(COMMENT))


async def rsvp(person: Person | SlackPerson, answer: str) -> None:
    await person.press(await when_received(person, NEWS), answer)


async def refused_deliveries(server: Endpoint) -> str:
    """On each platform, a forgery (a wrong secret, a wrong signing key) and a genuine but
    malformed delivery carrying a contact detail, all refused; returns the forged signature."""
    forged = {SECRET_HEADER: FORGED_TELEGRAM_SECRET, "Content-Type": "application/json"}
    assert await post_update(server, telegram_message(99_999, ALICE, "/start"), **forged) == 403
    update = json.dumps(telegram_message(99_998, ALICE, f"write to {EMAIL}"))
    cut_short = update[: update.index(EMAIL) + len(EMAIL)].encode()  # JSON ending half-way
    assert (await server.post(WEBHOOK_PATH, cut_short, HEADERS))[0] == 400

    body = slack_event("Ev-forged", slack_dm_event(QUILLON, "/start"))
    signed = slack_signature_headers(FORGED_SLACK_KEY, body)
    assert (await server.post(EVENTS, body, signed))[0] == 401
    with_nul = slack_event("Ev-nul", slack_dm_event(QUILLON, f"write to {EMAIL}\x00"))
    genuine = slack_signature_headers(SLACK_SIGNING_SECRET, with_nul)
    assert (await server.post(EVENTS, with_nul, genuine))[0] == 400
    return signed["X-Slack-Signature"]


async def staff_open_the_console(staff: Person, server: Endpoint) -> tuple[str, str]:
    """Staff sign in to the console with the link /console sent, and open the team queue;
    returns the link's token and the session cookie."""
    before = len(staff.received())
    await staff.type("/console")

    def sent_link() -> re.Match[str] | None:  # a broadcast's notice may arrive around it
        found = (SIGN_IN_LINK.search(text(call)) for call in staff.received()[before:])
        return next((match for match in found if match), None)

    await eventually(lambda: sent_link() is not None, 10, "the console sign-in link")
    link = sent_link()
    assert link is not None
    origin = {"Origin": server.url, "Referer": link.group(0)}
    async with server.http.post(link.group(0), headers=origin, allow_redirects=False) as signed:
        assert signed.status == 303
        cookie = signed.cookies["cedp_console"].value
    signed_in = {"cedp_console": cookie}  # the session's jar keeps no cookie for an IP address
    async with server.http.get(
        server.url + "/console/team", headers=origin, cookies=signed_in
    ) as queue:
        assert queue.status == 200
        assert TEAM_ANSWER not in await queue.text()  # answered: no longer waiting
    return link.group(1), cookie


def spellings(value: str) -> set[str]:
    """The ways a value can be written into a log line: as is, percent-encoded, form-encoded
    and inside JSON."""
    return {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}


async def test_a_debug_log_of_every_capability_on_both_platforms_shows_no_secret(
    database_url: str, platforms: LoopbackPlatforms, terminal: Path
) -> None:
    await cli("coaching", "import", staff_file(terminal, "coaches.yaml", COACHES))
    port, log_path = free_port(), terminal / "serve.log"
    env = environment(
        database_url,
        platforms,
        CEDP_PUBLIC_URL=f"http://127.0.0.1:{port}",
        CEDP_LOG_LEVEL="DEBUG",
        CEDP_SECRET_KEY=SECRET_KEY,
        CEDP_QUIET_HOURS="",
        CEDP_CHECKIN_HOURS="always",
        CEDP_OUTBOX_POLL_SECONDS="0.1",
        CEDP_SCHEDULER_POLL_SECONDS="0.2",
    )
    with log_path.open("wb") as log_file:
        async with serving(env, port, stderr=log_file) as process, aiohttp.ClientSession() as http:
            server = Endpoint(f"http://127.0.0.1:{port}", http)
            staff, alice, bea = (
                Person(server, platforms, user, user * 10_000) for user in (STAFF, ALICE, BEA)
            )
            quillon = SlackPerson(server, platforms, QUILLON)
            for_alice, for_bea, for_quillon = await invites(staff, 3)
            *_, broadcast = await asyncio.gather(
                alice_asks_and_joins_the_directory(alice, for_alice),
                bea_asks_then_books_and_cancels(bea, for_bea, platforms),
                quillon_joins_the_directory(quillon, for_quillon),
                staff_answer_then_draft_a_broadcast(staff),
            )
            await introduced(alice, quillon)
            checkins = staff_file(terminal, "checkin.yaml", checkin(datetime.now(UTC)))
            await cli("pulse", "create", checkins)
            await asyncio.gather(checked_in(alice, CHOICE), checked_in(quillon, "Something else"))
            await staff.press(broadcast, "Send now")
            await asyncio.gather(rsvp(alice, "Attend"), rsvp(quillon, "Decline"))
            forged_signature = await refused_deliveries(server)
            sign_in_token, session_cookie = await staff_open_the_console(staff, server)
            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
    written = log_path.read_text(encoding="utf-8")

    kept_out = {
        "TELEGRAM_BOT_TOKEN": platforms.TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "SLACK_BOT_TOKEN": platforms.SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "CEDP_SECRET_KEY": SECRET_KEY,
        "the forged Telegram secret header": FORGED_TELEGRAM_SECRET,
        "the forged Slack signature": forged_signature,
        "the contact email": EMAIL,
        "the contact phone": PHONE,
        "the contact phone without spaces": PHONE.replace(" ", ""),
        "the check-in comment": COMMENT,
        "the check-in choice": CHOICE,
        **{f"invite code {code}": code for code in (for_alice, for_bea, for_quillon)},
        "the console sign-in token": sign_in_token,
        "the console session cookie": session_cookie,
    }
    for what, value in kept_out.items():
        for spelling in spellings(value):
            assert spelling not in written, f"{what} is in the log as {spelling!r}"

    # The log is the whole session's, not an empty file: libraries logged at DEBUG, both
    # webhooks were logged refusing what they refused, and every capability's routes were taken.
    assert re.search(r" DEBUG \[[^]]*\] slack_bolt\.", written)
    for refused in ('/telegram/webhook HTTP/1.1" 403', '/slack/events HTTP/1.1" 401'):
        assert refused in written
    assert "refused a malformed Telegram update" in written
    assert "refused a malformed Slack request" in written
    for route in ROUTES:
        assert f" handled by {route} in " in written, route
