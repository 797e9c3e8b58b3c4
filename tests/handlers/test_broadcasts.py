"""Broadcasts in chat: staff compose one a question at a time and follow it; members receive
it once, answer its choices and may change their answer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Text
from bot.middleware import EMPTY, NOT_YOURS
from bot.settings import Settings
from domain.people import Role
from handlers.broadcasts import (
    ASK_LABELS,
    ASK_TAGS,
    ASK_TEXT,
    ASK_WHEN,
    DISCARDED,
    EARLIER_STEP,
    NOT_COMPOSING,
    PRESS_A_BUTTON,
    Compose,
    Option,
    Rsvp,
    StopAction,
    StopBroadcast,
)
from services import broadcasts
from services.broadcasts import BroadcastStatus
from storage.broadcasts import DeliveryStatus
from tests.conftest import FakeClock, join_as, unit

STAFF_ONLY = "Sorry, that's only available to programme staff."
ATTEND, DECLINE = "I'd like to attend", "Not this time"
NEWS = "The open space event is on 7 December in Leeds."


@pytest.fixture
async def bot(settings: Settings, clock: FakeClock) -> AsyncIterator[Bot]:
    """No quiet hours and no rate limit in the way: a flow is many events in one minute."""
    started = await Bot.start(
        settings.model_copy(update={"quiet_hours": "", "rate_limit_per_minute": 10_000}),
        clock=clock,
    )
    yield started
    await started.close()


@pytest.fixture
async def staff(bot: Bot) -> TestChat:
    chat = TestChat(bot, user_id="sam", display_name="Sam Staff")
    await join_as(bot, chat, Role.STAFF)
    return chat


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


async def _status(bot: Bot, broadcast_id: int = 1) -> BroadcastStatus:
    return await unit(bot.services.database, lambda repos: broadcasts.status(repos, broadcast_id))


async def _compose(
    staff: TestChat,
    segment: str = "Everyone",
    *,
    category: str = "News",
    buttons: str | None = None,
    shared: str = "Counts only",
) -> None:
    """Everything up to the preview."""
    await staff.send("/broadcast")
    await staff.send(NEWS)
    await staff.press(segment)
    await staff.press("All platforms")
    await staff.press(category)
    if buttons is None:
        await staff.press("No buttons")
        return
    await staff.press("Add buttons")
    await staff.send(buttons)
    await staff.press(shared)


async def test_staff_compose_a_broadcast_a_step_at_a_time_and_the_segment_receives_it_once(
    bot: Bot, staff: TestChat, alice: TestChat, bob: TestChat
) -> None:
    await staff.send("/broadcast")
    assert staff.text == ASK_TEXT
    await staff.send(NEWS)
    assert staff.labels == ["Everyone", "london", "new-ceo", "north", "Type tags"]
    await staff.press("london")
    assert staff.labels == ["All platforms", "Telegram only", "Slack only"]
    await staff.press("All platforms")
    assert "Members can mute news and events" in staff.text
    assert staff.labels == ["News", "Events", "Essential"]
    await staff.press("Events")
    assert staff.labels == ["No buttons", "Add buttons"]
    await staff.press("Add buttons")
    assert staff.text == ASK_LABELS
    await staff.send(f"{ATTEND} | {DECLINE}")
    assert staff.labels == ["Counts only", "Names to staff"]
    await staff.press("Names to staff")

    assert "To: london, on each member's last-used platform; category events" in staff.text
    assert "Recipients: 1 members; it goes to 1." in staff.text
    assert NEWS in staff.text and "Programme events from the CEDP team" in staff.text
    assert "Your answer is shared with the programme team by name." in staff.text
    assert f"[{ATTEND}]" in staff.text
    assert staff.labels == ["Send now", "Send later", "Cancel"]
    await staff.press("Send now")
    assert staff.text == "Broadcast 1 scheduled: 1 recipients; status with /broadcasts"

    report = await _status(bot)
    assert report.as_json() == {
        "recipients": 1,
        "pending": 1,
        "sent": 0,
        "failed": 0,
        "excluded": 0,
        "choices": {ATTEND: 0, DECLINE: 0},
    }
    assert report.broadcast.names_to_staff and report.broadcast.tags == ["london"]
    await alice.inbox()
    assert NEWS in alice.text and alice.labels == [ATTEND, DECLINE]
    assert await alice.inbox() == []
    assert await bob.inbox() == []
    assert (await _status(bot)).counts[DeliveryStatus.SENT] == 1


async def test_tags_can_be_typed_and_a_segment_of_nobody_asks_again(
    bot: Bot, staff: TestChat, alice: TestChat, bob: TestChat
) -> None:
    await staff.send("/broadcast")
    await staff.send(NEWS)
    await staff.press("Type tags")
    assert staff.text == ASK_TAGS
    await staff.send("nobody-has-this")
    await staff.press("All platforms")
    await staff.press("News")
    await staff.press("No buttons")
    assert staff.text.startswith("Nobody is in that segment: please choose another.")
    assert "Everyone" in staff.labels

    await staff.press("Type tags")
    await staff.send("London, north")
    await staff.press("All platforms")
    await staff.press("News")
    await staff.press("No buttons")
    assert "Recipients: 2 members" in staff.text
    await staff.press("Send now")
    assert (await _status(bot)).recipients == 2


async def test_a_member_answer_is_counted_and_can_be_changed(
    bot: Bot, staff: TestChat, alice: TestChat, bob: TestChat
) -> None:
    await _compose(staff, buttons=f"{ATTEND}|{DECLINE}", shared="Names to staff")
    await staff.press("Send now")
    await alice.inbox()
    await bob.inbox()

    await alice.press(ATTEND)
    assert f"Your answer: {ATTEND}. Press another to change it." in alice.text
    assert alice.labels == [f"✓ {ATTEND}", DECLINE]
    await bob.press(ATTEND)
    report = await _status(bot)
    assert report.choices == {ATTEND: 2, DECLINE: 0}

    await alice.press(DECLINE)
    assert alice.labels == [ATTEND, f"✓ {DECLINE}"]
    report = await _status(bot)
    assert report.choices == {ATTEND: 1, DECLINE: 1}
    assert report.names == {ATTEND: ["Bob Smith"], DECLINE: ["Alice Jones"]}


async def test_someone_elses_answer_button_does_nothing(
    bot: Bot, staff: TestChat, alice: TestChat, bob: TestChat
) -> None:
    await _compose(staff, buttons=f"{ATTEND}|{DECLINE}")
    await staff.press("Send now")
    await alice.inbox()
    assert await bob.press_payload(alice.payload(ATTEND)) == [Text(NOT_YOURS)]
    assert (await _status(bot)).choices == {ATTEND: 0, DECLINE: 0}


async def test_an_answer_to_a_broadcast_not_received_is_refused_politely(
    bot: Bot, staff: TestChat, alice: TestChat, bob: TestChat
) -> None:
    await _compose(staff, "london", buttons=f"{ATTEND}|{DECLINE}")
    await staff.press("Send now")
    await bob.press_bound(Rsvp(1, 0))
    assert bob.text == "Sorry: that message is no longer open for answers."
    await bob.press_bound(Rsvp(99, 0))
    assert bob.text == "Sorry: that message is no longer open for answers."
    await alice.inbox()
    await alice.press_bound(Rsvp(1, 4))
    assert alice.text == "Sorry: that answer is not one of the choices."
    assert (await _status(bot)).choices == {ATTEND: 0, DECLINE: 0}


async def test_members_cannot_compose_follow_or_cancel_broadcasts(
    bot: Bot, staff: TestChat, alice: TestChat
) -> None:
    for command in ("/broadcast", "/broadcasts"):
        await alice.send(command)
        assert alice.text == STAFF_ONLY, command
    await alice.send("/start")
    assert "Send a broadcast" not in alice.labels
    await _compose(staff)
    await staff.press("Send later")
    await staff.send("2026-12-07 09:00")
    await alice.press_bound(Compose(Option.SCHEDULE))
    assert alice.text == STAFF_ONLY
    await staff.press("Schedule it")
    await alice.press_bound(StopBroadcast(1, StopAction.CONFIRM))
    assert alice.text == STAFF_ONLY
    assert (await _status(bot)).state == "sending"


async def test_a_broadcast_sent_later_waits_for_its_time(
    bot: Bot, clock: FakeClock, staff: TestChat, alice: TestChat
) -> None:
    await _compose(staff, category="Essential")
    await staff.press("Send later")
    assert staff.text == ASK_WHEN
    await staff.send("2026-12-07 09:00")
    assert "sends 2026-12-07 09:00 UTC" in staff.text  # London is on UTC in December
    assert staff.labels == ["Schedule it", "Cancel"]
    await staff.press("Schedule it")
    assert staff.text == "Broadcast 1 scheduled: 2 recipients; status with /broadcasts"

    assert await alice.inbox() == []
    clock.advance(days=13)
    await alice.inbox()
    assert NEWS in alice.text and "Essential programme notice" in alice.text


async def test_an_offset_time_is_taken_as_given(bot: Bot, staff: TestChat) -> None:
    await _compose(staff)
    await staff.press("Send later")
    await staff.send("2026-12-07T09:00+02:00")
    assert "sends 2026-12-07 07:00 UTC" in staff.text


async def test_bad_input_at_each_step_gets_a_polite_reply_and_the_same_question(
    bot: Bot, staff: TestChat, alice: TestChat
) -> None:
    await staff.send("/broadcast")
    await staff.send("x" * 3600)
    assert staff.text == f"Sorry: the message has 3600 characters; at most 3500 fit.\n\n{ASK_TEXT}"
    await staff.send(NEWS)
    segment_buttons = staff.labels

    await staff.send("everyone please")
    assert staff.text.startswith(PRESS_A_BUTTON) and staff.labels == segment_buttons
    await staff.press("Type tags")
    await staff.send("not a tag!")
    assert "is not a valid tag" in staff.text and staff.text.endswith(ASK_TAGS)
    await staff.send(",,")
    assert staff.text == EMPTY  # text without a word is answered before the flow sees it
    await staff.send("london")

    await staff.send("telegram")
    assert staff.text.startswith(PRESS_A_BUTTON)
    await staff.press("All platforms")
    await staff.send("news")
    assert staff.text.startswith(PRESS_A_BUTTON) and staff.labels == ["News", "Events", "Essential"]
    await staff.press("News")
    await staff.press("Add buttons")
    for typed, why in [
        ("A|B|C|D|E|F", "Sorry: at most 5 choices fit under a message."),
        ("Yes|yes", "Sorry: two choices are the same."),
        ("y" * 41, "Sorry: a choice takes at most 40 characters."),
    ]:
        await staff.send(typed)
        assert staff.text == f"{why}\n\n{ASK_LABELS}", typed
    await staff.send(f"{ATTEND}|{DECLINE}")
    await staff.press("Counts only")

    await staff.send("send it")
    assert staff.text.startswith(PRESS_A_BUTTON) and "Send now" in staff.labels
    await staff.press("Send later")
    for typed, why in [
        ("next Tuesday", "is not a time: type it like 2026-12-07 09:00"),
        ("2026-11-01 09:00", "Sorry: 2026-11-01 09:00 UTC has passed."),
        ("2028-01-01 09:00", "Sorry: a broadcast can be scheduled at most a year ahead."),
    ]:
        await staff.send(typed)
        assert why in staff.text and staff.text.endswith(ASK_WHEN), typed
    await staff.send("2026-11-24 10:00")
    await staff.press("Schedule it")
    assert staff.text.startswith("Broadcast 1 scheduled")


async def test_old_buttons_of_the_flow_do_nothing(
    bot: Bot, staff: TestChat, alice: TestChat
) -> None:
    await staff.send("/broadcast")
    await staff.send(NEWS)
    everyone = staff.payload("Everyone")
    await staff.press("Everyone")
    all_platforms = staff.payload("All platforms")
    assert await staff.press_payload(everyone) == [Text(EARLIER_STEP)]
    await staff.press_payload(all_platforms)
    await staff.press("News")
    await staff.press("No buttons")
    send_now = staff.payload("Send now")
    await staff.press("Cancel")
    assert staff.text == DISCARDED
    assert await staff.press_payload(send_now) == [Text(NOT_COMPOSING)]
    assert await unit(bot.services.database, broadcasts.list_broadcasts) == []


async def test_staff_follow_the_latest_broadcasts_and_cancel_one_still_sending(
    bot: Bot, staff: TestChat, alice: TestChat, bob: TestChat
) -> None:
    await staff.send("/broadcasts")
    assert staff.text == "No broadcasts yet. Send /broadcast to compose one."
    await _compose(staff, "london", buttons=f"{ATTEND}|{DECLINE}")
    await staff.press("Send now")
    await alice.inbox()
    await alice.press(ATTEND)
    await _compose(staff)
    await staff.press("Send now")

    await staff.send("/broadcasts")
    assert staff.text.splitlines()[:4] == [
        "broadcast 2 (news, sending): 3 recipients, sends 2026-11-24 09:00 UTC",
        f"«{NEWS[:40]}…»",
        "pending 3, sent 0, failed 0, excluded 0, cancelled 0",
        "",
    ]
    assert "broadcast 1 (news, done): 1 recipients" in staff.text
    assert f"choice «{ATTEND}»\t1" in staff.text
    assert staff.labels == ["Cancel #2"]

    await staff.press("Cancel #2")
    assert staff.text.startswith(
        "Cancel broadcast 2? The 3 messages still pending will not be sent."
    )
    assert staff.labels == ["Yes, cancel #2", "Keep it"]
    await staff.press("Keep it")
    assert staff.text == "Fine: broadcast 2 carries on."
    await staff.send("/broadcasts")
    await staff.press("Cancel #2")
    await staff.press("Yes, cancel #2")
    assert staff.text == "Cancelled broadcast 2: 3 pending messages will not be sent."
    assert (await _status(bot, 2)).state == "cancelled"
    trail = await unit(bot.services.database, lambda r: r.audit.entries())
    [staff_pseudonym] = {entry.record.actor for entry in trail}
    assert staff_pseudonym.startswith("m-")
    assert [(e.record.action, e.record.subject) for e in trail] == [
        ("broadcast.send", "broadcast:1"),
        ("broadcast.send", "broadcast:2"),
        ("broadcast.cancel", "broadcast:2"),
    ]
    assert await bob.inbox() == []
    await staff.press_bound(StopBroadcast(2, StopAction.ASK))
    assert staff.text == "Broadcast 2 is cancelled: nothing is left to cancel."
    await staff.press_bound(StopBroadcast(2, StopAction.CONFIRM))
    assert staff.text == "Sorry: broadcast 2 was cancelled already."
