"""In a real browser: staff filter the members by tag and change a member's role, create an
invite and see its code once, and upload the coaches file to see each coach's week."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from domain.people import Role
from storage.repositories import Repositories
from tests.coaching_people import booking_row
from tests.conftest import unit
from tests.e2e.conftest import Served
from tests.e2e.console.conftest import join, screenshot, sign_in
from tests.e2e.loopback import LoopbackPlatforms

STAFF = 7101
PEOPLE = [  # name, role, tags, a Telegram account the platform refused messages to
    ("Ann Lee", Role.MEMBER, ("new-ceo", "north-west"), None),
    ("Bob Hart", Role.MEMBER, ("north-west",), None),
    ("Chidi Obi", Role.MEMBER, ("new-ceo", "london"), "880011"),
    ("Dana Cole", Role.COACH, (), None),
]
COACHES = """\
- name: Dr Priya Shah
  kind: coach
  specialisms: [finance, leading change]
  format: video
  bio: Former trust chief executive, accredited executive coach.
  timezone: Europe/London
  weekly: ["mon 09:00-12:00", "wed 14:00-17:00"]
  exceptions: ["2026-12-25", "2026-12-28 09:00-12:00"]
- name: Tom Okafor
  kind: mentor
  specialisms: [first year as CEO]
  format: in person
  weekly: ["tue 10:00-12:00", "thu 13:00-16:00"]
"""


async def _add_people(served: Served) -> dict[str, int]:
    now = served.bot.services.clock()

    async def add(repos: Repositories) -> dict[str, int]:
        ids = {}
        for name, role, tags, refused in PEOPLE:
            identity = ("telegram", refused) if refused else None
            member = await repos.members.create(
                display_name=name, role=role, tags=tags, now=now, identity=identity
            )
            if refused:
                await repos.members.mark_unreachable(
                    "telegram", refused, "Forbidden: bot was blocked by the user", now
                )
            ids[name] = member.id
        return ids

    return await unit(served.bot.services.database, add)


async def _members_page(chromium: Browser, served: Served, platforms: LoopbackPlatforms) -> Page:
    staff = await join(served, platforms, STAFF, Role.STAFF)
    page = await sign_in(chromium, staff)
    await page.get_by_role("link", name="Members and invites").click()
    await expect(page.get_by_role("heading", name="Members and invites")).to_be_visible()
    return page


async def test_staff_filter_members_by_tag_and_change_a_members_role(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms
) -> None:
    ids = await _add_people(console_served)
    page = await _members_page(chromium, console_served, platforms)
    await page.get_by_label("Tag", exact=True).select_option("new-ceo")
    await page.get_by_role("button", name="Show members").click()
    listed = page.locator("table.members").get_by_role("rowheader")
    await expect(listed).to_have_count(2)
    await expect(listed.filter(has_text="Ann Lee")).to_be_visible()
    await expect(listed.filter(has_text="Chidi Obi")).to_be_visible()

    ann = ids["Ann Lee"]
    await page.get_by_text("Change Ann Lee", exact=True).click()
    await page.locator(f"#role-{ann}").select_option("coach")
    await page.get_by_role("button", name="Change Ann Lee's role").click()
    await expect(page.get_by_role("status")).to_have_text("Ann Lee is now coach.")
    await expect(page.locator(f"#member-{ann} td").first).to_have_text("coach")

    await page.set_viewport_size({"width": 768, "height": 1024})  # a tablet: nothing off-screen
    assert await page.evaluate("document.documentElement.scrollWidth") <= 768


async def test_staff_create_an_invite_and_see_its_code_once(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms
) -> None:
    await _add_people(console_served)
    page = await _members_page(chromium, console_served, platforms)
    await page.get_by_label("Role it gives").select_option("member")
    await page.get_by_label("People it admits").fill("5")
    await page.get_by_label("Tags the member gets").fill("new-ceo, cohort-3")
    await page.get_by_role("button", name="Create invite code").click()
    notice = page.get_by_role("status")
    await expect(notice).to_contain_text("it is not shown again")
    found = re.search(r"Its code is ([A-Z0-9]{4}-[A-Z0-9]{4})", await notice.inner_text())
    assert found
    await expect(page.get_by_role("button", name=re.compile("Withdraw invite"))).to_have_count(1)
    await screenshot(page, "members")

    await page.reload()
    await expect(page.get_by_role("status")).to_have_count(0)
    assert found.group(1) not in await page.content()
    await page.get_by_role("button", name=re.compile("Withdraw invite")).click()
    await expect(page.get_by_role("status")).to_contain_text("is withdrawn")
    await expect(page.get_by_role("button", name=re.compile("Withdraw invite"))).to_have_count(0)


async def test_staff_upload_the_coaches_file_and_see_each_coachs_week(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms, tmp_path: Path
) -> None:
    ids = await _add_people(console_served)
    staff = await join(console_served, platforms, STAFF, Role.STAFF)
    page = await sign_in(chromium, staff)
    await page.get_by_role("link", name="Coaching").click()
    await expect(page.get_by_text("No coaches yet")).to_be_visible()
    coaches_file = tmp_path / "coaches.yaml"
    coaches_file.write_text(COACHES, encoding="utf-8")
    await page.get_by_label("Coaches file (YAML").set_input_files(coaches_file)
    await page.get_by_role("button", name="Import coaches").click()
    await expect(page.get_by_role("status")).to_contain_text("2 added (Dr Priya Shah, Tom Okafor)")

    now = console_served.bot.services.clock()

    async def book(repos: Repositories) -> None:
        priya, tom = await repos.coaching.coaches()
        for coach, name, start in [
            (priya, "Ann Lee", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
            (priya, "Chidi Obi", datetime(2026, 12, 2, 15, 0, tzinfo=UTC)),
            (tom, "Bob Hart", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ]:
            await repos.coaching.add_booking(booking_row(coach, ids[name], start, now))

    await unit(console_served.bot.services.database, book)
    await page.reload()
    priya = page.locator("section.coach", has_text="Dr Priya Shah")
    await expect(priya).to_contain_text("Upcoming sessions (2)")
    await expect(priya.get_by_role("cell", name="Chidi Obi")).to_be_visible()
    await expect(page.locator("section.coach", has_text="Tom Okafor")).to_contain_text(
        "tue 10:00-12:00"
    )
    await screenshot(page, "coaching")
