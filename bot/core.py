"""The platform-neutral bot: services, routes and the middleware pipeline, with a clean lifecycle.

Every adapter (console, test, Telegram, Slack) hands an `InboundEvent` to `Bot.handle` and renders
the replies it gets back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import timedelta

from bot.binding import Binder, load_secret
from bot.context import Clock, Context, Services, utc_now
from bot.loops import Loop
from bot.messages import InboundEvent, Reply
from bot.metrics import Metrics
from bot.middleware import DEFAULT_MIDDLEWARE, Middleware, build_pipeline
from bot.notify import outbox_reply
from bot.reload import reload_knowledge
from bot.router import Router, RouteTable
from bot.scheduler import JobKinds, Scheduler
from bot.settings import Settings
from handlers import all_job_kinds, all_routers
from handlers.broadcasts import reply_for
from knowledge.semantic import choose_encoder
from knowledge.source import KnowledgeSource, ReloadOutcome
from services import broadcasts
from services.learning import AskerDigests
from storage.database import Database
from storage.migrate import upgrade_database
from storage.repositories import Repositories

HANDLING_SLOTS = 8
TAKEN_AT_ONCE = timedelta(minutes=1)  # the lease of broadcasts taken on a person's turn


class Bot:
    def __init__(
        self,
        services: Services,
        middleware: Sequence[Middleware] = DEFAULT_MIDDLEWARE,
        job_kinds: Sequence[JobKinds] = (),
    ) -> None:
        self.services = services
        self._pipeline = build_pipeline(middleware)
        self._slots = asyncio.Semaphore(HANDLING_SLOTS)
        self.scheduler = Scheduler(services, job_kinds)
        reload_every = services.settings.knowledge_reload_seconds
        self._watcher = (
            Loop("knowledge-watcher", reload_every, self.refresh_knowledge)
            if reload_every > 0
            else None
        )

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        routers: Sequence[Router] | None = None,
        job_kinds: Sequence[JobKinds] | None = None,
        clock: Clock = utc_now,
        migrate: bool = True,
        middleware: Sequence[Middleware] = DEFAULT_MIDDLEWARE,
    ) -> Bot:
        """Open the database (`DatabaseUnavailable` when it cannot be reached), migrate it by
        default, find the payload key, and load the knowledge base; background work
        (`start_background`) is left to the caller."""
        encoder = await asyncio.to_thread(choose_encoder, settings.semantic)
        database = Database(settings.database_url)
        try:
            await database.reach()
            if migrate:
                await upgrade_database(database.engine)
            secret = await load_secret(settings, database, clock())
            services = Services(
                settings=settings,
                database=database,
                knowledge=KnowledgeSource(settings.knowledge_path, encoder),
                metrics=Metrics(),
                routes=RouteTable(all_routers() if routers is None else routers),
                binder=Binder(secret),
                askers=AskerDigests(secret),
                clock=clock,
            )
            kinds = all_job_kinds() if job_kinds is None else job_kinds
            bot = cls(services, middleware, job_kinds=kinds)
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
                self.services.binder,
                self.services.clock(),
                force=force,
            )

    def start_background(self) -> None:
        """Run the job scheduler, and watch the knowledge base for edits (unless
        `CEDP_KNOWLEDGE_RELOAD_SECONDS` is 0), until `close`."""
        self.scheduler.start()
        if self._watcher is not None:
            self._watcher.start()

    async def deliver(self, platform: str, recipient_id: str) -> list[Reply]:
        """What waits for one person on a platform that shows it on their next turn (the
        terminal, tests): the outbox, then broadcasts due to them, marked sent as taken."""
        services = self.services
        async with services.database.transaction() as session:
            repos, now = Repositories.bound_to(session), services.clock()
            pending = await repos.outbox.take(platform, recipient_id, now)
            due = await broadcasts.claim_due(
                repos,
                platform,
                now,
                services.settings,
                lease=TAKEN_AT_ONCE,
                limit=1000,
                recipient_id=recipient_id,
            )
            await repos.broadcasts.record([broadcasts.sent(item.delivery) for item in due], now)
        shown = [reply_for(item.message) for item in due]
        return [outbox_reply(message) for message in pending] + services.binder.bind_replies(
            shown, platform, recipient_id
        )

    async def handle(self, event: InboundEvent) -> list[Reply]:
        """Run one event through the middleware and its handler; never raises on input.

        At most `HANDLING_SLOTS` events are handled at once: each holds a database connection,
        and SQLite takes one writer at a time anyway."""
        async with self._slots:
            ctx = Context(
                self.services, correlation_id=uuid.uuid4().hex[:12], now=self.services.clock()
            )
            return await self._pipeline(event, ctx)

    async def close(self) -> None:
        """Stop the background work, then close the database pool; safe to call twice."""
        await self.scheduler.stop()
        if self._watcher is not None:
            await self._watcher.stop()
        await self.services.database.dispose()
