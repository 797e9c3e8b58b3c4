"""What a database administrator finds after a check-in, on both databases: every table read
whole, as `SELECT *` shows it. No row links an answer to a member, and the order of the answer
rows says nothing about the order people answered in."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from typing import Any

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.exc import OperationalError

from bot.settings import Settings
from domain.people import OPERATOR, MemberRef, Role
from domain.pulse import Definition, Question, QuestionKind
from services import pulse
from storage.database import Database
from storage.members import to_ref
from storage.repositories import Repositories
from tests.conftest import unit

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
NAMES = (
    "Priya Shah",
    "Tom Okafor",
    "Sarah Jones",
    "Ade Brown",
    "Hannah Patel",
    "Oliver Wright",
    "Grace Evans",
    "James Hughes",
    "Amira Khan",
    "David Clarke",
    "Ruth Green",
    "Leo Turner",
)
WELLBEING = Question(
    "wellbeing",
    "How are you finding the role this month?",
    QuestionKind.SCALE,
    ("Very hard", "Hard", "Manageable", "Good", "Very good"),
)
ISOLATED = Question("isolated", "Have you felt isolated in the last month?", QuestionKind.YESNO)
COMMENT = Question("comment", "Anything else?", QuestionKind.TEXT)
ANSWER_COLUMNS = {"id", "checkin_id", "position", "breakdown_group", "value", "comment"}
PARTICIPANT_COLUMNS = {
    "checkin_id",
    "member_id",
    "next_position",
    "answered",
    "finished",
    "sent",
    "reminded",
}
DATE_SHAPED = re.compile(r"\d{4}-\d{2}-\d{2}")
TRIALS = 20
# With TRIALS random orders of 12 the mean Kendall tau has a standard deviation of 0.049; a
# bound of 0.3 is more than 6 of them (a false failure far under one in a million), while the
# order answers came in (tau 1), or its reverse, is far outside it.
MEAN_TAU_BOUND = 0.3


def _settings(database: Database) -> Settings:
    return Settings(
        database_url=database.engine.url.render_as_string(hide_password=False),
        semantic="off",
        checkin_hours="always",
        quiet_hours="off",
    )


async def _members(database: Database) -> list[MemberRef]:
    """Twelve members, each with a Telegram account, half of them new in post."""

    async def add(repos: Repositories) -> list[MemberRef]:
        made = []
        for n, name in enumerate(NAMES):
            member = await repos.members.create(
                display_name=name,
                role=Role.MEMBER,
                tags=["new-ceo"] if n % 2 else [],
                now=NOW,
                identity=("telegram", f"tg-{731_000 + n}"),
            )
            made.append(to_ref(member))
        return made

    return await unit(database, add)


async def _open(database: Database, questions: Sequence[Question]) -> int:
    definition = Definition(
        "December check-in",
        NOW,
        NOW + timedelta(days=7),
        tuple(questions),
        breakdown=("new-ceo",),
    )
    checkin = await unit(database, lambda r: pulse.create(r, definition, NOW, OPERATOR))
    await unit(database, lambda r: pulse.open_checkin(r, checkin.id, NOW, _settings(database)))
    return checkin.id


async def _answer(
    database: Database, member: MemberRef, checkin_id: int, position: int, value: int | None
) -> None:
    await unit(database, lambda r: pulse.answer(r, member, checkin_id, position, value, NOW))


async def _comment(
    database: Database, member: MemberRef, checkin_id: int, position: int, said: str
) -> None:
    await unit(
        database,
        lambda r: pulse.answer(r, member, checkin_id, position, None, NOW, comment=said),
    )


async def _every_table(database: Database) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Each table of the database (reflected, not taken from our models) with its columns and
    its rows as `SELECT *` returns them."""
    metadata = MetaData()
    async with database.engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        found = {}
        for name in metadata.tables:
            result = await connection.execute(text(f'SELECT * FROM "{name}"'))
            found[name] = (list(result.keys()), [tuple(row) for row in result])
    return found


def _marker(n: int) -> str:
    return f"note-{n:02d}"


async def test_no_table_links_an_answer_to_a_member(database: Database) -> None:
    members = await _members(database)
    checkin_id = await _open(database, (WELLBEING, ISOLATED, COMMENT))
    for n, member in enumerate(members):
        await _answer(database, member, checkin_id, 0, n % 5 + 1)
        await _answer(database, member, checkin_id, 1, n % 2)
        said = f"{_marker(n)}: ask {NAMES[n - 1]} to help"
        await _comment(database, member, checkin_id, 2, said)

    tables = await _every_table(database)
    people = [*NAMES, *(part for name in NAMES for part in name.split())]
    accounts = [f"tg-{731_000 + n}" for n in range(len(NAMES))]

    columns, answers = tables["pulse_answers"]
    assert set(columns) == ANSWER_COLUMNS
    assert len(answers) == 3 * len(members)
    for row in answers:
        for cell in row:
            assert not isinstance(cell, datetime | date)
            shown = str(cell)
            assert not DATE_SHAPED.search(shown)
            assert not any(word in shown for word in [*people, *accounts]), row

    participant_columns, participants = tables["pulse_participants"]
    assert set(participant_columns) == PARTICIPANT_COLUMNS
    assert len(participants) == len(members)

    markers = [_marker(n) for n in range(len(members))]
    for name, (_, rows) in tables.items():
        for row in rows:
            if any(marker in str(cell) for cell in row for marker in markers):
                assert name == "pulse_answers", f"a comment is kept in {name}: {row}"


async def test_only_the_checkin_links_answers_to_anything(database: Database) -> None:
    metadata = MetaData()
    async with database.engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
    answers = metadata.tables["pulse_answers"]
    assert {key.column.table.name for key in answers.foreign_keys} == {"pulse_checkins"}
    pointing_at_answers = [
        table.name
        for table in metadata.tables.values()
        for key in table.foreign_keys
        if key.column.table.name == "pulse_answers"
    ]
    assert pointing_at_answers == []


def _kendall_tau(order: Sequence[int]) -> float:
    """Rank correlation of `order` with 0, 1, 2, ...: 1 when sorted, -1 when reversed."""
    pairs = list(combinations(order, 2))
    return sum(1 if a < b else -1 for a, b in pairs) / len(pairs)


async def test_the_order_of_answer_rows_says_nothing_about_who_answered_first(
    database: Database,
) -> None:
    """Twelve people comment one after another, "order-00" first; over TRIALS check-ins the
    rows of `SELECT * FROM pulse_answers` (no ORDER BY) are never in that order and are not
    correlated with it."""
    members = await _members(database)
    opened = []
    for _ in range(TRIALS):
        checkin_id = await _open(database, (COMMENT,))
        for n, member in enumerate(members):
            await _comment(database, member, checkin_id, 0, f"order-{n:02d}")
        opened.append(checkin_id)

    columns, rows = (await _every_table(database))["pulse_answers"]
    seen: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        answer = dict(zip(columns, row, strict=True))
        seen[answer["checkin_id"]].append(int(answer["comment"].removeprefix("order-")))
    in_order = list(range(len(members)))
    taus = []
    for checkin_id in opened:
        assert sorted(seen[checkin_id]) == in_order
        assert seen[checkin_id] not in (in_order, in_order[::-1])
        taus.append(_kendall_tau(seen[checkin_id]))
    assert abs(sum(taus) / len(taus)) < MEAN_TAU_BOUND, taus


async def test_sqlite_keeps_no_rowid_for_answers(database: Database) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's hidden rowid")
    async with database.engine.connect() as connection:
        with pytest.raises(OperationalError, match="rowid"):
            await connection.execute(text("SELECT rowid FROM pulse_answers"))


async def test_postgresql_row_versions_do_not_single_out_the_last_answer(
    database: Database,
) -> None:
    """Every answer rewrites its question's rows, so all of them carry the transaction of the
    latest answer (`xmin`): none is marked as the one that arrived last."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's row versions")
    members = await _members(database)
    checkin_id = await _open(database, (WELLBEING, ISOLATED, COMMENT))
    for n, member in enumerate(members):
        await _answer(database, member, checkin_id, 0, n % 5 + 1)
    async with database.engine.connect() as connection:
        versions = (
            await connection.execute(
                text("SELECT DISTINCT xmin::text FROM pulse_answers WHERE checkin_id = :id"),
                {"id": checkin_id},
            )
        ).all()
    assert len(versions) == 1
