"""What a handler gets besides the event: long-lived services and this event's unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.settings import Settings
from storage.conversations import ConversationKey, ConversationRepository, StoredState
from storage.database import Database

if TYPE_CHECKING:
    from bot.binding import Binder
    from bot.flows import Step
    from bot.metrics import Metrics
    from bot.router import Route, RouteTable
    from knowledge.source import KnowledgeSource
    from services.learning import AskerDigests
    from storage.repositories import Repositories

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Services:
    """Shared by every event for the life of the process."""

    settings: Settings
    database: Database
    knowledge: KnowledgeSource
    metrics: Metrics
    routes: RouteTable
    binder: Binder
    askers: AskerDigests
    clock: Clock = utc_now


class ConversationHandle:
    """The person's place in a multi-step flow, read and written through the event's session."""

    def __init__(
        self,
        repository: ConversationRepository,
        key: ConversationKey,
        state: StoredState | None,
        expires_at: datetime,
    ) -> None:
        self._repository = repository
        self._key = key
        self._expires_at = expires_at
        self.state = state

    async def go_to(self, step: Step, data: dict[str, Any] | None = None) -> None:
        """Start a flow or move to its next step; the expiry restarts from now."""
        self.state = StoredState(step.flow, step.name, data or {})
        await self._repository.save(self._key, self.state, self._expires_at)

    async def stay(self) -> None:
        """Keep waiting at the current step (say, after a typo), with a fresh expiry."""
        if self.state is not None:
            await self._repository.save(self._key, self.state, self._expires_at)

    async def finish(self) -> None:
        self.state = None
        await self._repository.clear(self._key)

    @staticmethod
    def expiry(now: datetime, ttl_minutes: int) -> datetime:
        return now + timedelta(minutes=ttl_minutes)


@dataclass(slots=True)
class Context:
    """One per event. Middleware fills in the unit of work, the conversation and the route."""

    services: Services
    correlation_id: str
    now: datetime
    _repos: Repositories | None = field(default=None, repr=False)
    _conversation: ConversationHandle | None = field(default=None, repr=False)
    route: Route | None = None

    @property
    def repos(self) -> Repositories:
        if self._repos is None:
            raise RuntimeError("no unit of work: the unit_of_work middleware did not run")
        return self._repos

    @repos.setter
    def repos(self, value: Repositories) -> None:
        self._repos = value

    @property
    def conversation(self) -> ConversationHandle:
        if self._conversation is None:
            raise RuntimeError("no conversation: the route middleware did not run")
        return self._conversation

    @conversation.setter
    def conversation(self, value: ConversationHandle) -> None:
        self._conversation = value
