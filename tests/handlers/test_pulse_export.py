"""`cedp-bot pulse results` as JSON, CSV and a PNG chart (handlers/pulse_export.py), on both
databases: a breakdown only when its groups are big enough, comments with names taken out,
the trend over earlier check-ins, and files that hold only what was released."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from PIL import Image

from domain.people import MemberRef
from tests.handlers.conftest import Cli, succeeded
from tests.handlers.pulse_checkins import Answers, answered, created, definition, people

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PANEL = (500, 300)  # pixels of one panel: handlers.pulse_export.PANEL_INCHES at 100 dpi

NEW_CEOS: list[Answers] = [
    (2, 1, 0, "Dr Shah was a great help"),
    (3, 0, 1, None),
    (2, 1, 0, "More peer time please"),
    (4, 0, 2, None),
    (5, 0, 3, "Fine"),
]
OTHERS: list[Answers] = [
    (4, 0, 1, "Busy month"),
    (4, 0, 1, None),
    (3, 1, 0, "I would like a mentor"),
    (5, 0, 2, "All good"),
    (4, 0, 1, "Thanks"),
]


Given = dict[MemberRef, Answers]


def _given(database_url: str, answers: list[Answers], tags: tuple[str, ...] = ()) -> Given:
    return dict(zip(people(database_url, len(answers), tags=tags), answers, strict=True))


def _closed(cedp_bot: Cli, database_url: str, folder: Path, given: Given, extra: str = "") -> int:
    checkin_id = created(cedp_bot, folder, definition(extra=extra))
    answered(database_url, checkin_id, given)
    succeeded(cedp_bot, "pulse", "close", str(checkin_id))
    return checkin_id


def _with_breakdown(cedp_bot: Cli, database_url: str, folder: Path) -> int:
    """Ten people answered, five of them new chief executives; results may compare them."""
    given = _given(database_url, NEW_CEOS, ("new-ceo",)) | _given(database_url, OTHERS)
    return _closed(cedp_bot, database_url, folder, given, "breakdown: [new-ceo]\n")


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as rows:
        reader = csv.DictReader(rows)
        assert reader.fieldnames == ["question_id", "question", "group", "answer", "count"]
        return list(reader)


def _png_size(path: Path) -> tuple[int, int]:
    assert path.read_bytes().startswith(PNG_MAGIC)
    with Image.open(path) as image:
        image.verify()
        return image.size


# JSON


def test_json_breaks_down_by_tag_when_each_group_is_big_enough(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    checkin_id = _with_breakdown(cedp_bot, database_url, tmp_path)

    shown = json.loads(succeeded(cedp_bot, "pulse", "results", str(checkin_id), "--json"))

    wellbeing, isolated, _, comment = shown["questions"]
    assert (wellbeing["answered"], wellbeing["mean"]) == (10, 3.6)
    assert wellbeing["counts"] == {"1": 0, "2": 2, "3": 2, "4": 4, "5": 2}
    assert wellbeing["breakdown"] == [
        {
            "tag": "new-ceo",
            "has_tag": True,
            "answered": 5,
            "counts": {"1": 0, "2": 2, "3": 1, "4": 1, "5": 1},
            "mean": 3.2,
        },
        {
            "tag": "new-ceo",
            "has_tag": False,
            "answered": 5,
            "counts": {"1": 0, "2": 0, "3": 1, "4": 3, "5": 1},
            "mean": 4.0,
        },
    ]
    assert [cell["counts"] for cell in isolated["breakdown"]] == [
        {"yes": 2, "no": 3},
        {"yes": 1, "no": 4},
    ]
    assert [cell["mean"] for cell in isolated["breakdown"]] == [None, None]
    assert set(comment) == {"id", "text", "kind", "suppressed", "answered", "comments"}
    assert sorted(comment["comments"]) == sorted(
        [
            "[name] was a great help",
            "More peer time please",
            "Fine",
            "Busy month",
            "I would like a mentor",
            "All good",
            "Thanks",
        ]
    )


def test_a_breakdown_with_a_group_under_5_is_withheld(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    given = _given(database_url, NEW_CEOS[:4], ("new-ceo",)) | _given(database_url, OTHERS)
    checkin_id = _closed(cedp_bot, database_url, tmp_path, given, "breakdown: [new-ceo]\n")
    table = tmp_path / "results.csv"

    shown = json.loads(
        succeeded(cedp_bot, "pulse", "results", str(checkin_id), "--json", "--csv", str(table))
    )

    assert shown["questions"][0]["answered"] == 9
    assert [question.get("breakdown") for question in shown["questions"]] == [[], [], [], None]
    assert {row["group"] for row in _csv(table)} == {"all"}


# CSV


def test_csv_has_a_row_per_answer_and_group_and_the_mean_of_a_scale(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    checkin_id = _with_breakdown(cedp_bot, database_url, tmp_path)
    table = tmp_path / "results.csv"

    out = succeeded(cedp_bot, "pulse", "results", str(checkin_id), "--csv", str(table))

    assert out.splitlines()[-1] == f"wrote {table}"
    rows = _csv(table)
    counted = {(row["question_id"], row["group"], row["answer"]): row["count"] for row in rows}
    assert [counted["wellbeing", "all", str(value)] for value in range(1, 6)] == [
        "0",
        "2",
        "2",
        "4",
        "2",
    ]
    assert counted["wellbeing", "all", "mean"] == "3.60"
    assert counted["wellbeing", "new-ceo", "mean"] == "3.20"
    assert counted["wellbeing", "not new-ceo", "mean"] == "4.00"
    assert counted["isolated", "new-ceo", "yes"] == "2"
    assert ("isolated", "all", "mean") not in counted
    assert counted["need", "not new-ceo", "Peer support"] == "3"
    assert counted["comment", "all", "comments"] == "7"
    assert {row["question"] for row in rows if row["question_id"] == "need"} == {
        "What would help you most right now?"
    }
    assert len(rows) == 3 * (6 + 2 + 4) + 1  # three groups of each question, one for comments


def test_a_suppressed_question_is_one_row_without_a_number(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    skipped: list[Answers] = [(4, None, 1, None), *OTHERS[:4]]  # only 4 say if they feel isolated
    checkin_id = _closed(cedp_bot, database_url, tmp_path, _given(database_url, skipped))
    table = tmp_path / "results.csv"

    succeeded(cedp_bot, "pulse", "results", str(checkin_id), "--csv", str(table))

    isolated = [row for row in _csv(table) if row["question_id"] == "isolated"]
    assert isolated == [
        {
            "question_id": "isolated",
            "question": "Have you felt isolated in the last month?",
            "group": "all",
            "answer": "suppressed",
            "count": "",
        }
    ]


def test_before_release_every_question_is_one_suppressed_row(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    checkin_id = created(cedp_bot, tmp_path, definition())
    answered(database_url, checkin_id, _given(database_url, OTHERS))  # still open
    table, chart = tmp_path / "results.csv", tmp_path / "results.png"

    succeeded(
        cedp_bot, "pulse", "results", str(checkin_id), "--csv", str(table), "--png", str(chart)
    )

    rows = _csv(table)
    assert [(row["question_id"], row["answer"], row["count"]) for row in rows] == [
        (question, "suppressed", "") for question in ("wellbeing", "isolated", "need", "comment")
    ]
    assert _png_size(chart) == PANEL  # one panel, saying why there is nothing to show


# PNG


def test_the_chart_has_a_panel_per_question_and_the_trend_once_asked_before(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    first = _closed(cedp_bot, database_url, tmp_path, _given(database_url, OTHERS))
    lower = [(2, 1, 0, None)] * 5
    second = _closed(cedp_bot, database_url, tmp_path, _given(database_url, lower))
    alone, trended = tmp_path / "first.png", tmp_path / "second.png"

    earlier = succeeded(cedp_bot, "pulse", "results", str(first), "--png", str(alone), "--json")
    later = succeeded(cedp_bot, "pulse", "results", str(second), "--png", str(trended), "--json")

    width, height = _png_size(alone)
    assert width == PANEL[0] and height >= 3 * PANEL[1]  # wellbeing, isolated, need; no trend
    assert _png_size(trended)[0] == 2 * PANEL[0]  # beside each, how it has moved
    assert _trend_means(later) == [(first, 4.0), (second, 2.0)]
    assert _trend_means(earlier) == [(first, 4.0)]  # never a check-in after it


def _trend_means(out: str) -> list[tuple[int, float]]:
    trend = json.loads(out)["questions"][0]["trend"]
    return [(point["checkin"], point["mean"]) for point in trend]


def test_files_are_replaced_whole_and_a_folder_that_is_not_there_is_one_line(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    checkin_id = _closed(cedp_bot, database_url, tmp_path, _given(database_url, OTHERS))
    table = tmp_path / "results.csv"
    table.write_text("an older export\n", encoding="utf-8")

    succeeded(cedp_bot, "pulse", "results", str(checkin_id), "--csv", str(table))

    assert _csv(table)[0]["question_id"] == "wellbeing"
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
    missing = tmp_path / "no-such-folder" / "chart.png"
    ran = cedp_bot("pulse", "results", str(checkin_id), "--png", str(missing))
    assert (ran.code, ran.out) == (1, "")
    assert ran.err.strip() == f"cedp-bot: cannot write {missing}: No such file or directory"
