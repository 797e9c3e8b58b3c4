"""Check-ins: the list, a new check-in from a form or from the YAML file, and one check-in's
counts (never names), closing it early, and once closed its results, chart and CSV.

The rules are services/pulse.py and services/pulse_file.py, as for `/pulse` in chat and
`cedp-bot pulse`: the form builds the file's structure and goes through the file's own checks
(`definition_of`); results come only from `pulse.results`, which checks the role, releases
nothing before close or under the threshold, and records each viewing. Before close this
section does not ask for results at all. The chart and the CSV are the command line's
(handlers/pulse_export.py).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from console.pages import Afterwards, Form, Missing, Page, Pages, Redirect, Visit
from console.times import PROGRAMME_ZONE
from domain.pulse import NOT_CLOSED, QuestionKind, QuestionResult, State
from handlers.pulse_export import NOT_ENOUGH, results_csv, results_png
from handlers.pulse_results import BREAKDOWN_WITHHELD, HELD_BACK, NO_COMMENTS, figure_text
from services import pulse
from services.pulse_file import MAX_QUESTIONS, DefinitionRefused, definition_of, read_definition
from storage.pulse import PulseCheckin

pages = Pages("checkins", "Check-ins")
ROWS = 6  # question rows on the form; more (up to MAX_QUESTIONS) in an uploaded file
FIELD_MAX = 2000  # a generous bound on what is read; the definition's checks set the real ones
UPLOAD_MAX_BYTES = 64 * 1024
KINDS = {
    QuestionKind.SCALE: "Scale of 1 to 5",
    QuestionKind.YESNO: "Yes or no",
    QuestionKind.CHOICE: "One of some options",
    QuestionKind.TEXT: "Free text (optional)",
}
NOT_YET = f"No results yet: {NOT_CLOSED}."
TIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
ROW_NUMBERS = range(1, ROWS + 1)
PARTS = ("id", "text", "kind", "options")  # of a question row: fields q1_id, q1_text, ...


def _fields() -> list[tuple[str, str]]:
    """Every field of the new check-in form, with the label its problems name."""
    top = [
        ("title", "Title"),
        ("segment", "Sent to"),
        ("breakdown", "Breakdown"),
        ("opens", "Opens"),
        ("closes", "Closes"),
    ]
    rows = [(f"q{row}_{part}", f"Question {row} {part}") for row in ROW_NUMBERS for part in PARTS]
    return top + rows


def _entered(form: Form) -> dict[str, str]:
    return {
        name: form.text(name, label, max_chars=FIELD_MAX, required=False)
        for name, label in _fields()
    }


def _blank(now: datetime) -> dict[str, str]:
    """The form as first shown: opening at the next hour, for a week."""
    opens = now.astimezone(PROGRAMME_ZONE).replace(minute=0, second=0, microsecond=0)
    opens += timedelta(hours=1)
    entered = {name: "" for name, _ in _fields()}
    entered |= {
        "opens": f"{opens:{TIME_FORMAT}}",
        "closes": f"{opens + timedelta(days=7):{TIME_FORMAT}}",
    }
    return entered


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def _question(entered: dict[str, str], row: int) -> dict[str, Any] | None:
    """A question row as the file writes it; None for a row left empty."""
    typed = {part: entered[f"q{row}_{part}"] for part in PARTS}
    if not (typed["id"] or typed["text"] or typed["options"]):
        return None
    question: dict[str, Any] = {part: typed[part] for part in ("id", "text", "kind") if typed[part]}
    options = [line.strip() for line in typed["options"].splitlines() if line.strip()]
    if options:  # a scale's are its labels; on other kinds the checks say they do not belong
        question["labels" if typed["kind"] == QuestionKind.SCALE else "options"] = options
    return question


def _document(entered: dict[str, str]) -> dict[str, Any]:
    """The check-in file's structure from the form: what is left empty is left out, so the
    checks say it is required rather than that it is empty."""
    document: dict[str, Any] = {key: entered[key] for key in ("title", "opens", "closes")}
    document |= {key: _tags(entered[key]) for key in ("segment", "breakdown")}
    document["questions"] = [
        question for row in ROW_NUMBERS if (question := _question(entered, row))
    ]
    return {key: value for key, value in document.items() if value or key == "questions"}


async def _known_ids(visit: Visit) -> list[str]:
    """Question ids earlier check-ins used: the same id is what makes a trend."""
    checkins = await visit.repos.pulse.all()
    return sorted({question.question_id for c in checkins for question in c.questions})


async def _new_page(
    visit: Visit,
    entered: dict[str, str],
    problems: DefinitionRefused | None = None,
    problems_in: str = "",
) -> Page:
    return Page(
        "checkin_new.html",
        "New check-in",
        {
            "entered": entered,
            "rows": ROW_NUMBERS,
            "kinds": KINDS,
            "known_ids": await _known_ids(visit),
            "problems": problems.problems if problems else [],
            "problems_in": problems_in,
            "max_questions": MAX_QUESTIONS,
            "upload_kb": UPLOAD_MAX_BYTES // 1024,
        },
        status=400 if problems else 200,
    )


async def _created(visit: Visit, checkin: PulseCheckin) -> Redirect:
    reach = await pulse.reach(visit.repos, checkin.segment)
    return Redirect(
        f"{pages.base}/{checkin.id}",
        f"Created check-in #{checkin.id} “{checkin.title}”; it will be sent to {reach} "
        f"member{'s' if reach != 1 else ''} when it opens.",
    )


@pages.get("")
async def listing(visit: Visit) -> Page:
    return Page("checkins.html", "Check-ins", {"summaries": await pulse.summaries(visit.repos)})


@pages.get("/new")
async def new(visit: Visit) -> Page:
    return await _new_page(visit, _blank(visit.now))


@pages.post("/new", back=f"{pages.base}/new", once=True)
async def create(visit: Visit) -> Page | Redirect:
    entered = _entered(visit.posted)
    try:
        definition = definition_of(_document(entered), visit.now)
    except DefinitionRefused as refused:
        return await _new_page(visit, entered, refused, "form")
    return await _created(
        visit, await pulse.create(visit.repos, definition, visit.now, visit.member)
    )


@pages.post("/upload", back=f"{pages.base}/new", once=True)
async def upload(visit: Visit) -> Page | Redirect:
    text = visit.posted.file_text("file", "Check-in file", max_bytes=UPLOAD_MAX_BYTES)
    sent = visit.posted.fields.get("file")
    name = getattr(sent, "filename", "") or "the file"
    try:
        definition = read_definition(text, name[:100], visit.now)
    except DefinitionRefused as refused:
        return await _new_page(visit, _blank(visit.now), refused, "upload")
    return await _created(
        visit, await pulse.create(visit.repos, definition, visit.now, visit.member)
    )


async def _checkin(visit: Visit) -> pulse.Summary:
    try:
        return await pulse.summary(visit.repos, visit.whole("checkin"))
    except pulse.PulseError as error:
        raise Missing(str(error)) from None


def _held_back(result: QuestionResult, policy: pulse.Policy) -> str:
    """Why a question shows no numbers, in the words chat and the terminal use."""
    if result.question.kind is QuestionKind.TEXT:
        return NO_COMMENTS.format(threshold=policy.min_for_comments)
    return HELD_BACK.format(threshold=policy.min_respondents)


def _shown(results: pulse.Results) -> list[dict[str, Any]]:
    """Each question as released, with why it is held back and its trend in words."""
    return [
        {
            "result": result,
            "held_back": _held_back(result, results.policy),
            "trend": [
                (point, figure_text(point.counts, point.mean, result.question.kind))
                for point in results.trends.get(position, [])
            ],
        }
        for position, result in enumerate(results.release.questions)
    ]


@pages.get("/{checkin}")
async def detail(visit: Visit) -> Page:
    summary = await _checkin(visit)
    checkin = summary.checkin
    values: dict[str, Any] = {
        "summary": summary,
        "checkin": checkin,
        "kinds": KINDS,
        "not_yet": NOT_YET,
        "not_enough": NOT_ENOUGH,
        "withheld": BREAKDOWN_WITHHELD,
    }
    if checkin.state == State.SCHEDULED:
        values["reach"] = await pulse.reach(visit.repos, checkin.segment)
    if checkin.state == State.CLOSED:  # before close, results are not even asked for
        results = await pulse.results(
            visit.repos, visit.member, checkin.id, visit.services.settings, visit.now
        )
        values |= {"results": results, "questions": _shown(results)}
    return Page("checkin.html", f"Check-in #{checkin.id}: {checkin.title}", values)


@pages.post("/{checkin}/close", back=f"{pages.base}/{{checkin}}")
async def close(visit: Visit) -> Redirect:
    closed = await pulse.close(visit.repos, visit.whole("checkin"), visit.now, visit.member)
    return Redirect(
        f"{pages.base}/{closed.id}", f"Closed “{closed.title}”: it takes no more answers."
    )


def _unavailable(message: str) -> Page:
    """A download there is nothing to give for yet: a page saying why (the transaction
    stands, so a refused viewing stays in the audit trail)."""
    return Page("message.html", "No results", {"message": message}, status=409)


async def _released(visit: Visit) -> pulse.Results | Page:
    """The results a download may carry, or why there are none: before close (without asking
    for them) or when the release rule shows nothing."""
    checkin = (await _checkin(visit)).checkin
    if checkin.state != State.CLOSED:
        return _unavailable(NOT_YET)
    results = await pulse.results(
        visit.repos, visit.member, checkin.id, visit.services.settings, visit.now
    )
    if not results.release.released:
        return _unavailable(f"{NOT_ENOUGH}: {results.release.reason}.")
    return results


@pages.get("/{checkin}/chart.png")
async def chart(visit: Visit) -> Afterwards | Page:
    results = await _released(visit)
    if isinstance(results, Page):
        return results
    released = results

    async def drawn() -> web.Response:
        # In a thread, after the transaction: a chart takes a moment, and the bot's chats
        # share this event loop and (on SQLite) its one writer.
        png = await asyncio.to_thread(results_png, released)
        return web.Response(body=png, content_type="image/png")

    return Afterwards(drawn)


@pages.get("/{checkin}/results.csv")
async def csv(visit: Visit) -> web.Response | Page:
    results = await _released(visit)
    if isinstance(results, Page):
        return results
    name = f"checkin-{results.checkin.id}-results.csv"
    return web.Response(
        text=results_csv(results),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
