"""The binding key: configured, or generated once and shared by every worker on the database."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr, ValidationError

from bot.binding import Binder, NotYours, load_secret
from bot.core import Bot
from bot.messages import Choice, Choices, Edit, Text
from bot.settings import Settings
from handlers.faq import HandOver
from storage.database import Database
from storage.migrate import upgrade_database
from tests.conftest import FakeClock

PAYLOAD = HandOver(7).pack()


async def test_workers_starting_together_bind_alike(settings: Settings, clock: FakeClock) -> None:
    first = Database(settings.database_url)
    await upgrade_database(first.engine)
    workers = [first, *(Database(settings.database_url) for _ in range(3))]
    try:
        secrets = await asyncio.gather(
            *(load_secret(settings, worker, clock()) for worker in workers)
        )
    finally:
        for worker in workers:
            await worker.dispose()
    binders = [Binder(secret) for secret in secrets]
    bound = binders[0].bind(PAYLOAD, "telegram", "42")
    assert all(binder.open(bound, "telegram", "42") == HandOver(7) for binder in binders)


async def test_a_button_sent_before_a_restart_still_works(
    settings: Settings, clock: FakeClock
) -> None:
    before = await Bot.start(settings, clock=clock)
    bound = before.services.binder.bind(PAYLOAD, "telegram", "42")
    await before.close()
    after = await Bot.start(settings, clock=clock)
    try:
        assert after.services.binder.open(bound, "telegram", "42") == HandOver(7)
    finally:
        await after.close()


async def test_a_configured_key_is_used_and_never_stored(
    settings: Settings, clock: FakeClock
) -> None:
    key = "a configured secret of more than 32 characters"
    configured = settings.model_copy(update={"secret_key": SecretStr(key)})
    bot = await Bot.start(configured, clock=clock)
    try:
        bound = bot.services.binder.bind(PAYLOAD, "slack", "U1")
        assert Binder(key.encode()).open(bound, "slack", "U1") == HandOver(7)
        generated = Binder(await load_secret(settings, bot.services.database, clock()))
        with pytest.raises(NotYours):  # the database holds a key of its own, not this one
            generated.open(bound, "slack", "U1")
    finally:
        await bot.close()


def test_a_short_configured_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEDP_SECRET_KEY", "short")
    with pytest.raises(ValidationError, match="CEDP_SECRET_KEY"):
        Settings()


def test_replies_have_every_choice_bound_and_the_rest_untouched() -> None:
    binder = Binder(b"k" * 32)
    replies = [
        Text("hello"),
        Choices("Pick", (Choice("Ask", PAYLOAD),)),
        Edit("7", "Moved on", (Choice("Ask", PAYLOAD),)),
        Edit("8", "No buttons"),
    ]
    bound = binder.bind_replies(replies, "console", "me")
    assert bound[0] == replies[0] and bound[3] == replies[3]
    for reply in bound[1:3]:
        assert isinstance(reply, Choices | Edit)
        [choice] = reply.options
        assert choice.label == "Ask"
        assert binder.open(choice.payload, "console", "me") == HandOver(7)
