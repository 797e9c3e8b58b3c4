"""`cedp-bot pulse ...` as staff and scripts drive it, through `bot.cli.main` on both databases:
check-ins created from YAML (every problem with its line, and then nothing created), listed and
closed, and results released only after close with enough respondents, to staff only."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.context import utc_now
from domain.people import Role
from handlers.pulse_cli import UK
from storage.repositories import Repositories
from tests.handlers.conftest import Cli, in_database, refused, succeeded
from tests.handlers.pulse_checkins import (
    ANSWERS,
    QUESTIONS,
    answered,
    closed_with,
    created,
    definition,
    people,
)

HEADER = "id\tstate\topens (Europe/London)\tcloses (Europe/London)\tsent\trespondents\ttitle"


def _results(cedp_bot: Cli, checkin_id: int, *extra: str) -> dict[str, Any]:
    return json.loads(succeeded(cedp_bot, "pulse", "results", str(checkin_id), "--json", *extra))


def _checkins(database_url: str) -> int:
    async def count(repos: Repositories) -> int:
        return len(await repos.pulse.all())

    return in_database(database_url, count)


# Creating


def test_create_prints_a_summary_in_uk_time_and_the_id_alone_last(
    cedp_bot: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "december.yaml"
    path.write_text(
        "title: December check-in\nsegment: [new-ceo]\n"
        "opens: 2030-07-01T09:00+01:00\ncloses: 2030-07-08T17:00+01:00\n" + QUESTIONS,
        encoding="utf-8",
    )

    *summary, last = succeeded(cedp_bot, "pulse", "create", str(path)).splitlines()

    assert last.isdigit()
    assert summary == [
        f"Check-in {last} “December check-in”: opens Mon 1 Jul 09:00, closes Mon 8 Jul 17:00 "
        "(Europe/London).",
        "4 questions: wellbeing (scale), isolated (yesno), need (choice), comment (text).",
        "Sent to: new-ceo.",
    ]


HEAD = "title: December\nopens: 2030-07-01T09:00\ncloses: 2030-07-08T17:00\n"
BROKEN = {  # what follows HEAD in the file, and the start of each problem
    "bad YAML": ("questions: [wellbeing\n", ["{f}:5: is not valid YAML"]),
    "an unknown key": ("colour: blue\n" + QUESTIONS, ["{f}:4: unknown key 'colour'"]),
    "a scale with 4 labels": (
        QUESTIONS.replace("Very hard, ", ""),
        ["{f}:8: question 'wellbeing': a scale has 5 labels"],
    ),
    "duplicate question ids": (
        QUESTIONS.replace("id: isolated", "id: wellbeing"),
        ["{f}:9: question id 'wellbeing' is also used at line 5"],
    ),
    "anonymous: false": ("anonymous: false\n" + QUESTIONS, ["{f}:4: anonymous: check-ins are"]),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_file_gives_its_problems_with_line_numbers_and_creates_nothing(
    cedp_bot: Cli, database_url: str, tmp_path: Path, case: str
) -> None:
    body, expected = BROKEN[case]
    path = tmp_path / "broken.yaml"
    path.write_text(HEAD + body, encoding="utf-8")

    problems = refused(cedp_bot, "pulse", "create", str(path)).splitlines()

    assert problems[0] == "cedp-bot: no check-in was created; 1 problem:"
    assert len(problems) == 1 + len(expected)
    for line, start in zip(problems[1:], expected, strict=True):
        assert line.startswith(start.format(f=path)), line
    assert _checkins(database_url) == 0


def test_every_problem_of_a_file_is_listed_at_once(cedp_bot: Cli, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(HEAD + "anonymous: no\ncolour: blue\n" + QUESTIONS, encoding="utf-8")

    problems = refused(cedp_bot, "pulse", "create", str(path)).splitlines()

    assert problems[0] == "cedp-bot: no check-in was created; 2 problems:"
    assert [line.split(": ")[0] for line in problems[1:]] == [f"{path}:4", f"{path}:5"]


def test_closing_before_opening_is_a_problem_on_the_line_of_closes(
    cedp_bot: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "backwards.yaml"
    opens = utc_now() + timedelta(days=7)
    path.write_text(definition(opens=opens, closes=opens - timedelta(days=1)), encoding="utf-8")

    err = refused(cedp_bot, "pulse", "create", str(path))

    assert err.splitlines()[1] == f"{path}:3: closes must be after opens"


def test_a_missing_file_is_one_line(cedp_bot: Cli, tmp_path: Path) -> None:
    err = refused(cedp_bot, "pulse", "create", str(tmp_path / "none.yaml"))

    assert err == f"cedp-bot: cannot read {tmp_path / 'none.yaml'}: No such file or directory"


# Listing and closing


def test_list_shows_state_times_and_counts_latest_first_and_close_closes(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    assert succeeded(cedp_bot, "pulse", "list").splitlines() == [HEADER]
    later = utc_now() + timedelta(days=30)
    first = created(cedp_bot, tmp_path, definition("October"))
    second = created(
        cedp_bot, tmp_path, definition("November", opens=later, closes=later + timedelta(days=7))
    )
    answered(database_url, first, dict.fromkeys(people(database_url, 2), ANSWERS))

    out = succeeded(cedp_bot, "pulse", "close", str(first))

    assert (
        out.strip() == f"check-in {first} “October” is closed; see `cedp-bot pulse results {first}`"
    )
    rows = [line.split("\t") for line in succeeded(cedp_bot, "pulse", "list").splitlines()]
    assert rows[0] == HEADER.split("\t")
    assert [(row[0], row[1], row[6]) for row in rows[1:]] == [
        (str(second), "scheduled", "November"),
        (str(first), "closed", "October"),
    ]
    assert rows[2][5] == "2"  # answered; none was sent it by the jobs
    closed_at = datetime.strptime(rows[2][3], "%Y-%m-%d %H:%M").replace(tzinfo=UK)
    assert abs(closed_at - utc_now()) < timedelta(minutes=2)  # closed early: when it did
    assert refused(cedp_bot, "pulse", "close", str(first)) == (
        f"cedp-bot: Check-in {first} is already closed."
    )
    assert (
        refused(cedp_bot, "pulse", "close", "999") == "cedp-bot: There is no check-in with id 999."
    )


# Results


def test_before_close_nothing_is_released(cedp_bot: Cli, database_url: str, tmp_path: Path) -> None:
    checkin_id = created(cedp_bot, tmp_path, definition())
    answered(database_url, checkin_id, dict.fromkeys(people(database_url, 6), ANSWERS))

    shown = _results(cedp_bot, checkin_id)

    assert shown["released"] is False
    assert shown["reason"] == "results are released only after the check-in closes"
    assert [question["suppressed"] for question in shown["questions"]] == [True] * 4
    assert all("counts" not in question for question in shown["questions"])
    text = succeeded(cedp_bot, "pulse", "results", str(checkin_id))
    assert "No results are shown: results are released only after the check-in closes." in text


def test_after_close_with_under_5_respondents_everything_is_suppressed(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    checkin_id = closed_with(cedp_bot, database_url, tmp_path, 4)

    shown = _results(cedp_bot, checkin_id)

    assert (shown["respondents"], shown["released"]) == (4, False)
    assert shown["reason"] == "fewer than 5 people answered, so no results are shown"
    assert all(question == question | {"suppressed": True} for question in shown["questions"])
    assert all(
        set(question) == {"id", "text", "kind", "suppressed"} for question in shown["questions"]
    )


def test_after_close_with_5_respondents_counts_and_the_mean_are_released(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    checkin_id = closed_with(cedp_bot, database_url, tmp_path, 5)

    shown = _results(cedp_bot, checkin_id)

    assert (shown["respondents"], shown["released"], shown["reason"]) == (5, True, "")
    wellbeing, isolated, need, comment = shown["questions"]
    assert wellbeing == {
        "id": "wellbeing",
        "text": "How are you finding the role this month?",
        "kind": "scale",
        "suppressed": False,
        "answered": 5,
        "counts": {"1": 0, "2": 0, "3": 0, "4": 5, "5": 0},
        "mean": 4.0,
        "breakdown": [],
        "trend": [
            {
                "checkin": checkin_id,
                "title": "December check-in",
                "closes": wellbeing["trend"][0]["closes"],
                "suppressed": False,
                "counts": {"1": 0, "2": 0, "3": 0, "4": 5, "5": 0},
                "mean": 4.0,
            }
        ],
    }
    assert (isolated["counts"], "mean" in isolated) == ({"yes": 0, "no": 5}, False)
    assert need["counts"] == {
        "Coaching": 0,
        "Peer support": 5,
        "Skills courses": 0,
        "Nothing right now": 0,
    }
    assert comment == comment | {"kind": "text", "suppressed": True}  # under 8 respondents
    text = succeeded(cedp_bot, "pulse", "results", str(checkin_id))
    assert "5 answers, mean 4.0 of 5" in text and "4 Good: 5 (100%)" in text


# Who may see results


@pytest.mark.parametrize("role", [Role.MEMBER, Role.COACH])
def test_someone_not_staff_is_refused_and_no_file_is_written(
    cedp_bot: Cli, database_url: str, tmp_path: Path, role: Role
) -> None:
    checkin_id = closed_with(cedp_bot, database_url, tmp_path, 5)
    [viewer] = people(database_url, 1, role=role)
    folder = tmp_path / "results"
    folder.mkdir()
    chart, table = folder / "chart.png", folder / "table.csv"

    for extra in ([], ["--json"], ["--png", str(chart), "--csv", str(table)]):
        err = refused(cedp_bot, "pulse", "results", str(checkin_id), "--as", str(viewer.id), *extra)

        assert err == "cedp-bot: Only programme staff can see check-in results."
    assert list(folder.iterdir()) == []  # not even a file half written


def test_viewing_as_nobody_is_refused_like_a_member(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    checkin_id = closed_with(cedp_bot, database_url, tmp_path, 5)

    err = refused(cedp_bot, "pulse", "results", str(checkin_id), "--as", "999")

    assert err == "cedp-bot: Only programme staff can see check-in results."


def test_a_staff_member_may_see_the_results(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    checkin_id = closed_with(cedp_bot, database_url, tmp_path, 5)
    [staff] = people(database_url, 1, role=Role.STAFF)

    shown = _results(cedp_bot, checkin_id, "--as", str(staff.id))

    assert shown["released"] is True
    assert shown == _results(cedp_bot, checkin_id)  # as the operator at the terminal sees them


def test_results_of_no_such_check_in_and_bad_ids_are_one_line(cedp_bot: Cli) -> None:
    assert refused(cedp_bot, "pulse", "results", "42") == (
        "cedp-bot: There is no check-in with id 42."
    )
    assert "must be a whole number" in refused(cedp_bot, "pulse", "results", "latest")
