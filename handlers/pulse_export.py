"""A check-in's results as JSON, CSV and a PNG chart: pure functions of what
services.pulse.results released, for the command line now and the console later.

Like the text form (handlers/pulse_results.py), each shows only what the release rule let out: a
suppressed question carries no number at all, in any of the three.

- JSON: one object with `respondents`, `released`, `reason` and `questions`; each question has
  `id`, `text`, `kind`, `suppressed` and, when released, `answered` and `counts` (a scale's
  `mean` too; a text question's `comments` instead of counts), its `breakdown` cells and its
  `trend` over the last check-ins that asked it (oldest first).
- CSV: `question_id,question,group,answer,count`; `group` is `all`, `TAG` or `not TAG`; a scale
  adds a `mean` row per group; a suppressed question is one row with the answer `suppressed`.
- PNG: one panel per question that is not free text (its distribution, and beside it the trend
  of the mean or of the share saying yes when earlier check-ins asked it); a suppressed question's
  panel says so; a check-in not released at all is one panel saying why.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.dates import day_text
from domain.pulse import Cell, QuestionKind, QuestionResult
from services.pulse import Results, TrendPoint

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CSV_HEADER = ("question_id", "question", "group", "answer", "count")
ALL = "all"
SUPPRESSED = "suppressed"
MEAN = "mean"
COMMENTS = "comments"
NOT_ENOUGH = "Not enough responses"
PANEL_INCHES = (5.0, 3.0)  # one panel's width and height
WRAP = 60  # characters of a question's text on one line of a panel's title


# JSON


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _cell_json(cell: Cell) -> dict[str, Any]:
    return {
        "tag": cell.tag,
        "has_tag": cell.has_tag,
        "answered": cell.answered,
        "counts": cell.counts,
        "mean": cell.mean,
    }


def _point_json(point: TrendPoint) -> dict[str, Any]:
    return {
        "checkin": point.checkin_id,
        "title": point.title,
        "closes": _iso(point.closes_at),
        "suppressed": point.suppressed,
        "counts": point.counts,
        "mean": point.mean,
    }


def _question_json(result: QuestionResult, trend: list[TrendPoint]) -> dict[str, Any]:
    question = result.question
    shown: dict[str, Any] = {"id": question.id, "text": question.text, "kind": question.kind}
    if result.suppressed:
        return shown | {"suppressed": True}
    shown |= {"suppressed": False, "answered": result.answered}
    if question.kind is QuestionKind.TEXT:
        return shown | {"comments": list(result.comments)}
    shown["counts"] = result.counts
    if question.kind is QuestionKind.SCALE:
        shown["mean"] = result.mean
    return shown | {
        "breakdown": [_cell_json(cell) for cell in result.breakdown],
        "trend": [_point_json(point) for point in trend],
    }


def results_json(results: Results) -> dict[str, Any]:
    """The one object `pulse results --json` prints."""
    shown = results.release
    return {
        "respondents": shown.respondents,
        "released": shown.released,
        "reason": shown.reason,
        "questions": [
            _question_json(result, results.trends.get(position, []))
            for position, result in enumerate(shown.questions)
        ],
    }


# CSV


def _tally_rows(
    result: QuestionResult, group: str, counts: dict[str, int], mean: float | None
) -> Iterator[tuple[str, ...]]:
    question = result.question
    for value in question.values():
        key = question.key(value)
        yield question.id, question.text, group, key, str(counts.get(key, 0))
    if mean is not None:
        yield question.id, question.text, group, MEAN, f"{mean:.2f}"


def _csv_rows(result: QuestionResult) -> Iterator[tuple[str, ...]]:
    question = result.question
    if result.suppressed:
        yield question.id, question.text, ALL, SUPPRESSED, ""
    elif question.kind is QuestionKind.TEXT:
        yield question.id, question.text, ALL, COMMENTS, str(len(result.comments))
    else:
        yield from _tally_rows(result, ALL, result.counts, result.mean)
        for cell in result.breakdown:
            group = cell.tag if cell.has_tag else f"not {cell.tag}"
            yield from _tally_rows(result, group, cell.counts, cell.mean)


def results_csv(results: Results) -> str:
    """The table `pulse results --csv FILE` writes: a header, then the rows of every question."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for result in results.release.questions:
        writer.writerows(_csv_rows(result))
    return out.getvalue()


# PNG


def _trend_figure(point: TrendPoint, kind: QuestionKind) -> float | None:
    """A trend point as one number: the mean (scale) or the share saying yes (yes/no)."""
    if point.suppressed:
        return None
    if kind is QuestionKind.SCALE:
        return point.mean
    total = sum(point.counts.values())
    return 100 * point.counts.get("yes", 0) / total if total else None


def _say(axes: Axes, text: str) -> None:
    axes.set_axis_off()
    axes.text(0.5, 0.5, text, ha="center", va="center", wrap=True, transform=axes.transAxes)


def _distribution(axes: Axes, result: QuestionResult) -> None:
    question = result.question
    labels = [textwrap.fill(question.label(value), 14) for value in question.values()]
    counts = [result.counts.get(question.key(value), 0) for value in question.values()]
    axes.bar(range(len(counts)), counts, color="#005eb8")  # NHS blue
    axes.set_xticks(range(len(counts)), labels, fontsize=8)
    axes.set_ylabel("answers")
    axes.locator_params(axis="y", integer=True)


def _trend(axes: Axes, points: list[TrendPoint], kind: QuestionKind) -> None:
    figures = [_trend_figure(point, kind) for point in points]
    xs = range(len(points))
    axes.plot(xs, [float("nan") if f is None else f for f in figures], marker="o", color="#005eb8")
    axes.set_xticks(xs, [day_text(point.closes_at.date()) for point in points], fontsize=8)
    axes.set_xlim(-0.5, len(points) - 0.5)
    if kind is QuestionKind.SCALE:
        axes.set_ylim(1, 5)
        axes.set_ylabel("mean")
    else:
        axes.set_ylim(0, 100)
        axes.set_ylabel("% yes")
    for x, figure in zip(xs, figures, strict=True):
        if figure is None:
            axes.annotate("too few", (x, axes.get_ylim()[0]), ha="center", va="bottom", fontsize=7)
    axes.set_title(f"last {len(points)} check-ins", fontsize=9)


def _has_trend(points: list[TrendPoint], kind: QuestionKind) -> bool:
    return kind in {QuestionKind.SCALE, QuestionKind.YESNO} and len(points) > 1


def _heading(result: QuestionResult) -> str:
    """A panel's title: the question, and how many answered it (and the mean) when shown."""
    heading = textwrap.fill(result.question.text, WRAP)
    if result.suppressed:
        return heading
    mean = f", mean {result.mean:.1f} of 5" if result.mean is not None else ""
    return f"{heading}\n{result.answered} answers{mean}"


def _draw(figure: Figure, results: Results) -> None:
    shown = results.release
    charted = [
        (position, result)
        for position, result in enumerate(shown.questions)
        if result.question.kind is not QuestionKind.TEXT
    ]
    if not shown.released or not charted:
        reason = shown.reason if not shown.released else "only free-text questions"
        _say(figure.add_subplot(), f"{results.checkin.title}\n\nNo chart: {reason}.")
        return
    trended = any(_has_trend(results.trends.get(p, []), r.question.kind) for p, r in charted)
    columns = 2 if trended else 1
    figure.set_size_inches(PANEL_INCHES[0] * columns, PANEL_INCHES[1] * len(charted) + 0.6)
    figure.suptitle(f"{results.checkin.title}: {shown.respondents} respondents")
    grid = figure.add_gridspec(len(charted), columns)
    for row, (position, result) in enumerate(charted):
        first = figure.add_subplot(grid[row, 0])
        points = results.trends.get(position, [])
        if result.suppressed:
            _say(first, NOT_ENOUGH)
        else:
            _distribution(first, result)
            if _has_trend(points, result.question.kind):
                _trend(figure.add_subplot(grid[row, 1]), points, result.question.kind)
        first.set_title(_heading(result), loc="left", fontsize=10)


def results_png(results: Results) -> bytes:
    """The chart `pulse results --png FILE` writes, drawn on a Figure of its own (no pyplot
    state, no display)."""
    # Imported here, not at the top: matplotlib costs most of a second, and every `cedp-bot`
    # command (the server too) imports this module through the command line's registry.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=PANEL_INCHES, layout="constrained")
    FigureCanvasAgg(figure)
    _draw(figure, results)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100)
    return out.getvalue()
