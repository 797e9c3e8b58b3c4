"""`cedp-bot coaching ...` as staff and scripts drive it, through `bot.cli.main` on both
databases: coaches in and out as YAML (idempotent, every problem with its line, all or nothing),
upcoming bookings as JSON lines, and utilisation as counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.context import utc_now
from bot.settings import Settings
from domain.people import Role
from services import coaching
from storage.repositories import Repositories
from tests.handlers.conftest import Cli, in_database, succeeded

# The issue's own example, comments and all, and a mentor left to the defaults.
COACHES = """\
- name: Dr Priya Shah
  kind: coach                 # coach | mentor
  account: telegram:5001      # optional: the coach's platform account; joins or links a member
  specialisms: [finance, leading change]
  format: video               # video | phone | in person
  bio: Former trust chief executive, accredited executive coach.
  timezone: Europe/London
  session_minutes: 60
  buffer_minutes: 15
  notice_hours: 24
  horizon_weeks: 8
  weekly: ["mon 09:00-12:00", "wed 14:00-17:00"]
  exceptions: ["2026-12-25", "2026-12-28 09:00-12:00"]   # a whole day, or a window, taken out
- name: Tom Okafor
  kind: mentor
  format: in person
  weekly:
    - tue 10:00-12:00
"""

TOM_EXPORTED = {
    "name": "Tom Okafor",
    "kind": "mentor",
    "specialisms": [],
    "format": "in person",
    "bio": "",
    "timezone": "Europe/London",
    "session_minutes": 60,
    "buffer_minutes": 15,
    "notice_hours": 24,
    "horizon_weeks": 8,
    "weekly": ["tue 10:00-12:00"],
    "exceptions": [],
}


def _file(tmp_path: Path, text: str, name: str = "coaches.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _members(cedp_bot: Cli) -> list[list[str]]:
    """`members list` rows without the header: id, name, role, tags, accounts."""
    return [row.split("\t") for row in succeeded(cedp_bot, "members", "list").splitlines()[1:]]


def _add_member(database_url: str, name: str, role: Role, account: tuple[str, str]) -> None:
    async def add(repos: Repositories) -> None:
        await repos.members.create(
            display_name=name, role=role, tags=(), now=utc_now(), identity=account
        )

    in_database(database_url, add)


def test_import_adds_every_coach_and_export_gives_the_same_yaml_back(
    cedp_bot: Cli, tmp_path: Path
) -> None:
    imported = succeeded(cedp_bot, "coaching", "import", _file(tmp_path, COACHES))

    assert imported.splitlines() == [
        "added\tDr Priya Shah",
        "added\tTom Okafor",
        "2 added, 0 updated, 0 unchanged",
    ]
    exported = succeeded(cedp_bot, "coaching", "export")
    assert yaml.safe_load(exported) == [
        {
            "name": "Dr Priya Shah",
            "kind": "coach",
            "account": "telegram:5001",
            "specialisms": ["finance", "leading change"],
            "format": "video",
            "bio": "Former trust chief executive, accredited executive coach.",
            "timezone": "Europe/London",
            "session_minutes": 60,
            "buffer_minutes": 15,
            "notice_hours": 24,
            "horizon_weeks": 8,
            "weekly": ["mon 09:00-12:00", "wed 14:00-17:00"],
            "exceptions": ["2026-12-25", "2026-12-28 09:00-12:00"],
        },
        TOM_EXPORTED,  # the defaults written out; no account, so no `account` key
    ]
    again = succeeded(cedp_bot, "coaching", "import", _file(tmp_path, exported, "exported.yaml"))
    assert again.splitlines()[-1] == "0 added, 0 updated, 2 unchanged"
    assert succeeded(cedp_bot, "coaching", "export") == exported


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    cedp_bot: Cli, tmp_path: Path
) -> None:
    path = _file(tmp_path, COACHES)
    succeeded(cedp_bot, "coaching", "import", path)
    members = _members(cedp_bot)

    second = succeeded(cedp_bot, "coaching", "import", path)

    assert second.splitlines() == [
        "unchanged\tDr Priya Shah",
        "unchanged\tTom Okafor",
        "0 added, 0 updated, 2 unchanged",
    ]
    assert _members(cedp_bot) == members


def test_a_changed_entry_updates_its_coach_and_only_that_one(cedp_bot: Cli, tmp_path: Path) -> None:
    succeeded(cedp_bot, "coaching", "import", _file(tmp_path, COACHES))
    changed = COACHES.replace("session_minutes: 60", "session_minutes: 45").replace(
        '"wed 14:00-17:00"', '"Thu 14:00-17:00"'
    )

    updated = succeeded(cedp_bot, "coaching", "import", _file(tmp_path, changed))

    assert updated.splitlines() == [
        "updated\tDr Priya Shah",
        "unchanged\tTom Okafor",
        "0 added, 1 updated, 1 unchanged",
    ]
    priya = yaml.safe_load(succeeded(cedp_bot, "coaching", "export"))[0]
    assert priya["session_minutes"] == 45
    assert priya["weekly"] == ["mon 09:00-12:00", "thu 14:00-17:00"]  # as the parser writes it
    assert len(_members(cedp_bot)) == 2


def test_an_account_nobody_has_joins_a_new_coach_member_and_no_account_makes_one_without(
    cedp_bot: Cli, tmp_path: Path
) -> None:
    succeeded(cedp_bot, "coaching", "import", _file(tmp_path, COACHES))

    assert [row[1:] for row in _members(cedp_bot)] == [
        ["Dr Priya Shah", "coach", "-", "telegram:5001"],
        ["Tom Okafor", "coach", "-", "-"],
    ]


def test_an_account_a_member_has_links_that_member_as_coach_and_staff_stay_staff(
    cedp_bot: Cli, tmp_path: Path, database_url: str
) -> None:
    _add_member(database_url, "Priya", Role.MEMBER, ("telegram", "5001"))
    _add_member(database_url, "Tom", Role.STAFF, ("slack", "U9"))
    with_tom_on_slack = COACHES.replace("kind: mentor", "kind: mentor\n  account: slack:U9")

    succeeded(cedp_bot, "coaching", "import", _file(tmp_path, with_tom_on_slack))

    assert [row[1:] for row in _members(cedp_bot)] == [
        ["Priya", "coach", "-", "telegram:5001"],
        ["Tom", "staff", "-", "slack:U9"],
    ]
    again = succeeded(cedp_bot, "coaching", "import", _file(tmp_path, with_tom_on_slack))
    assert again.splitlines()[-1] == "0 added, 0 updated, 2 unchanged"


def test_an_account_added_later_is_linked_to_the_coach_it_was_imported_without(
    cedp_bot: Cli, tmp_path: Path
) -> None:
    succeeded(cedp_bot, "coaching", "import", _file(tmp_path, COACHES))
    with_account = COACHES.replace("kind: mentor", "kind: mentor\n  account: telegram:77")

    updated = succeeded(cedp_bot, "coaching", "import", _file(tmp_path, with_account))

    assert "updated\tTom Okafor" in updated.splitlines()
    assert [row[1:] for row in _members(cedp_bot)][1] == ["Tom Okafor", "coach", "-", "telegram:77"]


def test_a_coach_renamed_in_the_file_is_found_by_its_account(cedp_bot: Cli, tmp_path: Path) -> None:
    succeeded(cedp_bot, "coaching", "import", _file(tmp_path, COACHES))

    renamed = succeeded(
        cedp_bot, "coaching", "import", _file(tmp_path, COACHES.replace("Dr Priya", "Prof Priya"))
    )

    assert "updated\tProf Priya Shah" in renamed.splitlines()
    names = [coach["name"] for coach in yaml.safe_load(succeeded(cedp_bot, "coaching", "export"))]
    assert names == ["Prof Priya Shah", "Tom Okafor"]


BAD = """\
- name: Good Coach
  weekly: ["mon 09:00-12:00"]
- name: Dr Priya Shah
  kind: coachh
  colour: blue
  format: by post
  timezone: Europe/Londn
  session_minutes: 5
  horizon_weeks: 80
  weekly:
    - mon 09:00-12:00
    - mo 14:00-17:00
  exceptions: ["2026-13-25"]
- kind: mentor
- name: Short Window
  weekly: ["tue 09:00-09:30"]
- name: good coach
"""


def test_every_problem_is_named_with_file_line_and_entry_and_nothing_is_imported(
    cedp_bot: Cli, tmp_path: Path
) -> None:
    path = _file(tmp_path, BAD)

    refused = cedp_bot("coaching", "import", path)

    assert refused.code == 1
    assert refused.err.splitlines() == [
        "cedp-bot: nothing was imported; 11 problems:",
        f"{path}:4: entry 'Dr Priya Shah': kind: 'coachh' is not one of coach | mentor",
        f"{path}:5: entry 'Dr Priya Shah': unknown key 'colour'; the keys are name, kind, "
        "account, specialisms, format, bio, timezone, session_minutes, buffer_minutes, "
        "notice_hours, horizon_weeks, weekly, exceptions",
        f"{path}:6: entry 'Dr Priya Shah': format: 'by post' is not one of video | phone | "
        "in person",
        f"{path}:7: entry 'Dr Priya Shah': timezone: 'Europe/Londn' is not a time zone: use a "
        "name like Europe/London or Europe/Paris",
        f"{path}:8: entry 'Dr Priya Shah': session_minutes: must be a whole number from 15 to 240",
        f"{path}:9: entry 'Dr Priya Shah': horizon_weeks: must be a whole number from 1 to 52",
        f"{path}:12: entry 'Dr Priya Shah': weekly: 'mo 14:00-17:00' is not a weekly window: "
        'use e.g. "mon 09:00-12:00"',
        f"{path}:13: entry 'Dr Priya Shah': exceptions: '2026-13-25' is not a date",
        f"{path}:14: entry #3: name is required",
        f"{path}:15: entry 'Short Window': weekly window 'tue 09:00-09:30' is shorter than "
        "one session",
        f"{path}:17: entry 'good coach': the name is also given at line 1",
    ]
    assert succeeded(cedp_bot, "coaching", "export") == "[]\n"  # not even the good entry
    assert _members(cedp_bot) == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("- name: X\n  weekly: [mon 09:00-12:00\n", ":3: is not valid YAML"),
        ("name: X\n", ":1: must be a list of coaches"),
        ("- name: X\n  notice_hours: 400\n  horizon_weeks: 2\n", ":1: entry 'X': notice_hours"),
        ("- name: X\n  account: telegram\n", ":2: entry 'X': account: 'telegram' is not"),
        ("- name: X\n  weekly: mon 09:00-12:00\n", ":2: entry 'X': weekly: must be a list"),
        ("- name: X\n  name: Y\n", ":2: entry 'X': name is given twice"),
    ],
)
def test_a_file_that_is_not_a_list_of_good_coaches_is_refused_with_its_line(
    cedp_bot: Cli, tmp_path: Path, text: str, says: str
) -> None:
    path = _file(tmp_path, text)

    refused = cedp_bot("coaching", "import", path)

    assert refused.code == 1
    assert f"{path}{says}" in refused.err


def test_an_account_that_belongs_to_someone_else_than_the_named_coach_is_refused(
    cedp_bot: Cli, tmp_path: Path, database_url: str
) -> None:
    succeeded(cedp_bot, "coaching", "import", _file(tmp_path, COACHES))
    _add_member(database_url, "Alice", Role.MEMBER, ("telegram", "1"))
    exported = succeeded(cedp_bot, "coaching", "export")
    taken = COACHES.replace("kind: mentor", "kind: mentor\n  account: telegram:1").replace(
        "bio: Former", "bio: Once"
    )
    path = _file(tmp_path, taken)

    refused = cedp_bot("coaching", "import", path)

    assert refused.code == 1
    assert refused.err.splitlines()[1:] == [
        f"{path}:14: entry 'Tom Okafor': telegram:1 is the account of member 3 (Alice), "
        "not of coach Tom Okafor"
    ]
    assert succeeded(cedp_bot, "coaching", "export") == exported  # Priya's new bio was not kept


def test_a_file_that_cannot_be_read_is_one_line(cedp_bot: Cli, tmp_path: Path) -> None:
    refused = cedp_bot("coaching", "import", str(tmp_path / "missing.yaml"))

    assert refused.code == 1
    assert (
        refused.err
        == f"cedp-bot: cannot read {tmp_path / 'missing.yaml'}: No such file or directory\n"
    )


WEEK = ", ".join(
    f'"{day} 09:00-17:00"' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)
EVERY_DAY = "".join(
    f"- name: {name}\n  account: telegram:{account}\n  weekly: [{WEEK}]\n"
    for name, account in [("Dr Priya Shah", 5001), ("Tom Okafor", 5002)]
)


@pytest.fixture
def coaches(cedp_bot: Cli, tmp_path: Path, database_url: str) -> None:
    """Two coaches free every day; Alice and Bob, who book them."""
    succeeded(cedp_bot, "coaching", "import", _file(tmp_path, EVERY_DAY))
    _add_member(database_url, "Alice", Role.MEMBER, ("telegram", "1"))
    _add_member(database_url, "Bob", Role.MEMBER, ("slack", "U2"))


def _book(database_url: str, bookings: list[tuple[str, str]]) -> list[datetime]:
    """Book each (member, coach) at the coach's next free slot; the starts, in that order."""
    settings = Settings(database_url=database_url, semantic="off")

    async def book(repos: Repositories) -> list[datetime]:
        now, starts = utc_now(), []
        members = {m.display_name: m for m in await repos.members.list()}
        for member, name in bookings:
            coach = await repos.coaching.coach_named(name)
            assert coach is not None
            slot = (await coaching.free_slots(repos, coach, now))[0]
            await coaching.book(repos, members[member].id, coach.id, slot, now, settings)
            starts.append(slot)
        return starts

    return in_database(database_url, book)


def _cancel_first_of(database_url: str, member: str) -> None:
    settings = Settings(database_url=database_url, semantic="off")

    async def cancel(repos: Repositories) -> None:
        now = utc_now()
        found = next(m for m in await repos.members.list() if m.display_name == member)
        booking = (await repos.coaching.upcoming_of_member(found.id, now))[0]
        await coaching.cancel(repos, found.id, booking.id, now, settings)

    in_database(database_url, cancel)


def _json_lines(cedp_bot: Cli, *options: str) -> list[dict[str, str]]:
    return [
        json.loads(line)
        for line in succeeded(cedp_bot, "coaching", "bookings", "--json", *options).splitlines()
    ]


def test_bookings_json_is_one_object_a_line_with_exactly_coach_member_start_status(
    cedp_bot: Cli, coaches: None, database_url: str
) -> None:
    priya, tom = _book(database_url, [("Alice", "Dr Priya Shah"), ("Bob", "Tom Okafor")])

    listed = _json_lines(cedp_bot)

    assert sorted(listed, key=lambda b: b["coach"]) == [
        {
            "coach": "Dr Priya Shah",
            "member": "Alice",
            "start": priya.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": "booked",
        },
        {
            "coach": "Tom Okafor",
            "member": "Bob",
            "start": tom.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": "booked",
        },
    ]
    starts = [datetime.fromisoformat(b["start"]) for b in listed]
    assert starts == sorted(starts)  # earliest first
    assert all(b["start"].endswith("Z") for b in listed)


def test_bookings_for_one_coach_name_only_theirs_and_an_unknown_name_is_refused(
    cedp_bot: Cli, coaches: None, database_url: str
) -> None:
    _book(database_url, [("Alice", "Dr Priya Shah"), ("Bob", "Tom Okafor")])

    assert [b["member"] for b in _json_lines(cedp_bot, "--coach", "tom okafor")] == ["Bob"]
    table = succeeded(cedp_bot, "coaching", "bookings", "--coach", "Dr Priya Shah").splitlines()
    assert table[0] == "start (UTC)\tcoach\tmember\tstatus"
    assert [row.split("\t")[1:] for row in table[1:]] == [["Dr Priya Shah", "Alice", "booked"]]
    refused = cedp_bot("coaching", "bookings", "--coach", "Nobody")
    assert (refused.code, refused.err) == (1, "cedp-bot: no coach is named 'Nobody'\n")


def test_bookings_json_with_nothing_booked_prints_nothing(cedp_bot: Cli, coaches: None) -> None:
    assert succeeded(cedp_bot, "coaching", "bookings", "--json") == ""


def test_utilisation_counts_booked_and_cancelled_sessions_per_coach_within_the_days(
    cedp_bot: Cli, coaches: None, database_url: str
) -> None:
    _book(
        database_url,
        [("Alice", "Dr Priya Shah"), ("Alice", "Dr Priya Shah"), ("Bob", "Dr Priya Shah")],
    )
    _cancel_first_of(database_url, "Alice")

    assert succeeded(cedp_bot, "coaching", "utilisation").splitlines() == [
        "coach\tkind\tbooked\tcancelled",
        "Dr Priya Shah\tcoach\t2\t1",
        "Tom Okafor\tcoach\t0\t0",
    ]
    # Every session is at least the 24 hours' notice away, so none starts in the next day.
    assert succeeded(cedp_bot, "coaching", "utilisation", "--days", "1").splitlines()[1:] == [
        "Dr Priya Shah\tcoach\t0\t0",
        "Tom Okafor\tcoach\t0\t0",
    ]
    refused = cedp_bot("coaching", "utilisation", "--days", "0")
    assert refused.code == 2
