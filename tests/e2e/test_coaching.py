"""A whole coaching booking over the Telegram webhook: genuine updates and button presses in,
the Bot API calls out, down to the .ics invite sent as a document."""

from __future__ import annotations

from icalendar import Calendar

from domain.people import Role
from storage.repositories import Repositories
from tests.conftest import create_invite
from tests.e2e.conftest import Served
from tests.e2e.loopback import LoopbackPlatforms, RecordedCall
from tests.e2e.payloads import telegram_callback, telegram_message
from tests.e2e.test_telegram import button, buttons, post_update
from tests.handlers.test_coaching import add_coach

ALICE = 5001
PRIYA = 5009


class Conversation:
    """Alice's side: she types and presses; each press edits the message it was pressed on."""

    def __init__(self, served: Served, platforms: LoopbackPlatforms) -> None:
        self._served, self._platforms = served, platforms
        self._updates = iter(range(1, 1000))
        self.message_id = 0

    async def type(self, text: str) -> RecordedCall:
        before = len(self._platforms.calls_to("sendMessage"))
        await post_update(self._served, telegram_message(next(self._updates), ALICE, text))
        [*_, sent] = await self._platforms.wait_for("sendMessage", count=before + 1)
        self.message_id = sent.answer["result"]["message_id"]
        return sent

    async def press(self, shown: RecordedCall, label: str) -> RecordedCall:
        """Press the button `label` of the message `shown`; the edit that follows."""
        before = len(self._platforms.calls_to("editMessageText"))
        update = telegram_callback(
            next(self._updates), ALICE, button(shown, label), message_id=self.message_id
        )
        await post_update(self._served, update)
        [*_, edited] = await self._platforms.wait_for("editMessageText", count=before + 1)
        assert edited.params["message_id"] == self.message_id
        return edited


async def test_a_member_books_a_session_with_buttons_and_receives_the_invite(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    await add_coach(served.bot, str(PRIYA), platform="telegram")
    alice = Conversation(served, platforms)
    welcome = await alice.type(f"/join {await create_invite(served.bot, Role.MEMBER)}")
    assert "Welcome" in welcome.params["text"]

    prompt = await alice.type("/book")
    assert prompt.params["text"] == "Would you like coaching or mentoring?"
    shown = await alice.press(prompt, "Coaching")
    shown = await alice.press(shown, "Finance")
    assert "Dr Priya Shah (video)" in shown.params["text"]
    shown = await alice.press(shown, "Dr Priya Shah")
    assert "Free on Wed 25 Nov" in shown.params["text"]
    shown = await alice.press(shown, "Next day")
    shown = await alice.press(shown, "09:00–10:00")
    assert shown.params["text"] == "Book Mon 30 Nov 09:00–10:00 with Dr Priya Shah?"
    booked = await alice.press(shown, "Yes")
    assert booked.params["text"].startswith("Booked: Mon 30 Nov 09:00–10:00 with Dr Priya Shah")
    assert buttons(booked) == []  # nothing left to press twice

    [document] = await platforms.wait_for("sendDocument")
    assert document.params["chat_id"] == ALICE
    upload = document.params["document"]
    assert upload["filename"].endswith(".ics")
    calendar = Calendar.from_ical(upload["content"])
    assert calendar["method"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert event["dtstart"].params["TZID"] == "Europe/London"
    assert event.decoded("dtstart").isoformat() == "2026-11-30T09:00:00+00:00"
    async with served.bot.services.database.transaction() as session:
        [(booking, coach, name)] = await Repositories.bound_to(session).coaching.upcoming(
            served.bot.services.clock()
        )
    assert str(event["uid"]) == booking.uid
    assert (coach.name, name) == ("Dr Priya Shah", "Alice")
