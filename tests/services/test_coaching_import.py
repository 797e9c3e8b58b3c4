"""Reading a coaches file: each value as the text it is written as, defaults for what is left
out, and normalised forms, so an export reads back the same."""

from __future__ import annotations

import pytest

from domain.coaching import CoachKind, SessionFormat
from services.coaching_import import CoachEntry, ImportRefused, read_coaches


def test_what_is_left_out_or_given_empty_takes_the_programme_defaults() -> None:
    (entry,) = read_coaches("- name: Sam Lee\n  bio:\n  account: ~\n", "c.yaml")

    assert entry == CoachEntry(name="Sam Lee", source="c.yaml", line=1)
    assert (entry.kind, entry.format, entry.timezone) == (
        CoachKind.COACH,
        SessionFormat.VIDEO,
        "Europe/London",
    )
    assert (entry.session_minutes, entry.buffer_minutes) == (60, 15)
    assert (entry.notice_hours, entry.horizon_weeks) == (24, 8)


def test_values_stay_text_and_are_written_the_way_the_export_writes_them() -> None:
    (entry,) = read_coaches(
        "- name: 'No'\n  bio: yes\n  kind: Mentor\n  format: In  Person\n"
        "  timezone: europe/london\n  weekly: [Mon 09:00-12:00]\n  exceptions: [2026-12-25]\n",
        "c.yaml",
    )

    assert (entry.name, entry.bio) == ("No", "yes")
    assert (entry.kind, entry.format) == (CoachKind.MENTOR, SessionFormat.IN_PERSON)
    assert entry.timezone == "Europe/London"
    assert (entry.weekly, entry.exceptions) == (("mon 09:00-12:00",), ("2026-12-25",))


def test_an_item_of_a_block_list_is_reported_at_its_own_line() -> None:
    text = "- name: Sam Lee\n  specialisms:\n    - finance\n    - finance\n"

    with pytest.raises(ImportRefused) as refused:
        read_coaches(text, "c.yaml")

    assert refused.value.problems == [
        "c.yaml:4: entry 'Sam Lee': specialisms: 'finance' is listed twice"
    ]


def test_an_empty_file_has_no_coaches() -> None:
    assert read_coaches("", "c.yaml") == []
    assert read_coaches("[]\n", "c.yaml") == []
