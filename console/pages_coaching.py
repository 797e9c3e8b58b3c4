"""Coaching: every coach and mentor with their profile, weekly time and days taken out (as
/availability tells a coach), their upcoming sessions as `cedp-bot coaching bookings` shows
them to staff (when, who, status), and the coaches YAML: uploaded to import it, downloaded to
edit it. The rules are services/coaching.py and services/coaching_import.py.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import PurePath

from aiohttp import web

from console.pages import Page, Pages, Redirect, Visit, in_brief
from domain.coaching import WeeklyWindow
from services import coaching
from services.coaching import CoachingError, Session
from services.coaching_import import (
    ImportRefused,
    export_coaches,
    import_coaches,
    read_coaches,
)

pages = Pages("coaching", "Coaching")
DEFAULT_SOURCE = "coaches.yaml"
MAX_SOURCE_CHARS = 80
SHOWN_PROBLEMS = 5  # a refusal's notice travels in a cookie, so it stays short
MAX_COACHES_FILE_BYTES = 256 * 1024  # a programme's coaches fit many times over


async def _overview(visit: Visit, problems: list[str] | None = None) -> Page:
    """The page; with `problems`, those of a file that could not be read, and a 400."""
    sessions: dict[int, list[Session]] = defaultdict(list)
    for session in await coaching.upcoming_sessions(visit.repos, visit.now):
        sessions[session.coach.id].append(session)
    coaches = [
        {
            "coach": coach,
            "weekly": [str(WeeklyWindow.parse(text)) for text in coach.weekly],
            "sessions": sessions[coach.id],
        }
        for coach in await coaching.coaches(visit.repos)
    ]
    return Page(
        "coaching.html",
        "Coaching",
        {"coaches": coaches, "problems": problems or []},
        status=400 if problems else 200,
    )


@pages.get("")
async def overview(visit: Visit) -> Page:
    return await _overview(visit)


def _source(field: object) -> str:
    """The uploaded file's own name, as the problems name it (the CLI names the path)."""
    name = PurePath(str(getattr(field, "filename", "") or "")).name.strip()
    return name[:MAX_SOURCE_CHARS] or DEFAULT_SOURCE


@pages.post("/import")
async def upload(visit: Visit) -> Page | Redirect:
    form = visit.posted
    text = form.file_text("coaches", "Coaches file", max_bytes=MAX_COACHES_FILE_BYTES)
    try:
        entries = read_coaches(text, _source(form.fields.get("coaches")))
    except ImportRefused as refused:  # nothing written yet: show every problem on the page
        return await _overview(visit, refused.problems)
    try:
        report = await import_coaches(visit.repos, entries, visit.now, visit.member)
    except ImportRefused as refused:  # the refusal rolls back what was written
        problems = refused.problems
        raise CoachingError(
            f"Nothing was imported; {len(problems)} problem{'s' if len(problems) != 1 else ''}: "
            + in_brief(problems, SHOWN_PROBLEMS)
        ) from None
    done = ", ".join(
        f"{len(names)} {what}" + (f" ({', '.join(names)})" if names else "")
        for what, names in (
            ("added", report.added),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
        )
    )
    return Redirect(pages.base, f"Imported the coaches: {done}.")


@pages.get("/coaches.yaml")
async def download(visit: Visit) -> web.Response:
    """The current coaches in the format the upload reads, to edit and upload again."""
    return web.Response(
        text=await export_coaches(visit.repos),
        content_type="application/yaml",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{DEFAULT_SOURCE}"'},
    )
