"""`cedp-bot kb suggestions`, `kb accept N` and `kb export-alternates`: the terminal's side of
learning from use, on the same rules as /learn."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.settings import SHIPPED_KNOWLEDGE
from knowledge.base import check_knowledge
from storage.repositories import Repositories
from tests.handlers.conftest import Cli, in_database, refused, succeeded

QUESTION = "how big is the pot of money"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _asked_by_three(database_url: str, question: str = QUESTION) -> list[int]:
    async def work(repos: Repositories) -> list[int]:
        return [
            await repos.candidates.add("programme-funding", question, f"d{n}", date(2026, 11, 24))
            for n in range(3)
        ]

    return in_database(database_url, work)


def _alternates(database_url: str) -> list[tuple[str, str]]:
    async def work(repos: Repositories) -> list[tuple[str, str]]:
        return [(row.entry_id, row.text) for row in await repos.faq.alternates()]

    return in_database(database_url, work)


def test_suggestions_are_listed_and_one_is_accepted_by_its_number(
    cedp_bot: Cli, database_url: str
) -> None:
    assert succeeded(cedp_bot, "kb", "suggestions").startswith("No phrasings are waiting")
    first, *_ = _asked_by_three(database_url)
    assert succeeded(cedp_bot, "kb", "suggestions") == (
        f"{first}  programme-funding  3  «{QUESTION}»\n"
    )
    out = succeeded(cedp_bot, "kb", "accept", str(first))
    assert out == f"added «{QUESTION}» as a way of asking programme-funding\n"
    assert _alternates(database_url) == [("programme-funding", QUESTION)]
    assert succeeded(cedp_bot, "kb", "suggestions").startswith("No phrasings are waiting")


@pytest.mark.parametrize("number", ["1", "77"])
def test_accepting_a_number_not_waiting_is_refused_in_one_line(
    cedp_bot: Cli, database_url: str, number: str
) -> None:
    assert refused(cedp_bot, "kb", "accept", number) == (
        f"cedp-bot: there is no suggestion {number} waiting (see the current ones)"
    )
    assert "must be a whole number" in refused(cedp_bot, "kb", "accept", "zero")
    assert _alternates(database_url) == []


def test_an_answer_linked_to_an_entry_keeps_its_askers_candidate(
    cedp_bot: Cli, database_url: str
) -> None:
    async def hand_over(repos: Repositories) -> None:
        await repos.team_questions.create(
            question="what is the funding pot",
            platform="test",
            recipient_id="alice",
            asker_name="Alice",
            now=NOW,
        )

    in_database(database_url, hand_over)
    succeeded(cedp_bot, "kb", "answer", "1", "About £1m.", "--alternate-of", "programme-funding")

    async def candidates(repos: Repositories) -> list[tuple[str, str, int]]:
        rows = await repos.candidates.waiting()
        return [(row.entry_id, row.question, len(row.asker_digest)) for row in rows]

    assert in_database(database_url, candidates) == [
        ("programme-funding", "what is the funding pot", 32)
    ]


def test_export_writes_the_alternates_into_the_yaml_once_and_it_still_checks(
    cedp_bot: Cli, database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, folder)
    programme = folder / "programme.yaml"
    before = programme.read_text(encoding="utf-8")

    async def add(repos: Repositories) -> None:
        await repos.faq.add_alternate("programme-funding", QUESTION, NOW)
        await repos.faq.add_alternate("programme-funding", "funding: how much?", NOW)
        await repos.faq.add_alternate("long-gone", "whatever", NOW)

    in_database(database_url, add)
    out = succeeded(cedp_bot, "kb", "export-alternates", "--kb", str(folder))
    assert out.splitlines() == [
        f"programme-funding\t{QUESTION}",
        "programme-funding\tfunding: how much?",
        f"skipped 1 alternate(s) of long-gone: no such entry in {folder}",
        f"2 alternate(s) written ({programme})",
    ]
    after = programme.read_text(encoding="utf-8")
    assert after.count("\n") == before.count("\n") + 2
    assert f"    - {QUESTION}\n    - 'funding: how much?'\n" in after
    assert succeeded(cedp_bot, "kb", "check", str(folder)).endswith("no problems\n")
    entries, _ = check_knowledge(folder)
    funding = next(entry for entry in entries if entry.id == "programme-funding")
    assert funding.alternates[-2:] == (QUESTION, "funding: how much?")

    again = succeeded(cedp_bot, "kb", "export-alternates", "--kb", str(folder))
    assert again.splitlines()[-1] == "0 alternate(s) written (no file changed)"
    assert programme.read_text(encoding="utf-8") == after
    assert len(_alternates(database_url)) == 3  # kept: the bot answering stays as it was


def test_export_refuses_a_knowledge_base_with_problems(cedp_bot: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "kb.yaml"
    broken.write_text("- id: x\n", encoding="utf-8")
    assert "has problems; fix them first" in refused(
        cedp_bot, "kb", "export-alternates", "--kb", str(broken)
    )
    assert broken.read_text(encoding="utf-8") == "- id: x\n"
