"""Reloading the knowledge base from its files and the alternates staff added."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.binding import Binder
from bot.notify import notify_staff
from knowledge.source import KnowledgeSource, ReloadOutcome
from storage.repositories import Repositories

log = logging.getLogger(__name__)


async def reload_knowledge(
    source: KnowledgeSource, repos: Repositories, binder: Binder, now: datetime, *, force: bool
) -> ReloadOutcome | None:
    """Reload when files or alternates changed (always with `force`); None when unchanged.

    A broken edit keeps the previous version live and staff are told why, once per version.
    """
    version = await repos.faq.alternates_version()
    if not force and not source.is_stale(version):
        return None
    alternates = [(row.entry_id, row.text) for row in await repos.faq.alternates()]
    outcome = await asyncio.to_thread(source.load, alternates, version)
    if outcome.problems:
        problems = outcome.problem_list()
        log.warning("knowledge base not reloaded:\n%s", problems)
        await notify_staff(
            repos,
            binder,
            "The knowledge base edit was not loaded; the previous version is still answering."
            f" Problems:\n{problems}",
            now,
        )
    else:
        log.info("knowledge base loaded: %d entries", outcome.entries)
    return outcome
