"""Check-in definitions in YAML: the issue's example reads as written, and every problem names
the file and the line to fix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.pulse import Question, QuestionKind
from services.pulse_file import EXAMPLE, DefinitionRefused, read_definition

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SOURCE = "december.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(DefinitionRefused) as refused:
        read_definition(text, SOURCE, NOW)
    assert str(refused.value).startswith("no check-in was created")
    return refused.value.problems


def changed(old: str, new: str) -> str:
    assert old in EXAMPLE
    return EXAMPLE.replace(old, new)


def test_the_example_of_the_issue_reads_as_written() -> None:
    definition = read_definition(EXAMPLE, SOURCE, NOW)
    assert definition.title == "December check-in"
    assert definition.segment == ("new-ceo",)
    assert definition.breakdown == ()
    assert definition.opens == datetime(2026, 12, 7, 9, tzinfo=UTC)
    assert definition.closes == datetime(2026, 12, 14, 17, tzinfo=UTC)
    assert definition.questions == (
        Question(
            "wellbeing",
            "How are you finding the role this month?",
            QuestionKind.SCALE,
            ("Very hard", "Hard", "Manageable", "Good", "Very good"),
        ),
        Question("isolated", "Have you felt isolated in the last month?", QuestionKind.YESNO),
        Question(
            "need",
            "What would help you most right now?",
            QuestionKind.CHOICE,
            ("Coaching", "Peer support", "Skills courses", "Nothing right now"),
        ),
        Question(
            "comment", "Anything else you would like the programme to know?", QuestionKind.TEXT
        ),
    )


def test_no_segment_means_every_member_and_a_breakdown_may_be_declared() -> None:
    text = changed("segment: [new-ceo]", "breakdown: [new-ceo, london]\nanonymous: true")
    definition = read_definition(text, SOURCE, NOW)
    assert definition.segment == ()
    assert definition.breakdown == ("new-ceo", "london")


def test_times_without_an_offset_are_uk_time() -> None:
    """7 July is summer time: 09:00 in London is 08:00 UTC."""
    text = changed("2026-12-07T09:00+00:00", "2027-07-07T09:00").replace(
        "2026-12-14T17:00+00:00", "2027-07-14 17:00"
    )
    definition = read_definition(text, SOURCE, NOW)
    assert definition.opens == datetime(2027, 7, 7, 8, tzinfo=UTC)
    assert definition.closes == datetime(2027, 7, 14, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        (changed("kind: yesno", "kind: [yesno"), 13, "not valid YAML"),  # where reading stopped
        (changed("title: December check-in", "title: December\nfrequency: weekly"), 2, "unknown"),
        (changed("    kind: yesno", "    kind: yesno\n    colour: red"), 13, "unknown key"),
        (changed("Good, Very good]", "Good]"), 9, "5 labels"),
        (changed("    kind: yesno", "    kind: yesno\n    labels: [A, B]"), 13, "labels are only"),
        (
            changed(
                "options: [Coaching, Peer support, Skills courses, Nothing right now]",
                "options: [Coaching]",
            ),
            16,
            "2 to 8 options",
        ),
        (changed("  - id: isolated", "  - id: wellbeing"), 10, "also used at line 6"),
        (changed("id: need", "id: Need!"), 13, "not a question id"),
        (changed("kind: text ", "kind: essay"), 19, "kind"),
        (changed("closes: 2026-12-14T17:00", "closes: 2026-12-07T08:00"), 4, "after opens"),
        (
            changed("2026-12-07T09", "2026-11-10T09").replace("12-14T17", "11-20T17"),
            4,
            "in the past",
        ),
        (changed("opens: 2026-12-07T09:00+00:00", "opens: next week"), 3, "opens"),
        (changed("segment: [new-ceo]", "anonymous: false"), 2, "always anonymous"),
    ],
)
def test_each_problem_names_the_file_and_its_line(text: str, line: int, says: str) -> None:
    found = problems(text)
    assert len(found) == 1, found
    assert found[0].startswith(f"{SOURCE}:{line}: "), found
    assert says in found[0]


@pytest.mark.parametrize(
    ("drop", "missing"),
    [
        ("title: December check-in\n", "title"),
        ("opens: 2026-12-07T09:00+00:00\n", "opens"),
        ("closes: 2026-12-14T17:00+00:00\n", "closes"),
    ],
)
def test_a_missing_key_is_named(drop: str, missing: str) -> None:
    assert problems(EXAMPLE.replace(drop, "")) == [f"{SOURCE}:1: {missing} is required"]


def test_a_check_in_without_questions_is_refused() -> None:
    head = EXAMPLE[: EXAMPLE.index("questions:")]
    assert problems(head) == [f"{SOURCE}:1: questions is required"]
    assert "at least one question" in problems(head + "questions: []\n")[0]


def test_every_problem_is_reported_at_once() -> None:
    text = changed("kind: yesno", "kind: maybe").replace("id: need", "id: 9need")
    found = problems(text)
    assert [p.split(":")[1] for p in found] == ["12", "13"]


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "hello"])
def test_a_file_that_is_not_a_check_in_says_so(text: str) -> None:
    assert "must be a check-in" in problems(text)[0]
