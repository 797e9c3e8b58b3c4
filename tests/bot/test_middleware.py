"""The middleware around every handler: errors, transactions, redelivery, rate limits, access."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bot.adapters.testing import TestChat
from bot.context import Context
from bot.core import Bot
from bot.logs import correlation_id
from bot.messages import Choices, InboundEvent, Reply, Text
from bot.middleware import NOT_YOURS, SLOW_DOWN, SORRY
from bot.payloads import Payload, offer
from bot.router import Access, Router
from bot.settings import Settings
from domain.people import Role
from handlers import all_routers
from storage.database import Database
from storage.repositories import Repositories
from tests.conftest import FakeClock, join_as


class Probe(Payload, prefix="test-middleware:probe"):
    number: int


probes_pressed: list[Probe] = []


def _router() -> Router:
    router = Router("probe")

    @router.command("probe", summary="Offers a probe button")
    async def offer_probe(event: InboundEvent, ctx: Context) -> list[Reply]:
        return [Choices("Press it", (offer("Probe", Probe(1)),))]

    @router.choice(Probe)
    async def probe_pressed(event: InboundEvent, ctx: Context, pressed: Probe) -> list[Reply]:
        probes_pressed.append(pressed)
        return [Text("probed")]

    @router.command("boom", summary="Fails after writing")
    async def boom(event: InboundEvent, ctx: Context) -> list[Reply]:
        await ctx.repos.members.create(
            display_name="Half Done", role=Role.MEMBER, tags=[], now=ctx.now
        )
        raise RuntimeError("secret internal detail")

    @router.command("echo", summary="Echo")
    async def echo(event: InboundEvent, ctx: Context) -> list[Reply]:
        return [Text(f"echo {event.member.role if event.member else 'guest'}")]

    @router.command("staffonly", summary="Staff only", access=Access.STAFF)
    async def staff_only(event: InboundEvent, ctx: Context) -> list[Reply]:
        return [Text("staff secret")]

    @router.command("coachonly", summary="Coach only", access=Access.COACHES)
    async def coach_only(event: InboundEvent, ctx: Context) -> list[Reply]:
        return [Text("coach page")]

    return router


@pytest.fixture
async def probe_bot(settings: Settings, clock: FakeClock) -> AsyncIterator[Bot]:
    started = await Bot.start(
        settings.model_copy(update={"rate_limit_per_minute": 5}),
        routers=[*all_routers(), _router()],
        clock=clock,
    )
    yield started
    await started.close()


async def test_an_exception_becomes_a_polite_reply_and_nothing_is_stored(
    probe_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    chat = TestChat(probe_bot)
    with caplog.at_level(logging.ERROR):
        replies = await chat.send("/boom")
    assert replies == [Text(SORRY)]
    assert "secret internal detail" not in chat.text
    assert "secret internal detail" in caplog.text  # staff can still see what happened
    async with probe_bot.services.database.transaction() as session:
        assert await Repositories.bound_to(session).members.list() == []


async def test_errors_are_counted_by_route(probe_bot: Bot) -> None:
    await TestChat(probe_bot).send("/boom")
    assert b'cedp_errors_total{route="command:boom"} 1.0' in probe_bot.services.metrics.render()


async def test_every_log_line_of_an_event_carries_one_correlation_id(
    probe_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(correlation_id.get())

    handler = Capture()
    logging.getLogger("bot").addHandler(handler)
    logging.getLogger("bot").setLevel(logging.INFO)
    try:
        await TestChat(probe_bot).send("/boom")
    finally:
        logging.getLogger("bot").removeHandler(handler)
    assert len(seen) >= 2 and len(set(seen)) == 1 and seen[0] != "-"


async def test_a_button_is_opened_for_its_recipient_only_and_before_any_handler(
    probe_bot: Bot,
) -> None:
    probes_pressed.clear()
    alice, bob = TestChat(probe_bot, user_id="alice"), TestChat(probe_bot, user_id="bob")
    await alice.send("/probe")
    assert alice.payload("Probe").startswith("test-middleware:probe:1~")
    assert await bob.press_payload(alice.payload("Probe")) == [Text(NOT_YOURS)]
    assert probes_pressed == []
    assert await alice.press("Probe") == [Text("probed")]
    assert probes_pressed == [Probe(1)]  # the handler got the typed payload


async def test_a_redelivered_event_is_answered_once(probe_bot: Bot) -> None:
    chat = TestChat(probe_bot)
    assert await chat.send("/echo", event_id="update-1") == [Text("echo guest")]
    assert await chat.send("/echo", event_id="update-1") == []
    assert await chat.send("/echo", event_id="update-2") == [Text("echo guest")]


async def test_a_redelivery_to_another_worker_is_not_answered_again(
    probe_bot: Bot, settings: Settings, clock: FakeClock
) -> None:
    other_worker = await Bot.start(settings, clock=clock, migrate=False)
    try:
        assert await TestChat(probe_bot).send("/help", event_id="u-9")
        assert await TestChat(other_worker).send("/help", event_id="u-9") == []
    finally:
        await other_worker.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no server
async def test_an_event_is_answered_after_the_database_dropped_every_connection(
    probe_bot: Bot, settings: Settings
) -> None:
    chat = TestChat(probe_bot)
    assert await chat.send("/echo") == [Text("echo guest")]  # the pool now holds a connection
    admin = Database(settings.database_url)  # as a database restart would, from outside
    try:
        async with admin.engine.connect() as connection:
            killed = await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            assert any(killed.scalars())
    finally:
        await admin.dispose()

    assert await chat.send("/echo") == [Text("echo guest")]


async def test_rate_limit_warns_once_then_stays_quiet_until_the_minute_is_over(
    probe_bot: Bot, clock: FakeClock
) -> None:
    chat = TestChat(probe_bot)
    for _ in range(5):
        assert await chat.send("/echo") == [Text("echo guest")]
    assert await chat.send("/echo") == [Text(SLOW_DOWN)]
    assert await chat.send("/echo") == []
    other = TestChat(probe_bot, user_id="bob")
    assert await other.send("/echo") == [Text("echo guest")]  # per person
    clock.advance(minutes=1)
    assert await chat.send("/echo") == [Text("echo guest")]


async def test_staff_only_routes_refuse_guests_and_members(probe_bot: Bot) -> None:
    guest = TestChat(probe_bot, user_id="guest")
    await guest.send("/staffonly")
    assert guest.text == (
        "That's for programme staff. If you have an invite code, send /join followed by the code."
    )

    member = TestChat(probe_bot, user_id="member")
    await join_as(probe_bot, member, Role.MEMBER)
    await member.send("/staffonly")
    assert member.text == "Sorry, that's only available to programme staff."

    staff = TestChat(probe_bot, user_id="staff")
    await join_as(probe_bot, staff, Role.STAFF)
    assert await staff.send("/staffonly") == [Text("staff secret")]


async def test_coach_only_routes_admit_coaches_and_staff(probe_bot: Bot) -> None:
    guest = TestChat(probe_bot, user_id="guest")
    await guest.send("/coachonly")
    assert guest.text.startswith("That's for coaches. If you have an invite code, send /join")
    member = TestChat(probe_bot, user_id="member")
    await join_as(probe_bot, member, Role.MEMBER)
    await member.send("/coachonly")
    assert member.text == "Sorry, that's only available to coaches."
    coach = TestChat(probe_bot, user_id="coach")
    await join_as(probe_bot, coach, Role.COACH)
    assert await coach.send("/coachonly") == [Text("coach page")]


async def test_the_member_is_identified_on_every_event(probe_bot: Bot) -> None:
    chat = TestChat(probe_bot)
    await join_as(probe_bot, chat, Role.COACH)
    assert await chat.send("/echo") == [Text("echo coach")]


async def test_messages_in_and_out_are_counted_by_platform(probe_bot: Bot) -> None:
    await TestChat(probe_bot).send("/echo")
    metrics = probe_bot.services.metrics.render()
    assert b'cedp_messages_in_total{platform="test"} 1.0' in metrics
    assert b'cedp_messages_out_total{platform="test"} 1.0' in metrics
    assert b'cedp_handler_seconds_count{route="command:echo"} 1.0' in metrics
