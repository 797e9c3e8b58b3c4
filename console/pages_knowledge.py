"""The knowledge base as staff maintain it: the entries the bot answers from, with the phrasings
staff added in the database marked; a search over them; the staff report of what it missed (as
/report and `cedp-bot kb report`); a reload (as /reload); and, when an edit on disk is broken,
the problems exactly as `cedp-bot kb check` prints them, while the bot keeps answering from the
last good version. The rules are knowledge/, bot/reload.py and services/team.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.reload import reload_knowledge
from console.pages import FormError, Page, Pages, Redirect, Visit, in_brief
from knowledge.base import Entry, check_knowledge, check_lines, phrasing_key
from knowledge.source import ReloadOutcome
from services import team
from storage.models import KnowledgeAlternate

pages = Pages("knowledge", "Knowledge base")
MAX_QUERY_CHARS = 200
NOTICE_PROBLEMS = 3  # a notice is a cookie: it names the first few, the page lists them all


@dataclass(frozen=True, slots=True)
class Phrasing:
    """One alternate of an entry; `added` is when staff added it in the database, for one
    that is not (yet) in the entry's file (`cedp-bot kb export-alternates` writes it there)."""

    text: str
    added: datetime | None = None


@dataclass(frozen=True, slots=True)
class Shown:
    entry: Entry
    phrasings: list[Phrasing]


def _query(visit: Visit) -> str:
    query = visit.request.query.get("q", "").strip()
    if len(query) > MAX_QUERY_CHARS:
        raise FormError(f"Search: at most {MAX_QUERY_CHARS} characters, not {len(query)}")
    return query


def _matches(entry: Entry, words: Sequence[str]) -> bool:
    """Every word of the search is in the entry's question, alternates, tags or id."""
    searched = phrasing_key(" ".join((entry.id, *entry.phrasings, *entry.tags)))
    return all(word in searched for word in words)


def _phrasings(
    entry: Entry, on_disk: Entry | None, added: Mapping[str, datetime]
) -> list[Phrasing]:
    """The live entry's alternates; those in the database and not in its file, marked."""

    def added_at(text: str) -> datetime | None:
        in_file = on_disk is not None and on_disk.has_phrasing(text)
        return None if in_file else added.get(phrasing_key(text))

    return [Phrasing(text, added_at(text)) for text in entry.alternates]


def _added_by_entry(rows: Iterable[KnowledgeAlternate]) -> dict[str, dict[str, datetime]]:
    added: dict[str, dict[str, datetime]] = {}
    for row in rows:
        added.setdefault(row.entry_id, {}).setdefault(phrasing_key(row.text), row.created_at)
    return added


@pages.get("")
async def knowledge_base(visit: Visit) -> Page:
    source = visit.services.knowledge
    live = source.current
    query = _query(visit)
    words = phrasing_key(query).split()
    on_disk, problems = await asyncio.to_thread(check_knowledge, source.path)
    files = {entry.id: entry for entry in on_disk}
    added = _added_by_entry(await visit.repos.faq.alternates())
    shown = [
        Shown(entry, _phrasings(entry, files.get(entry.id), added.get(entry.id, {})))
        for entry in live.entries.values()
        if _matches(entry, words)
    ]
    return Page(
        "knowledge.html",
        "Knowledge base",
        {
            "path": source.path,
            "live": len(live),
            "query": query,
            "shown": shown,
            "problems": check_lines(source.path, problems) if problems else [],
            "missed": await team.most_missed(visit.repos),
            "questions": {entry_id: entry.question for entry_id, entry in live.entries.items()},
        },
    )


@pages.post("/reload")
async def reload(visit: Visit) -> Redirect:
    outcome = await reload_knowledge(
        visit.services.knowledge, visit.repos, visit.services.binder, visit.now, force=True
    )
    assert outcome is not None, "a forced reload always has an outcome"
    return Redirect(pages.base, _said(outcome))


def _said(outcome: ReloadOutcome) -> str:
    """What a reload did, as /reload says it; the problems in brief (the page lists them)."""
    if not outcome.problems:
        return f"Knowledge base reloaded: {outcome.entries} entries."
    return (
        f"Not reloaded; the previous version ({outcome.entries} entries) is still answering."
        f" {len(outcome.problems)} problem(s): {in_brief(outcome.problems, NOTICE_PROBLEMS)}."
    )
