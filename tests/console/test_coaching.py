"""The Coaching page: every coach with their profile, weekly time, days taken out and upcoming
sessions (when, who, status: what `cedp-bot coaching bookings` shows staff); the coaches file
uploaded to import it, all or nothing, its problems with their lines; and downloaded again."""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from aiohttp import FormData

from bot.core import Bot
from services.audit import Action
from storage.repositories import Repositories
from tests.coaching_people import add_coach, add_member, booking_row
from tests.conftest import unit
from tests.console.conftest import Browser, text_of

COACHES = """\
- name: Dr Priya Shah
  kind: coach
  account: telegram:5001
  specialisms: [finance, leading change]
  format: video
  bio: Former trust chief executive, accredited executive coach.
  timezone: Europe/London
  weekly: ["mon 09:00-12:00", "wed 14:00-17:00"]
  exceptions: ["2026-12-25", "2026-12-28 09:00-12:00"]
- name: Tom Okafor
  kind: mentor
  format: in person
  weekly:
    - tue 10:00-12:00
"""
BROKEN = """\
- name: Dr Priya Shah
  kind: guru
- name: Tom Okafor
  session_minutes: lots
- name: Ann Lee
  weekly: ["mon 09:00-09:30"]
"""
SESSION = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday, 10:00 in London too


def _upload(browser: Browser, text: str | bytes, filename: str = "coaches.yaml") -> FormData:
    form = FormData()
    form.add_field("form_token", browser.form_token or "")
    form.add_field("coaches", text, filename=filename, content_type="application/yaml")
    return form


async def _import(browser: Browser, text: str | bytes, filename: str = "coaches.yaml") -> str:
    await browser.get("/console/coaching")
    page = await browser.post("/console/coaching/import", data=_upload(browser, text, filename))
    return text_of(page.text)


async def test_uploading_the_coaches_file_adds_every_coach_and_shows_their_time(
    browser: Browser,
) -> None:
    shown = await _import(browser, COACHES)
    assert "Imported the coaches: 2 added (Dr Priya Shah, Tom Okafor), 0 updated" in shown
    assert "Dr Priya Shah coach · video" in shown
    assert "finance, leading change" in shown
    assert "mon 09:00-12:00 wed 14:00-17:00" in shown
    assert "2026-12-25 2026-12-28 09:00-12:00" in shown
    assert "Tom Okafor mentor · in person" in shown
    assert "Europe/London" in shown


async def test_uploading_the_same_file_again_changes_nothing(browser: Browser) -> None:
    await _import(browser, COACHES)
    shown = await _import(browser, COACHES)
    assert "0 added, 0 updated, 2 unchanged (Dr Priya Shah, Tom Okafor)" in shown


async def test_the_import_is_recorded_with_the_staff_members_pseudonym(
    bot: Bot, browser: Browser
) -> None:
    await _import(browser, COACHES)

    async def trail(repos: Repositories) -> tuple[str, list[tuple[str, str]]]:
        [staff] = [m for m in await repos.members.list() if m.display_name == "Sam Staff"]
        entries = [(e.record.actor, e.record.action) for e in await repos.audit.entries()]
        return staff.pseudonym, entries

    pseudonym, entries = await unit(bot.services.database, trail)
    assert (pseudonym, Action.COACHES_IMPORT.value) in entries


async def test_a_file_with_problems_imports_nothing_and_lists_each_with_its_line(
    bot: Bot, browser: Browser
) -> None:
    await browser.get("/console/coaching")
    page = await browser.post(
        "/console/coaching/import", data=_upload(browser, BROKEN, "mine.yaml"), follow=False
    )
    assert page.status == 400
    shown = text_of(page.text)
    assert "Nothing was imported: 3 problems in the file" in shown
    assert "mine.yaml:2: entry 'Dr Priya Shah': kind:" in shown
    assert "mine.yaml:4: entry 'Tom Okafor': session_minutes:" in shown
    assert "mine.yaml:5: entry 'Ann Lee': weekly window 'mon 09:00-09:30' is shorter" in shown
    assert await unit(bot.services.database, lambda r: r.coaching.coaches()) == []


async def test_garbage_uploads_get_a_polite_notice(browser: Browser) -> None:
    for upload, said in [
        (b"\xff\xfe not text", "not UTF-8 text"),
        ("   \n", "the file is empty"),
        ("name: not a list", "must be a list of coaches"),
        ("- [unclosed", "Nothing was imported"),
        ("x" * (300 * 1024), "larger than 256 KB"),
    ]:
        shown = await _import(browser, upload)
        assert said in shown, (upload[:20], shown[:400])
    page = await browser.post("/console/coaching/import", {"coaches": "not a file"})
    assert "choose a file to upload" in text_of(page.text)


async def test_a_file_naming_another_members_account_for_a_coach_is_refused_whole(
    bot: Bot, browser: Browser
) -> None:
    await _import(browser, COACHES)
    now = bot.services.clock()
    await unit(
        bot.services.database,
        lambda r: add_member(r, "Someone Else", now, identity=("telegram", "6001")),
    )
    changed = COACHES.replace("telegram:5001", "telegram:6001").replace("video", "phone")
    shown = await _import(browser, changed)
    assert "Nothing was imported; 1 problem:" in shown
    assert "telegram:6001 is the account of member" in shown
    assert "Dr Priya Shah coach · video" in shown  # as it was


async def test_each_coach_shows_their_upcoming_sessions_with_who_booked(
    bot: Bot, browser: Browser
) -> None:
    now = bot.services.clock()

    async def book(repos: Repositories) -> int:
        coach = await add_coach(repos, "Dr Priya Shah", now)
        member_id = await add_member(repos, "Mo Member", now)
        await repos.coaching.add_booking(booking_row(coach, member_id, SESSION, now))
        return coach.id

    coach_id = await unit(bot.services.database, book)
    page = await browser.get("/console/coaching")
    assert f'id="coach-{coach_id}"' in page.text
    shown = text_of(page.text)
    assert "Upcoming sessions (1) Starts Member Status Mon 30 Nov 2026, 10:00 Mo Member booked" in (
        shown
    )


async def test_the_home_page_links_to_each_coach_on_this_page(bot: Bot, browser: Browser) -> None:
    now = bot.services.clock()
    coach = await unit(bot.services.database, lambda r: add_coach(r, "Dr Priya Shah", now))
    home = await browser.get("/console")
    assert f"/console/coaching#coach-{coach.id}" in home.text
    assert f'id="coach-{coach.id}"' in (await browser.get("/console/coaching")).text


async def test_the_current_coaches_download_as_the_file_the_upload_reads(
    browser: Browser,
) -> None:
    await _import(browser, COACHES)
    page = await browser.get("/console/coaching/coaches.yaml")
    assert page.status == 200
    exported = yaml.safe_load(page.text)
    assert [coach["name"] for coach in exported] == ["Dr Priya Shah", "Tom Okafor"]
    assert exported[0]["account"] == "telegram:5001"
    assert "0 added, 0 updated, 2 unchanged" in await _import(browser, page.text)


async def test_with_no_coaches_the_page_says_so(browser: Browser) -> None:
    shown = text_of((await browser.get("/console/coaching")).text)
    assert "No coaches yet: upload a coaches file below." in shown
