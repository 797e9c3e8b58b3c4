"""In a real browser: staff compose a broadcast for a segment, check the recipients and the
Telegram and Slack previews, confirm, and watch its counts reach "sent" on the detail page
without reloading it, while the loopback Telegram and Slack APIs receive it."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Browser, expect

from domain.people import Role
from tests.conftest import FakeClock, create_invite, eventually
from tests.e2e.conftest import Served
from tests.e2e.console.conftest import join, screenshot, sign_in
from tests.e2e.loopback import LoopbackPlatforms, RecordedCall
from tests.e2e.people import Person, SlackPerson

STAFF, ANN, BOB = 7101, 7102, 7103  # on Telegram
CAT = "U0CAT"  # on Slack
SEGMENT = "new-ceo"
CONFIRMED = "is confirmed for 12 to 14 March."
TEXT = (
    f"The *spring residential* {CONFIRMED}\n\nRooms are booked for everyone.\n"
    "- Bring _walking shoes_\n- Dinner on Friday at 7"
)
ATTEND, DECLINE = "I'd like to attend", "Not this time"


async def _segment_member(
    person: Person | SlackPerson, served: Served, tags: tuple[str, ...]
) -> None:
    answer = await person.type(f"/join {await create_invite(served.bot, tags=tags)}")
    shown = answer.params.get("text", "")
    assert "Welcome" in shown or "Welcome" in str(answer.params.get("blocks")), answer.params


async def test_staff_send_a_broadcast_and_watch_its_counts_reach_sent(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms, clock: FakeClock
) -> None:
    """It is scheduled a few minutes ahead, so the detail page opens with all pending; the
    clock then reaches that time and the counts change on the open page."""
    staff = await join(console_served, platforms, STAFF, Role.STAFF)
    ann = Person(console_served, platforms, ANN, first=ANN * 1000)
    bob = Person(console_served, platforms, BOB, first=BOB * 1000)
    cat = SlackPerson(console_served, platforms, CAT)
    for person in (ann, bob, cat):
        await _segment_member(person, console_served, (SEGMENT, "london"))
    await _segment_member(
        Person(console_served, platforms, 7104, first=7104000), console_served, ("north",)
    )

    page = await sign_in(chromium, staff)
    await page.get_by_role("link", name="Broadcasts").click()
    await page.get_by_role("link", name="Compose a broadcast").click()
    await page.get_by_label("Message").fill(TEXT)
    await page.get_by_role("checkbox", name=re.compile(f"^{SEGMENT}")).check()
    await page.get_by_role("radio", name=re.compile("^Events")).check()
    await page.get_by_label("Buttons to answer with").fill(f"{ATTEND}\n{DECLINE}")
    await page.get_by_label("Send at this date and time").check()
    await page.get_by_label("Date", exact=True).fill(f"{clock.now:%Y-%m-%d}")
    await page.get_by_label("Time", exact=True).fill(f"{clock.now + timedelta(minutes=5):%H:%M}")
    await page.get_by_role("button", name="Preview").click()

    await expect(page.get_by_role("heading", name="Check and confirm")).to_be_visible()
    recipients = page.locator(".counts div").filter(has_text="Recipients").locator("dd")
    await expect(recipients).to_have_text("3")
    telegram = page.get_by_role("region", name="On Telegram")
    slack = page.get_by_role("region", name="On Slack")
    for preview in (telegram, slack):
        await expect(preview).to_contain_text("Rooms are booked for everyone.")
        await expect(preview.locator("b")).to_have_text("spring residential")
        await expect(preview.locator("i")).to_have_text("walking shoes")
        await expect(preview).to_contain_text("• Dinner on Friday at 7")
        await expect(preview).to_contain_text("Programme events from the CEDP team")
        await expect(preview.get_by_text(ATTEND)).to_be_visible()
    await screenshot(page, "broadcast-preview")

    await page.get_by_role("button", name="Edit").click()  # back, every value kept
    await expect(page.get_by_label("Message")).to_have_value(TEXT)
    await expect(page.get_by_role("checkbox", name=re.compile(f"^{SEGMENT}"))).to_be_checked()
    await page.get_by_role("button", name="Preview").click()

    navigations: list[str] = []
    await page.get_by_role("button", name="Confirm: send to 3 members").click()
    await expect(page.get_by_role("status")).to_contain_text("Broadcast #1 scheduled")
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    live = page.locator("[data-live-src]")
    await expect(live.locator('[data-live="pending"]')).to_have_text("3")
    await expect(live.locator('[data-live="sent"]')).to_have_text("0")
    clock.advance(minutes=5)
    await expect(live.locator('[data-live="sent"]')).to_have_text("3", timeout=15_000)
    await expect(live.locator('[data-live="pending"]')).to_have_text("0")
    await expect(live.locator('[data-live="state"]')).to_have_text("done")
    assert navigations == []  # the counts changed in place

    for person in (ann, bob, cat):
        await eventually(lambda p=person: _broadcast_to(p) is not None, 10, "the broadcast")
    shown = _broadcast_to(ann)
    assert shown is not None
    await ann.press(shown, ATTEND)
    await page.reload()
    await expect(page.get_by_role("row", name=f"{ATTEND} 1")).to_be_visible()
    await screenshot(page, "broadcasts")


def _broadcast_to(person: Person | SlackPerson) -> RecordedCall | None:
    """The broadcast as the platform's API received it for `person`, if it has."""
    return next(
        (call for call in person.received() if CONFIRMED in str(call.params.get("text", ""))),
        None,
    )
