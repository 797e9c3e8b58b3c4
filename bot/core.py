"""The platform-neutral bot: services, routes and the middleware pipeline, with a clean lifecycle.

Every adapter (console, test, Telegram, Slack) hands an `InboundEvent` to `Bot.handle` and renders
the replies it gets back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

from bot.context import Clock, Context, Services, utc_now
from bot.messages import InboundEvent, Reply
from bot.metrics import Metrics
from bot.middleware import DEFAULT_MIDDLEWARE, Middleware, build_pipeline
from bot.notify import outbox_reply
from bot.reload import reload_knowledge
from bot.router import Router, RouteTable
from bot.settings import Settings
from bot.turns import Turns
from handlers import all_routers
from knowledge.semantic import choose_encoder
from knowledge.source import KnowledgeSource, ReloadOutcome
from storage.database import Database
from storage.migrate import upgrade_database
from storage.repositories import Repositories

log = logging.getLogger(__name__)


class Bot:
    def __init__(
        self, services: Services, middleware: Sequence[Middleware] = DEFAULT_MIDDLEWARE
    ) -> None:
        self.services = services
        self._pipeline = build_pipeline(middleware)
        self._watcher: asyncio.Task[None] | None = None
        self._turns = Turns()

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        routers: Sequence[Router] | None = None,
        clock: Clock = utc_now,
        migrate: bool = True,
    ) -> Bot:
        """Open the database (`DatabaseUnavailable` when it cannot be reached), migrate it by
        default, and load the knowledge base."""
        encoder = await asyncio.to_thread(choose_encoder, settings.semantic)
        database = Database(settings.database_url)
        services = Services(
            settings=settings,
            database=database,
            knowledge=KnowledgeSource(settings.knowledge_path, encoder),
            metrics=Metrics(),
            routes=RouteTable(all_routers() if routers is None else routers),
            clock=clock,
        )
        bot = cls(services)
        try:
            await database.reach()
            if migrate:
                await upgrade_database(database.engine)
            await bot.refresh_knowledge(force=True)
        except BaseException:
            await database.dispose()
            raise
        return bot

    async def refresh_knowledge(self, *, force: bool = False) -> ReloadOutcome | None:
        """Reload the knowledge base if it changed; see `bot.reload.reload_knowledge`."""
        async with self.services.database.transaction() as session:
            return await reload_knowledge(
                self.services.knowledge,
                Repositories.bound_to(session),
                self.services.clock(),
                force=force,
            )

    def watch_knowledge(self, every_seconds: float) -> None:
        """Check for knowledge base changes in the background until `close`."""

        async def watch() -> None:
            while True:
                await asyncio.sleep(every_seconds)
                try:
                    await self.refresh_knowledge()
                except Exception:
                    log.exception("knowledge base check failed; will try again")

        self._watcher = asyncio.create_task(watch(), name="knowledge-watcher")

    async def deliver(self, platform: str, recipient_id: str) -> list[Reply]:
        """Messages waiting in the outbox for one person, as replies; they leave the outbox."""
        async with self.services.database.transaction() as session:
            pending = await Repositories.bound_to(session).outbox.take(
                platform, recipient_id, self.services.clock()
            )
        return [outbox_reply(message) for message in pending]

    def turn(self, event: InboundEvent) -> AbstractAsyncContextManager[None]:
        """Wait until this person's earlier events in this conversation are done (see bot.turns);
        adapters hold it while they handle an event and send its replies."""
        key = (event.sender.platform, event.conversation.external_id, event.sender.external_id)
        return self._turns.turn(key)

    async def handle(self, event: InboundEvent) -> list[Reply]:
        """Run one event through the middleware and its handler; never raises on input."""
        ctx = Context(
            self.services, correlation_id=uuid.uuid4().hex[:12], now=self.services.clock()
        )
        return await self._pipeline(event, ctx)

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        await self.services.database.dispose()
