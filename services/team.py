"""The programme team's desk: questions people handed over, answered once and learnt from,
and the report of what the knowledge base missed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.errors import Refusal
from knowledge.base import KnowledgeBase
from storage.models import TeamQuestion
from storage.repositories import Repositories

MAX_ALTERNATE_CHARS = 300
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
    repos: Repositories, question_id: int, answer: str, now: datetime
) -> TeamQuestion:
    """Record the team's answer and queue it for the asker, exactly once."""
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
        await repos.team_questions.forget_asker(row)
    return row


def may_become_alternate(row: TeamQuestion) -> bool:
    """Whether the question is short enough to be learnt as a way of asking an entry."""
    return len(row.question) <= MAX_ALTERNATE_CHARS


async def add_alternate(
    repos: Repositories, knowledge: KnowledgeBase, question_id: int, entry_id: str, now: datetime
) -> TeamQuestion:
    """Teach an entry the way this person asked; live at the next knowledge reload."""
    row = await repos.team_questions.get(question_id)
    if row is None:
        raise TeamDeskError(f"there is no question #{question_id}")
    if entry_id not in knowledge.entries:
        raise TeamDeskError(f"there is no entry {entry_id!r} in the knowledge base")
    if not may_become_alternate(row):
        raise TeamDeskError("that question is too long to be a way of asking an entry")
    await repos.faq.add_alternate(entry_id, row.question, now)
    return row


async def missed_report(repos: Repositories, limit: int = REPORT_LINES) -> list[str]:
    """Most-missed questions first, not answered or marked not helpful, as staff read them."""
    missed = await repos.faq.most_missed(limit=limit)
    if not missed:
        return ["Nothing missed so far: no unanswered questions and no 👎."]
    return [
        f"{item.count} × not answered: «{item.question}»"
        if item.entry_id is None
        else f"{item.count} × 👎 on {item.entry_id} (e.g. «{item.question}»)"
        for item in missed
    ]
