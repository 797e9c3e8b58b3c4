"""The platform-neutral bot: services, routes and the middleware pipeline, with a clean lifecycle.

Every adapter (console, test, Telegram, Slack) hands an `InboundEvent` to `Bot.handle` and renders
the replies it gets back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from bot.context import Clock, Context, Services, utc_now
from bot.messages import InboundEvent, Reply
from bot.metrics import Metrics
from bot.middleware import DEFAULT_MIDDLEWARE, Middleware, build_pipeline
from bot.router import Router, RouteTable
from bot.settings import Settings
from handlers import all_routers
from knowledge.base import load_knowledge
from storage.database import Database
from storage.migrate import upgrade_database


class Bot:
    def __init__(
        self, services: Services, middleware: Sequence[Middleware] = DEFAULT_MIDDLEWARE
    ) -> None:
        self.services = services
        self._pipeline = build_pipeline(middleware)

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        routers: Sequence[Router] | None = None,
        clock: Clock = utc_now,
        migrate: bool = True,
    ) -> Bot:
        """Load the knowledge base, open the database, and by default migrate its schema."""
        knowledge = load_knowledge(settings.knowledge_path)
        database = Database(settings.database_url)
        try:
            if migrate:
                await upgrade_database(database.engine)
        except BaseException:
            await database.dispose()
            raise
        services = Services(
            settings=settings,
            database=database,
            knowledge=knowledge,
            metrics=Metrics(),
            routes=RouteTable(all_routers() if routers is None else routers),
            clock=clock,
        )
        return cls(services)

    async def handle(self, event: InboundEvent) -> list[Reply]:
        """Run one event through the middleware and its handler; never raises on input."""
        ctx = Context(
            self.services, correlation_id=uuid.uuid4().hex[:12], now=self.services.clock()
        )
        return await self._pipeline(event, ctx)

    async def close(self) -> None:
        await self.services.database.dispose()
