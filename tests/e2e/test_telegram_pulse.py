"""A whole check-in over the Telegram webhook: five members are sent it when it opens, answer
every question with the buttons (one skips, one types a comment, one is offered support), it
closes, and staff read the released totals with /pulse. Staff are never told who said what, or
who was offered support."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from domain.people import Role
from tests.conftest import FakeClock, create_invite, eventually
from tests.e2e.conftest import Served
from tests.e2e.loopback import LoopbackPlatforms, RecordedCall
from tests.e2e.people import Person
from tests.handlers.pulse_setup import created, run_jobs

STAFF = 7100
MEMBERS = (7101, 7102, 7103, 7104, 7105)
# Each member's buttons, question by question; None: type a comment instead.
PRESSES: dict[int, tuple[str | None, ...]] = {
    7101: ("2 Hard", "Yes", "Peer support", "Skip"),
    7102: ("4 Good", "No", "Coaching", "Skip"),
    7103: ("4 Good", "No", "Skills courses", None),
    7104: ("3 Manageable", "Skip", "Coaching", "Skip"),
    7105: ("5 Very good", "No", "Nothing right now", "Skip"),
}
COMMENT = "More time with Dr Shah at Northfield NHS Foundation Trust would help"
SUPPORT = "Thank you for saying so"


def texts(person: Person) -> list[str]:
    return [call.params["text"] for call in person.received()]


async def _joined(person: Person, role: Role, served: Served) -> None:
    welcome = await person.type(f"/join {await create_invite(served.bot, role)}")
    assert "Welcome" in welcome.params["text"]


async def _answer(person: Person, invitation: RecordedCall) -> RecordedCall:
    """Start the check-in and answer it with `PRESSES`; the thanks at the end."""
    shown = await person.press(invitation, "Start")
    assert shown.params["text"].startswith("Question 1 of 4")
    for label in PRESSES[person.user_id]:
        if label is None:
            shown = await person.type(COMMENT)
        elif label in {"2 Hard", "Yes"}:  # the offer of support, then the next question
            shown = await person.press(shown, label, answers=2)
        else:
            shown = await person.press(shown, label)
    return shown


async def test_a_check_in_answered_with_buttons_then_released_to_staff(
    served: Served, platforms: LoopbackPlatforms, clock: FakeClock
) -> None:
    staff = Person(served, platforms, STAFF, 1)
    await _joined(staff, Role.STAFF, served)
    members = [
        Person(served, platforms, user, 10_000 * index) for index, user in enumerate(MEMBERS, 1)
    ]
    for member in members:
        await _joined(member, Role.MEMBER, served)

    checkin_id = await created(served.bot, lasts=timedelta(days=7))
    await run_jobs(served.bot)  # it opens, and each invitation is due now (a Tuesday, 09:00)
    for member in members:
        await eventually(
            lambda member=member: any("is open to you" in t for t in texts(member)),
            10,
            "the invitation reaches each member through the outbox",
        )
    assert not any("is open to you" in t for t in texts(staff))  # staff are not asked

    for member in members:
        invitation = next(c for c in member.received() if "is open to you" in c.params["text"])
        thanks = await _answer(member, invitation)
        assert thanks.params["text"].startswith("That's all of “December check-in”: thank you.")
    for member in members:
        offered = any(t.startswith(SUPPORT) for t in texts(member))
        assert offered is (member.user_id == 7101), member.user_id  # wellbeing 2 or isolated

    async with served.bot.services.database.engine.connect() as connection:
        rows = [tuple(row) for row in await connection.execute(text("SELECT * FROM pulse_answers"))]
    assert len(rows) == 5 + 4 + 5 + 1  # every answer but the skips
    assert not any(str(user) in map(str, row) for row in rows for user in MEMBERS)
    assert any("with [name] at [organisation] would help" in str(row) for row in rows)
    assert not any("Shah" in str(row) for row in rows)

    clock.advance(days=7, minutes=1)
    await run_jobs(served.bot)  # it closes, and staff are told in counts
    await eventually(
        lambda: any("has closed: 5 people answered" in t for t in texts(staff)),
        10,
        "the close reaches staff",
    )
    listing = await staff.type("/pulse")
    shown = await staff.press(listing, f"Results #{checkin_id}")
    results = shown.params["text"]
    assert "Sent to 5; 5 answered." in results
    assert "5 answers, mean 3.6 of 5" in results
    assert "4 Good: 2 (40%)" in results
    assert "not shown: fewer than 5 people answered it" in results  # isolated: one skipped
    assert "comments are shown only when at least 8 people answered" in results
    assert "Shah" not in results
    assert not any(SUPPORT in t for t in texts(staff))
