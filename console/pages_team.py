"""The team queue: questions people handed to the team, answered here (the asker receives the
answer in their chat) and optionally learnt as a way of asking an entry; and the "did you mean"
picks that wait as suggested phrasings, accepted or dismissed with one click. The rules are
services/team.py and services/learning.py, as for /unanswered, /learn and `cedp-bot kb`."""

from __future__ import annotations

from bot.reload import reload_knowledge
from console.pages import Page, Pages, Redirect, Visit
from services import learning, team

pages = Pages("team", "Team queue")
MAX_ANSWER_CHARS = 4000


@pages.get("")
async def queue(visit: Visit) -> Page:
    knowledge = visit.services.knowledge.current
    rows = list(await team.waiting_questions(visit.repos))
    waiting = [
        {
            "row": row,
            "suggested": team.learnable_entries(knowledge, row),
            "learnable": team.may_become_alternate(row),
        }
        for row in rows
    ]
    entries = sorted(knowledge.entries.values(), key=lambda entry: entry.question.casefold())
    suggestions = await learning.suggestions(visit.repos, knowledge)
    return Page(
        "team.html",
        "Team queue",
        {"waiting": waiting, "entries": entries, "suggestions": suggestions},
    )


@pages.post("/{question}/answer")
async def answer(visit: Visit) -> Redirect:
    question_id = visit.whole("question")
    form = visit.posted
    text = form.text("answer", "Answer", max_chars=MAX_ANSWER_CHARS)
    entry_id = form.text("alternate_of", "Learn as", max_chars=200, required=False) or None
    knowledge = visit.services.knowledge.current
    row = await team.answer_question(
        visit.repos,
        knowledge,
        visit.services.askers,
        question_id,
        text,
        visit.now,
        by=visit.member,
        linking=entry_id,
    )
    done = f"Answered #{row.id}: the answer is on its way to {row.asker_name}."
    if entry_id is not None:
        await team.add_alternate(visit.repos, knowledge, row.id, entry_id, visit.now)
        await _reload(visit)
        done += f" «{row.question}» now also finds {entry_id}."
    else:
        await team.keep_unlearnt(visit.repos, row.id)
    return Redirect(pages.base, done)


@pages.post("/suggestions/{number}/accept")
async def accept(visit: Visit) -> Redirect:
    suggestion = await learning.accept(
        visit.repos,
        visit.services.knowledge.current,
        visit.whole("number"),
        visit.now,
        visit.member,
    )
    await _reload(visit)
    return Redirect(
        pages.base, f"Added «{suggestion.text}» as a way of asking «{suggestion.entry.question}»."
    )


@pages.post("/suggestions/{number}/dismiss")
async def dismiss(visit: Visit) -> Redirect:
    suggestion = await learning.dismiss(
        visit.repos, visit.services.knowledge.current, visit.whole("number")
    )
    return Redirect(pages.base, f"Dismissed «{suggestion.text}»: it is no longer offered.")


async def _reload(visit: Visit) -> None:
    """Live at once in this worker, as after /learn; other workers at their next reload check."""
    await reload_knowledge(
        visit.services.knowledge, visit.repos, visit.services.binder, visit.now, force=False
    )
