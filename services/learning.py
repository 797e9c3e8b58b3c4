"""Learning from use: a question that reached an entry, by a "did you mean" pick or a staff answer
linked to it, is kept as a candidate phrasing of that entry, linked to nobody. When
`LEARN_THRESHOLD` different people reached one entry with similar questions (knowledge/learning.py),
staff are offered the group's most representative question as an alternate: `/learn` in chat,
`cedp-bot kb suggestions` / `kb accept N` at the terminal. Accepted, it is a `KnowledgeAlternate`
row, live at the next reload check, as any alternate staff add.

"Different people" without knowing who: each candidate carries an asker digest, HMAC-SHA256
under a key derived from the bot's secret over (entry, person), cut to 128 bits. Two questions
of one person to one entry share a digest; nothing else does. Without the secret no digest can be
computed from a member id, and the digests of one person differ from entry to entry, so the
table holds no profile of anyone across entries.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.errors import Refusal
from domain.people import MemberRef
from knowledge.base import Entry, KnowledgeBase, phrasing_key
from knowledge.learning import Candidate, Group, groups, ready
from services.audit import Action, record
from storage.candidates import CandidateState
from storage.repositories import Repositories

LEARN_THRESHOLD = 3  # different people before a phrasing is suggested (issue 14)
MAX_ALTERNATE_CHARS = 300  # longer questions are kept neither as candidates nor as alternates
DIGEST_BYTES = 16
_PURPOSE = b"cedp-bot: tell apart the askers of a candidate phrasing"


class LearningError(Refusal):
    """A suggestion staff asked for that cannot be accepted or dismissed; the message says why."""


class AskerDigests:
    """The one way an asker becomes a digest (see the module's docstring)."""

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()

    def digest(self, entry_id: str, asker: str) -> str:
        # Lengths first, so no two (entry, asker) pairs share a message.
        message = f"learn{len(entry_id)}:{entry_id}{len(asker)}:{asker}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()[:DIGEST_BYTES].hex()


def asker(member_id: int | None, platform: str, account: str) -> str:
    """Who asked, as the digest takes it: the member (the same on every platform they use), or
    for a guest, their platform account."""
    return f"member:{member_id}" if member_id is not None else f"account:{platform}:{account}"


def normalise(question: str) -> str:
    return " ".join(question.split())


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A phrasing offered to staff: `number` is what `kb accept` and the buttons name."""

    number: int
    entry: Entry
    text: str
    people: int
    candidate_ids: tuple[int, ...]


async def _candidates(
    repos: Repositories, knowledge: KnowledgeBase, entry_id: str | None = None
) -> dict[str, list[Candidate]]:
    by_entry: dict[str, list[Candidate]] = {}
    for row in await repos.candidates.waiting(entry_id):
        by_entry.setdefault(row.entry_id, []).append(
            Candidate(row.id, row.asker_digest, row.question, knowledge.terms(row.question))
        )
    return by_entry


def _suggestion(entry: Entry, group: Group) -> Suggestion | None:
    """The group as a suggestion, its text the most representative question that is not already
    a phrasing of the entry (a staff-added one still counts among the people)."""
    best = group.representative(entry.has_phrasing)
    if group.people < LEARN_THRESHOLD or best is None:
        return None
    return Suggestion(group.number, entry, best.text, group.people, group.ids)


async def keep_candidate(
    repos: Repositories,
    knowledge: KnowledgeBase,
    entry_id: str,
    question: str,
    digest: str,
    now: datetime,
) -> Suggestion | None:
    """Keep `question` as a candidate phrasing of `entry_id`, unless it is one already, too
    long, or this person's same words again. Returns the suggestion when this question made a
    group reach the threshold for the first time (so staff can be told once)."""
    text = normalise(question)
    entry = knowledge.entries.get(entry_id)
    if entry is None or not text or len(text) > MAX_ALTERNATE_CHARS or entry.has_phrasing(text):
        return None
    before = (await _candidates(repos, knowledge, entry_id)).get(entry_id, [])
    if any(c.asker == digest and phrasing_key(c.text) == phrasing_key(text) for c in before):
        return None
    new_id = await repos.candidates.add(entry_id, text, digest, now.date())
    after = [*before, Candidate(new_id, digest, text, knowledge.terms(text))]
    grown = next(group for group in groups(after) if new_id in group.ids)
    if any(set(group.ids) <= set(grown.ids) for group in ready(before, LEARN_THRESHOLD)):
        return None  # it joined a group already offered
    return _suggestion(entry, grown)


async def suggestions(repos: Repositories, knowledge: KnowledgeBase) -> list[Suggestion]:
    """Every phrasing waiting for staff, oldest first; candidates of entries no longer in the
    base wait (they come back if the entry does)."""
    found = []
    for entry_id, candidates in (await _candidates(repos, knowledge)).items():
        entry = knowledge.entries.get(entry_id)
        if entry is None:
            continue
        for group in ready(candidates, LEARN_THRESHOLD):
            suggestion = _suggestion(entry, group)
            if suggestion is not None:
                found.append(suggestion)
    return sorted(found, key=lambda s: s.number)


async def _find(repos: Repositories, knowledge: KnowledgeBase, number: int) -> Suggestion:
    for suggestion in await suggestions(repos, knowledge):
        if suggestion.number == number or number in suggestion.candidate_ids:
            return suggestion
    raise LearningError(f"there is no suggestion {number} waiting (see the current ones)")


async def _settle(repos: Repositories, suggestion: Suggestion, state: CandidateState) -> None:
    if not await repos.candidates.settle(suggestion.candidate_ids, state):
        raise LearningError(f"suggestion {suggestion.number} was settled a moment ago")


async def accept(
    repos: Repositories, knowledge: KnowledgeBase, number: int, now: datetime, by: MemberRef
) -> Suggestion:
    """Add suggestion `number` as an alternate of its entry (live at the next reload check)."""
    suggestion = await _find(repos, knowledge, number)
    await _settle(repos, suggestion, CandidateState.ACCEPTED)
    await repos.faq.add_alternate(suggestion.entry.id, suggestion.text, now)
    await record(repos, by, Action.KB_ACCEPT, f"kb-entry:{suggestion.entry.id}", now)
    return suggestion


async def dismiss(repos: Repositories, knowledge: KnowledgeBase, number: int) -> Suggestion:
    """Never offer suggestion `number` again; its questions no longer count towards another."""
    suggestion = await _find(repos, knowledge, number)
    await _settle(repos, suggestion, CandidateState.DISMISSED)
    return suggestion


def describe(suggestion: Suggestion) -> str:
    """A suggestion in one line, as chat and terminal show it."""
    return f"{suggestion.number}  {suggestion.entry.id}  {suggestion.people}  «{suggestion.text}»"


def waiting_lines(found: Sequence[Suggestion]) -> list[str]:
    if not found:
        return [
            "No phrasings are waiting: none has been reached by "
            f"{LEARN_THRESHOLD} different people with similar questions yet."
        ]
    return [describe(suggestion) for suggestion in found]
