"""The home page: what needs staff now, in counts. Open team questions, broadcasts still
sending (their counts refresh live), check-ins by state, this week's coaching sessions per
coach, and introductions as counts only (services/intros.py `stats`, what staff may see)."""

from __future__ import annotations

from console.pages import Page, Pages, Visit
from console.times import this_week
from domain.pulse import State
from services import broadcasts, coaching, intros, pulse, team

pages = Pages("", "Home")
RECENT_BROADCASTS = 20


@pages.get("")
async def home(visit: Visit) -> Page:
    repos = visit.repos
    waiting = await team.waiting_questions(repos)
    sending = [
        report
        for report in await broadcasts.list_broadcasts(repos, RECENT_BROADCASTS)
        if report.state == "sending"
    ]
    checkins = await pulse.summaries(repos)
    by_state = {state: [s for s in checkins if s.checkin.state == state] for state in State}
    start, end = this_week(visit.now)
    week = await coaching.utilisation(repos, start, end)
    return Page(
        "home.html",
        "Home",
        {
            "waiting": len(waiting),
            "sending": sending,
            "open_checkins": by_state[State.OPEN],
            "scheduled_checkins": len(by_state[State.SCHEDULED]),
            "closed_checkins": len(by_state[State.CLOSED]),
            "week_start": start,
            "week": week,
            "week_sessions": sum(line.booked for line in week),
            "intros": await intros.stats(repos, visit.now),
        },
    )
