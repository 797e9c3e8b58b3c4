"""Signing in: a one-time link from /console, a signed session cookie, and nothing for anyone
who is not programme staff."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from bot.adapters.testing import TestChat
from bot.core import Bot
from domain.people import Role
from tests.conftest import FakeClock, join_as
from tests.console.conftest import Browser, link_for, new_browser, text_of


async def test_a_staff_member_signs_in_with_the_link_and_sees_the_home_page(
    console_client: TestClient, staff: TestChat
) -> None:
    link = await link_for(staff)
    assert "works once, within 10 minutes" in staff.text
    browser = new_browser(console_client)
    page = await browser.sign_in_with(link)
    assert page.status == 200
    assert "Questions waiting" in text_of(page.text)
    assert "Sam Staff" in page.text


async def test_the_link_works_once(console_client: TestClient, staff: TestChat) -> None:
    link = await link_for(staff)
    await new_browser(console_client).sign_in_with(link)
    again = await new_browser(console_client).post(link, {})
    assert again.status == 400
    assert "expired or was already used" in again.text


async def test_the_link_expires_after_ten_minutes(
    console_client: TestClient, staff: TestChat, clock: FakeClock
) -> None:
    link = await link_for(staff)
    clock.advance(minutes=10, seconds=1)
    page = await new_browser(console_client).post(link, {})
    assert page.status == 400


async def test_a_newer_link_replaces_the_older(console_client: TestClient, staff: TestChat) -> None:
    older = await link_for(staff)
    newer = await link_for(staff)
    assert (await new_browser(console_client).post(older, {})).status == 400
    assert (await new_browser(console_client).post(newer, {})).status == 200


async def test_opening_the_link_uses_nothing_up(
    console_client: TestClient, staff: TestChat
) -> None:
    """Link previews fetch the address: only the button's POST signs in."""
    link = await link_for(staff)
    preview = new_browser(console_client)
    assert (await preview.get(link)).status == 200
    assert (await preview.get("/console")).status == 401
    assert (await new_browser(console_client).sign_in_with(link)).status == 200


async def test_a_member_is_refused_the_console_command(bot: Bot) -> None:
    member = TestChat(bot, user_id="mo", display_name="Mo Member")
    await join_as(bot, member, Role.MEMBER)
    await member.send("/console")
    assert "/console/sign-in/" not in member.text
    assert "programme staff" in member.text


async def test_the_console_command_works_only_in_a_private_chat(bot: Bot, staff: TestChat) -> None:
    group = TestChat(bot, user_id="sam", display_name="Sam Staff", chat_id="g1", group=True)
    await group.send("/console")
    assert "/console/sign-in/" not in group.text


async def test_without_a_public_address_the_command_says_what_is_missing(
    bot: Bot, staff: TestChat
) -> None:
    bot.services.settings.public_url = None
    await staff.send("/console")
    assert "CEDP_PUBLIC_URL" in staff.text
    assert "/console/sign-in/" not in staff.text


async def test_without_a_cookie_every_page_asks_to_sign_in(console_client: TestClient) -> None:
    page = await new_browser(console_client).get("/console/team")
    assert page.status == 401
    assert "Send /console to the bot" in page.text


async def test_a_forged_cookie_is_refused(console_client: TestClient, browser: Browser) -> None:
    cookie = console_client.session.cookie_jar.filter_cookies(console_client.make_url("/console"))
    value = cookie["cedp_console"].value
    token, _, mac = value.rpartition(".")
    console_client.session.cookie_jar.clear()
    console_client.session.cookie_jar.update_cookies(
        {"cedp_console": f"{token[:-1]}{'A' if token[-1] != 'A' else 'B'}.{mac}"},
        console_client.make_url("/console"),
    )
    assert (await browser.get("/console")).status == 401
    console_client.session.cookie_jar.update_cookies(
        {"cedp_console": value}, console_client.make_url("/console")
    )
    assert (await browser.get("/console")).status == 200  # the same, unaltered, works


async def test_a_session_ends_after_a_working_day_of_inactivity(
    browser: Browser, clock: FakeClock
) -> None:
    clock.advance(hours=9)
    assert (await browser.get("/console")).status == 200  # used: the day starts again
    clock.advance(hours=9)
    assert (await browser.get("/console")).status == 200
    clock.advance(hours=10, seconds=1)
    assert (await browser.get("/console")).status == 401


async def test_signing_out_ends_the_session(browser: Browser) -> None:
    page = await browser.post("/console/sign-out", {})
    assert "signed out" in page.text
    assert (await browser.get("/console")).status == 401


async def test_a_staff_member_made_a_member_loses_the_console_at_once(
    bot: Bot, browser: Browser, staff: TestChat
) -> None:
    from domain.people import OPERATOR
    from services import members
    from tests.conftest import unit

    member_id = (await unit(bot.services.database, lambda r: r.members.list()))[0].id
    await unit(
        bot.services.database,
        lambda repos: members.set_role(
            repos, member_id, Role.MEMBER, bot.services.clock(), OPERATOR
        ),
    )
    page = await browser.get("/console")
    assert page.status == 403
    assert "Questions waiting" not in page.text


async def test_a_post_without_the_form_token_is_refused(browser: Browser) -> None:
    browser.form_token = "not-the-token"
    page = await browser.post("/console/team/1/answer", {"answer": "hi"}, follow=False)
    assert page.status == 403


async def test_a_post_from_another_site_is_refused(browser: Browser) -> None:
    page = await browser.post(
        "/console/team/1/answer",
        {"answer": "hi"},
        follow=False,
        headers={"Origin": "https://evil.example"},
    )
    assert page.status == 403
    assert "another site" in page.text


async def test_console_pages_carry_strict_headers(
    browser: Browser, console_client: TestClient
) -> None:
    async with console_client.get("/console") as response:
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "same-origin"
    cookie = console_client.session.cookie_jar.filter_cookies(console_client.make_url("/console"))
    assert "cedp_console" in cookie
