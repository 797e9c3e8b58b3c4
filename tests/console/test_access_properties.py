"""Whatever people do with sign-in links, browsers, roles and time, a console page opens only in
a browser signed in with a link that was the person's newest, unused and under ten minutes old,
whose session has been used within the last ten hours and not signed out, and only while that
person is programme staff. Links are minted for a member too, as if one leaked.

A test's own bookkeeping (the model) says what each visit must see: the page (200), "staff only"
(403) or "sign in" (401); the console, driven over HTTP by separate browsers with cookie jars of
their own, must agree at every step. `CEDP_FUZZ_EXAMPLES` sets the number of examples (100).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import Bot
from domain.people import OPERATOR, Role
from services import console, members
from storage.members import to_ref
from storage.models import Member
from storage.repositories import Repositories
from tests.conftest import FakeClock, unit, wipe_all_but_keys

EXAMPLES = int(os.environ.get("CEDP_FUZZ_EXAMPLES", "100"))
PROPERTIES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LINK_LIFE = timedelta(minutes=10)
IDLE_LIMIT = timedelta(hours=10)
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
ACTIONS = (
    "link",
    "link",
    "open",
    "open",
    "visit",
    "visit",
    "visit",
    "sign_out",
    "change_role",
    "wait_minutes",
    "wait_minutes",
    "wait_hours",
)


@dataclass
class Link:
    path: str
    person: str
    issued_at: datetime
    used: bool = False


@dataclass
class Tab:
    """One browser, its own cookies, and what the model expects of its session."""

    http: aiohttp.ClientSession
    person: str
    last_used: datetime
    form_token: str | None = None
    ended: bool = False


@dataclass
class World:
    bot: Bot
    client: TestClient
    clock: FakeClock
    data: st.DataObject
    ids: dict[str, int] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    tabs: list[Tab] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://{self.client.host}:{self.client.port}"

    async def add(self, name: str, role: Role) -> None:
        async def create(repos: Repositories) -> Member:
            return await repos.members.create(
                display_name=name, role=role, tags=(), now=self.clock()
            )

        self.ids[name] = (await unit(self.bot.services.database, create)).id
        self.roles[name] = role

    def _person(self) -> str:
        return self.data.draw(st.sampled_from(sorted(self.ids)))

    async def link(self) -> None:
        person = self._person()

        async def mint(repos: Repositories) -> str:
            member = await repos.members.get(self.ids[person])
            assert member is not None
            return await console.issue_link(
                repos, to_ref(member), self.clock(), self.bot.services.settings
            )

        url = await unit(self.bot.services.database, mint)
        path = url.removeprefix(self.bot.services.settings.public_url or "")
        for earlier in self.links:  # a newer link replaces the person's earlier ones
            if earlier.person == person:
                earlier.used = True
        self.links.append(Link(path, person, self.clock()))

    async def open(self) -> None:
        if not self.links:
            return
        link = self.data.draw(st.sampled_from(self.links))
        works = not link.used and self.clock() < link.issued_at + LINK_LIFE
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with http.post(
            self.client.make_url(link.path), headers={"Origin": self.origin}, allow_redirects=False
        ) as response:
            assert response.status == (303 if works else 400), (link, self.clock())
        if works:
            link.used = True
            self.tabs.append(Tab(http, link.person, self.clock()))
        else:
            await http.close()

    async def visit(self) -> None:
        if not self.tabs:
            return
        tab = self.data.draw(st.sampled_from(self.tabs))
        async with tab.http.get(self.client.make_url("/console")) as response:
            page = await response.text()
            status = response.status
        live = not tab.ended and self.clock() - tab.last_used < IDLE_LIMIT
        if live:
            tab.last_used = self.clock()
        expected = (200 if self.roles[tab.person] is Role.STAFF else 403) if live else 401
        assert status == expected, (tab.person, self.roles[tab.person], live, status)
        if status == 200:
            found = _FORM_TOKEN.search(page)
            tab.form_token = found.group(1) if found else None
        else:
            assert "Questions waiting" not in page and "Sign out" not in page

    async def sign_out(self) -> None:
        if not self.tabs:
            return
        tab = self.data.draw(st.sampled_from(self.tabs))
        async with tab.http.post(
            self.client.make_url("/console/sign-out"),
            data={"form_token": tab.form_token or ""},
            headers={"Origin": self.origin},
        ) as response:
            assert response.status == 200
        tab.ended = True  # the cookie is gone from this browser whatever the server did

    async def change_role(self) -> None:
        person = self._person()
        role = self.data.draw(st.sampled_from(list(Role)))

        async def change(repos: Repositories) -> None:
            await members.set_role(repos, self.ids[person], role, self.clock(), OPERATOR)

        await unit(self.bot.services.database, change)
        self.roles[person] = role

    # Waits near the limits, so that just inside and just past each are both tried.
    async def wait_minutes(self) -> None:
        self.clock.advance(minutes=self.data.draw(st.sampled_from([1, 4, 9, 10, 11])))

    async def wait_hours(self) -> None:
        self.clock.advance(hours=self.data.draw(st.sampled_from([1, 4, 9, 10, 11])))

    async def close(self) -> None:
        for tab in self.tabs:
            await tab.http.close()


@PROPERTIES
@given(data=st.data())
async def test_a_console_page_opens_only_for_a_live_session_of_someone_who_is_staff_now(
    bot: Bot, console_client: TestClient, clock: FakeClock, data: st.DataObject
) -> None:
    await wipe_all_but_keys(bot)
    world = World(bot, console_client, clock, data)
    await world.add("sam", Role.STAFF)
    await world.add("mo", Role.MEMBER)
    try:
        for action in data.draw(st.lists(st.sampled_from(ACTIONS), min_size=4, max_size=30)):
            await getattr(world, action)()
    finally:
        await world.close()
