"""A check-in's results as text, for staff in chat and at the terminal alike.

It formats what services.pulse.results released and nothing else: a suppressed question says why
it is held back, and never a number from it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.dates import day_text, moment_text
from domain.pulse import Cell, QuestionKind, QuestionResult, State
from services.pulse import Results, TrendPoint

HELD_BACK = "not shown: fewer than {threshold} people answered it"
BREAKDOWN_WITHHELD = "breakdown not shown: a group would be too small, directly or by subtraction"
NO_COMMENTS = "comments are shown only when at least {threshold} people answered the check-in"


def _share(count: int, total: int) -> str:
    return f"{round(100 * count / total)}%" if total else "0%"


def _counts(result: QuestionResult) -> list[str]:
    question = result.question
    lines = []
    for value in question.values():
        count = result.counts.get(question.key(value), 0)
        lines.append(f"   {question.label(value)}: {count} ({_share(count, result.answered)})")
    return lines


def figure_text(counts: dict[str, int], mean: float | None, kind: QuestionKind) -> str:
    """One group's figure in a trend or a breakdown: the mean, the share saying yes, or the
    count of each option."""
    total = sum(counts.values())
    if mean is not None:
        return f"mean {mean:.1f}"
    if kind is QuestionKind.YESNO:
        return f"{_share(counts.get('yes', 0), total)} yes"
    return ", ".join(f"{option} {count}" for option, count in counts.items())


def _cell(cell: Cell, kind: QuestionKind) -> str:
    who = cell.tag if cell.has_tag else f"not {cell.tag}"
    return f"   {who}: {cell.answered} answers, {figure_text(cell.counts, cell.mean, kind)}"


def _trend(points: list[TrendPoint], kind: QuestionKind) -> str:
    shown = [
        f"{day_text(point.closes_at.date())}: "
        + (
            "not enough answers"
            if point.suppressed
            else figure_text(point.counts, point.mean, kind)
        )
        for point in points
    ]
    return "   Trend: " + " · ".join(shown)


def _question(number: int, result: QuestionResult, results: Results, threshold: int) -> list[str]:
    question = result.question
    lines = [f"{number}. {question.text}"]
    if question.kind is QuestionKind.TEXT:
        if result.suppressed:
            lines.append(f"   {NO_COMMENTS.format(threshold=threshold)}")
        else:
            lines.append(f"   {len(result.comments)} comments, in no particular order:")
            lines.extend(f"   “{comment}”" for comment in result.comments)
        return lines
    if result.suppressed:
        lines.append(f"   {HELD_BACK.format(threshold=threshold)}")
        return lines
    mean = f", mean {result.mean:.1f} of 5" if result.mean is not None else ""
    lines.append(f"   {result.answered} answers{mean}")
    lines.extend(_counts(result))
    if result.breakdown_withheld:
        lines.append(f"   {BREAKDOWN_WITHHELD}")
    lines.extend(_cell(cell, question.kind) for cell in result.breakdown)
    points = results.trends.get(number - 1, [])
    if len(points) > 1:
        lines.append(_trend(points, question.kind))
    return lines


def results_text(results: Results, zone: ZoneInfo) -> str:
    """The results staff read: a heading with the counts, then each question as released."""
    checkin, shown = results.checkin, results.release
    when = {
        State.SCHEDULED: f"opens {moment_text(checkin.opens_at, zone)}",
        State.OPEN: f"closes {moment_text(checkin.closes_at, zone)}",
        State.CLOSED: f"closed {moment_text(checkin.closes_at, zone)}",
    }[State(checkin.state)]
    heading = (
        f"Check-in #{checkin.id} “{checkin.title}”, {when} ({zone.key})\n"
        f"Sent to {results.sent}; {shown.respondents} answered."
    )
    if not shown.released:
        return f"{heading}\nNo results are shown: {shown.reason}."
    blocks = [heading]
    for number, result in enumerate(shown.questions, start=1):
        policy = results.policy
        text = result.question.kind is QuestionKind.TEXT
        limit = policy.min_for_comments if text else policy.min_respondents
        blocks.append("\n".join(_question(number, result, results, limit)))
    return "\n\n".join(blocks)
