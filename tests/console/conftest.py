"""The console served in this process, and a browser without a browser: it keeps cookies,
sends Origin with every POST as browsers do, and posts the form token of the page it last saw.
A person signs in the way staff do: /console in a private chat, then the link it sent."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html import unescape

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.settings import Settings
from console.app import mount
from domain.people import Role
from tests.conftest import FakeClock, join_as

PUBLIC_URL = "http://console.example.org"
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_LINK = re.compile(r"http://console\.example\.org(/console/sign-in/[\w-]+)")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_url": PUBLIC_URL, "knowledge_reload_seconds": 0})


@pytest.fixture
async def bot(settings: Settings, clock: FakeClock) -> AsyncIterator[Bot]:
    started = await Bot.start(settings, clock=clock)
    yield started
    await started.close()


def fresh_once() -> str:
    """The one-time token a form carries each time it is shown (console/templates/macros.html)."""
    return secrets.token_urlsafe(24)


@dataclass
class Page:
    status: int
    text: str
    location: str | None = None

    @property
    def form_token(self) -> str | None:
        found = _FORM_TOKEN.search(self.text)
        return found.group(1) if found else None


@dataclass
class Browser:
    """One person's browser on the console."""

    client: TestClient
    origin: str
    form_token: str | None = None
    pages: list[Page] = field(default_factory=list)

    async def get(self, path: str) -> Page:
        async with self.client.get(path, allow_redirects=False) as response:
            page = Page(response.status, await response.text(), response.headers.get("Location"))
        self.form_token = page.form_token or self.form_token
        self.pages.append(page)
        return page

    async def post(
        self,
        path: str,
        fields: dict[str, str] | None = None,
        *,
        follow: bool = True,
        **extra: object,
    ) -> Page:
        """Submit a form as the page's own would: with the form token, a fresh one-time token
        (as a form just shown carries) and this site's Origin, then follow the redirect (so the
        notice is on the returned page)."""
        data = {"form_token": self.form_token or "", "once": fresh_once(), **(fields or {})}
        headers = {"Origin": self.origin, **extra.pop("headers", {})}  # type: ignore[dict-item]
        async with self.client.post(
            path, data=extra.pop("data", data), headers=headers, allow_redirects=False
        ) as response:
            page = Page(response.status, await response.text(), response.headers.get("Location"))
        if follow and page.status == 303 and page.location:
            return await self.get(page.location)
        return page

    async def sign_in_with(self, link: str) -> Page:
        shown = await self.get(link)
        assert shown.status == 200, shown.text
        return await self.post(link, {})


@pytest.fixture
async def console_client(bot: Bot) -> AsyncIterator[TestClient]:
    app = web.Application()
    mount(app, bot)  # the console alone: the bot fixture, not the app, closes the bot
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


def new_browser(client: TestClient) -> Browser:
    client.session.cookie_jar.clear()
    return Browser(client, f"http://{client.host}:{client.port}")


async def link_for(chat: TestChat) -> str:
    """The sign-in link /console sends, as a path on the test server."""
    await chat.send("/console")
    found = _LINK.search(chat.text)
    assert found, chat.text
    return found.group(1)


@pytest.fixture
async def staff(bot: Bot) -> TestChat:
    chat = TestChat(bot, user_id="sam", display_name="Sam Staff")
    await join_as(bot, chat, Role.STAFF)
    return chat


@pytest.fixture
async def browser(console_client: TestClient, staff: TestChat) -> Browser:
    """A staff member's browser, signed in."""
    opened = new_browser(console_client)
    page = await opened.sign_in_with(await link_for(staff))
    assert page.status == 200, page.text
    return opened


def text_of(html: str) -> str:
    """The page's words, tags dropped, whitespace squeezed: what a reader sees."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
