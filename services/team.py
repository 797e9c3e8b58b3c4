"""The programme team's desk: questions people handed over, answered once and learnt from,
and the report of what the knowledge base missed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.errors import Refusal
from domain.people import MemberRef
from knowledge.base import Entry, KnowledgeBase
from services.audit import Action, record
from services.learning import MAX_ALTERNATE_CHARS, AskerDigests, asker, keep_candidate
from storage.faq import Missed
from storage.models import TeamQuestion
from storage.repositories import Repositories

REPORT_LINES = 20
MAX_REPORT_LINES = 1000


class TeamDeskError(Refusal):
    """A request staff made at the desk that cannot be carried out; the message says why."""


async def waiting_questions(repos: Repositories) -> Sequence[TeamQuestion]:
    """Handed-over questions nobody has answered yet, oldest first."""
    return await repos.team_questions.open()


async def waiting_question(repos: Repositories, question_id: int) -> TeamQuestion | None:
    """Question `question_id` if it is still waiting for an answer."""
    row = await repos.team_questions.get(question_id)
    return row if row is not None and row.answer is None else None


async def answer_question(
    repos: Repositories,
    knowledge: KnowledgeBase,
    askers: AskerDigests,
    question_id: int,
    answer: str,
    now: datetime,
    *,
    by: MemberRef,
    linking: str | None = None,
) -> TeamQuestion:
    """Record the team's answer and queue it for the asker, exactly once. The reply address is
    then dropped, keeping only the asker's digest for each entry staff may link the question to
    (`learnable_entries`, and `linking` when given), so that a link makes it a candidate
    phrasing of that person (services/learning.py)."""
    answer = answer.strip()
    if not answer:
        raise TeamDeskError("the answer is empty")
    row = await repos.team_questions.answer(question_id, answer, now)
    if row is None:
        exists = await repos.team_questions.get(question_id)
        raise TeamDeskError(
            f"question #{question_id} was already answered"
            if exists
            else f"there is no question #{question_id}"
        )
    if row.recipient_id is not None:
        await repos.outbox.enqueue(
            row.platform,
            row.recipient_id,
            f"The programme team has answered your question «{row.question}»:\n\n{answer}",
            now,
        )
        member = await repos.members.find_by_identity(row.platform, row.recipient_id)
        who = asker(member.id if member else None, row.platform, row.recipient_id)
        entries = {entry.id for entry in learnable_entries(knowledge, row)}
        entries |= {linking} if linking else set()
        digests = {entry_id: askers.digest(entry_id, who) for entry_id in sorted(entries)}
        await repos.team_questions.forget_asker(row, digests)
    await record(repos, by, Action.TEAM_ANSWER, f"team-question:{row.id}", now)
    return row


def may_become_alternate(row: TeamQuestion) -> bool:
    """Whether the question is short enough to be learnt as a way of asking an entry."""
    return len(row.question) <= MAX_ALTERNATE_CHARS


def learnable_entries(knowledge: KnowledgeBase, row: TeamQuestion) -> list[Entry]:
    """The entries a handed-over question plausibly means: those the engine would itself offer
    as "did you mean" (none for a question too long to be a way of asking)."""
    if not may_become_alternate(row):
        return []
    return [match.entry for match in knowledge.match(row.question).suggestions]


async def add_alternate(
    repos: Repositories, knowledge: KnowledgeBase, question_id: int, entry_id: str, now: datetime
) -> TeamQuestion:
    """Teach an entry the way this person asked; live at the next knowledge reload. The question
    is also kept as the asker's candidate phrasing of the entry, so that similar questions of
    others group with it."""
    row = await repos.team_questions.get(question_id)
    if row is None:
        raise TeamDeskError(f"there is no question #{question_id}")
    if entry_id not in knowledge.entries:
        raise TeamDeskError(f"there is no entry {entry_id!r} in the knowledge base")
    if not may_become_alternate(row):
        raise TeamDeskError("that question is too long to be a way of asking an entry")
    await repos.faq.add_alternate(entry_id, row.question, now)
    digest = await repos.team_questions.take_learn_digest(row, entry_id)
    if digest is not None:
        await keep_candidate(repos, knowledge, entry_id, row.question, digest, now)
    return row


async def keep_unlearnt(repos: Repositories, question_id: int) -> None:
    """Staff chose not to link an answered question: drop the digests it held for that."""
    row = await repos.team_questions.get(question_id)
    if row is not None:
        await repos.team_questions.drop_learn_digests(row)


async def most_missed(repos: Repositories, limit: int = REPORT_LINES) -> list[Missed]:
    """The staff report's lines: questions not answered and answers marked 👎, most first."""
    return await repos.faq.most_missed(limit=limit)


async def missed_report(repos: Repositories, limit: int = REPORT_LINES) -> list[str]:
    """Most-missed questions first, not answered or marked not helpful, as staff read them."""
    missed = await most_missed(repos, limit)
    if not missed:
        return ["Nothing missed so far: no unanswered questions and no 👎."]
    return [
        f"{item.count} × not answered: «{item.question}»"
        if item.entry_id is None
        else f"{item.count} × 👎 on {item.entry_id} (e.g. «{item.question}»)"
        for item in missed
    ]
