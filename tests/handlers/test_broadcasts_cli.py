"""`cedp-bot broadcast ...` as staff and scripts drive it, through `bot.cli.main` on both
databases: the id alone on the last line, a preview that asks first, exit codes that say why."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.context import utc_now
from domain.people import Role
from storage.broadcasts import DeliveryStatus, Outcome
from storage.repositories import Repositories
from tests.handlers.conftest import Cli, in_database


@pytest.fixture
def roster(database_url: str) -> None:
    """Alice on Telegram and Bob on Slack, both new chief executives."""

    async def add(repos: Repositories) -> None:
        for name, account in [("Alice", ("telegram", "1")), ("Bob", ("slack", "U2"))]:
            await repos.members.create(
                display_name=name,
                role=Role.MEMBER,
                tags=("new-ceo",),
                now=utc_now(),
                identity=account,
            )

    in_database(database_url, add)


@pytest.fixture
def message(tmp_path: Path) -> str:
    path = tmp_path / "message.txt"
    path.write_text("The open space event is on 7 December.\n", encoding="utf-8")
    return str(path)


def _status(cedp_bot: Cli, broadcast_id: str) -> dict[str, object]:
    shown = cedp_bot("broadcast", "status", broadcast_id, "--json")
    assert shown.code == 0, shown.err
    return json.loads(shown.out)


def _send(cedp_bot: Cli, message: str, *options: str) -> str:
    sent = cedp_bot("broadcast", "send", "--text-file", message, *options, "--yes")
    assert sent.code == 0, sent.err
    return sent.out.splitlines()[-1]


def test_send_with_yes_schedules_at_once_and_prints_the_id_alone_last(
    cedp_bot: Cli, roster: None, message: str
) -> None:
    sent = cedp_bot(
        "broadcast", "send", "--text-file", message, "--choices", "Attend|Not this time", "--yes"
    )

    assert sent.code == 0, sent.err
    assert "Recipients: 2 members; it goes to 2." in sent.out
    assert "The open space event is on 7 December." in sent.out  # the preview
    assert sent.out.splitlines()[-1] == "1"
    assert _status(cedp_bot, "1") == {
        "recipients": 2,
        "pending": 2,
        "sent": 0,
        "failed": 0,
        "excluded": 0,
        "choices": {"Attend": 0, "Not this time": 0},
    }


def test_without_yes_it_asks_and_sends_nothing_unless_told_yes(
    cedp_bot: Cli, roster: None, message: str
) -> None:
    refused = cedp_bot("broadcast", "send", "--text-file", message, input="n\n")

    assert refused.code == 1
    assert "Send it? [y/N]" in refused.out
    assert refused.err.strip() == "cedp-bot: not sent"
    assert cedp_bot("broadcast", "list").out.splitlines()[1:] == []

    agreed = cedp_bot(
        "broadcast", "send", "--text-file", message, "--platform", "slack", input="y\n"
    )

    assert agreed.code == 0, agreed.err
    assert agreed.out.splitlines()[-1] == "1"
    assert _status(cedp_bot, "1")["pending"] == 1  # Bob, the one on Slack


@pytest.mark.parametrize(
    ("at", "says"),
    [
        ("2020-01-01T09:00+00:00", "2020-01-01 09:00 UTC has passed"),
        ("2026-12-07T09:00", "give the time with its UTC offset"),
        ("next tuesday", "is not a time"),
    ],
)
def test_a_time_in_the_past_or_without_offset_is_refused_as_an_argument(
    cedp_bot: Cli, roster: None, message: str, at: str, says: str
) -> None:
    refused = cedp_bot("broadcast", "send", "--text-file", message, "--at", at, "--yes")

    assert refused.code == 2
    [error] = [line for line in refused.err.splitlines() if "error:" in line]
    assert says in error and "argument --at" in error
    assert refused.out == ""
    assert cedp_bot("broadcast", "list").out.splitlines()[1:] == []


def test_cancelling_leaves_nothing_pending(cedp_bot: Cli, roster: None, message: str) -> None:
    broadcast_id = _send(cedp_bot, message)

    cancelled = cedp_bot("broadcast", "cancel", broadcast_id)

    assert cancelled.code == 0, cancelled.err
    assert cancelled.out.strip() == (
        f"cancelled broadcast {broadcast_id}: 2 pending messages will not be sent"
    )
    assert _status(cedp_bot, broadcast_id)["pending"] == 0
    shown = cedp_bot("broadcast", "status", broadcast_id).out.splitlines()
    assert shown[0] == (
        f"broadcast {broadcast_id} (news, cancelled): 0 recipients (2 more not sent: cancelled)"
    )
    assert "cancelled\t2" in shown
    [row] = [line.split("\t") for line in cedp_bot("broadcast", "list").out.splitlines()[1:]]
    assert (row[0], row[-1]) == (broadcast_id, "cancelled")


def test_resend_failed_sends_again_to_those_it_failed_to_reach(
    cedp_bot: Cli, roster: None, message: str, database_url: str
) -> None:
    broadcast_id = _send(cedp_bot, message)

    async def fail_on_telegram(repos: Repositories) -> None:
        [row] = await repos.broadcasts.claim(
            "telegram", utc_now(), lease=timedelta(minutes=5), limit=10
        )
        failed = Outcome(row.id, DeliveryStatus.FAILED, "gave up after 5 attempts: timed out")
        await repos.broadcasts.record([failed], utc_now())

    in_database(database_url, fail_on_telegram)
    assert _status(cedp_bot, broadcast_id)["failed"] == 1
    problem = "failed\tAlice\ttelegram:1\tgave up after 5 attempts: timed out"
    assert problem in cedp_bot("broadcast", "status", broadcast_id).out.splitlines()

    again = cedp_bot("broadcast", "resend", broadcast_id, "--failed")

    assert again.code == 0, again.err
    assert again.out.strip() == f"broadcast {broadcast_id}: 1 failed deliveries will be sent again"
    after = _status(cedp_bot, broadcast_id)
    assert (after["pending"], after["failed"]) == (2, 0)


@pytest.mark.parametrize(
    "command",
    [("status", "9"), ("status", "9", "--json"), ("cancel", "9"), ("resend", "9", "--failed")],
)
def test_an_unknown_id_is_refused_in_one_line(cedp_bot: Cli, command: tuple[str, ...]) -> None:
    refused = cedp_bot("broadcast", *command)

    assert refused.code == 1
    assert refused.err.splitlines() == ["cedp-bot: no broadcast with id 9"]
    assert refused.out == ""


def test_sending_to_nobody_is_refused_after_the_preview(cedp_bot: Cli, message: str) -> None:
    refused = cedp_bot("broadcast", "send", "--text-file", message, "--yes")

    assert refused.code == 1
    assert refused.err.splitlines() == ["cedp-bot: not sent: nobody is in that segment"]
    assert "Recipients: 0 members" in refused.out
