"""The installed `cedp-bot` console script, driven as an operator would drive it from a shell.

Every command runs as a real subprocess against a SQLite file of its own and the shipped
knowledge base, so these tests cover the entry point, argument parsing and exit codes too.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core import Bot
from bot.scheduler import DueJob, JobContext, JobFailed, JobKinds
from bot.settings import Settings
from storage.repositories import Repositories

CEDP_BOT = Path(sys.executable).parent / "cedp-bot"
FAQ_EVAL = Path(__file__).resolve().parents[3] / "shared" / "faq-eval"
CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = os.environ.copy()
    env["CEDP_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cedp.db'}"
    env.pop("CEDP_KNOWLEDGE_PATH", None)
    env["CEDP_SEMANTIC"] = "off"  # lexical and deterministic; tests/knowledge/test_semantic.py
    return env


@pytest.fixture
def cedp_bot(cli_env: dict[str, str], tmp_path: Path) -> Run:
    """Run `cedp-bot ARGS...`; whatever happens, no stack trace may reach the operator."""

    def run(*args: str, input: str = "") -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(CEDP_BOT), *args],
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=cli_env,
            cwd=tmp_path,  # no stray .env file from the working directory
            timeout=60,
        )
        assert "Traceback" not in result.stdout, result.stdout
        assert "Traceback" not in result.stderr, result.stderr
        return result

    return run


def _new_code(cedp_bot: Run, *options: str) -> str:
    created = cedp_bot("invites", "create", *options)
    assert created.returncode == 0, created.stderr
    code = created.stdout.splitlines()[0]
    assert CODE.match(code), created.stdout
    return code


def _transcript(stdout: str) -> tuple[str, list[tuple[str, str]]]:
    """The greeting, then (what was typed, what the bot said) for every line of input."""
    greeting, *turns = stdout.split("you> ")
    pairs = []
    for turn in turns:
        typed, _, reply = turn.partition("\n")
        assert reply.startswith("bot> "), turn[:200]
        pairs.append((typed, reply))
    return greeting, pairs


def _rows(stdout: str) -> list[list[str]]:
    """Tab-separated rows of a listing, without its header."""
    return [line.split("\t") for line in stdout.splitlines()[1:]]


# chat


def test_a_piped_terminal_script_is_answered_line_by_line_past_the_rate_limit(
    cedp_bot: Run,
) -> None:
    """The terminal is one local person at a keyboard: nothing to throttle (platforms are)."""
    typed = [f"/frobnicate{number}" for number in range(30)]  # the limit is 20 a minute

    result = cedp_bot("chat", "--user", "alice", input="\n".join(typed) + "\n")

    assert result.returncode == 0, result.stderr
    _, turns = _transcript(result.stdout)
    assert [reply for _, reply in turns] == [
        f"bot> I don't know /frobnicate{number}. Send /help to see the commands I understand.\n\n"
        for number in range(30)
    ]


def test_a_whole_terminal_conversation_from_greeting_to_membership(cedp_bot: Run) -> None:
    code = _new_code(
        cedp_bot, "--role", "member", "--tags", "new-ceo", "--uses", "1", "--expires", "14d"
    )
    typed = [
        "1",
        "what is the CEDP",
        "/join",
        code,
        "/me",
        "/frobnicate",
        "",
        "x" * 20_000,
    ]

    result = cedp_bot("chat", "--user", "alice", "--name", "Alice", input="\n".join(typed) + "\n")

    assert result.returncode == 0, result.stderr
    greeting, turns = _transcript(result.stdout)
    assert greeting.startswith("bot> Hello, Alice!")
    assert "1. Help" in greeting and "2. Join" in greeting
    assert [line for line, _ in turns] == typed
    names = ["menu", "faq", "join", "code", "me", "unknown", "empty", "long"]
    replies = dict(zip(names, turns, strict=True))
    assert replies["menu"][1].startswith("bot> Here's what I can do")
    assert "Chief Executive Development Programme (CEDP)" in replies["faq"][1]
    assert "invite code" in replies["join"][1]
    assert "Welcome to the programme, Alice! You've joined as a member." in replies["code"][1]
    assert "Role: member" in replies["me"][1] and "Tags: new-ceo" in replies["me"][1]
    assert "I don't know /frobnicate" in replies["unknown"][1]
    assert "I didn't catch a question" in replies["empty"][1]
    assert "too long" in replies["long"][1] and "20,000 characters" in replies["long"][1]


def test_chat_with_no_input_greets_and_exits_cleanly(cedp_bot: Run) -> None:
    result = cedp_bot("chat", "--user", "bob")

    assert result.returncode == 0, result.stderr
    greeting, turns = _transcript(result.stdout)
    assert greeting.startswith("bot> Hello, bob!")
    assert turns == []


# ask


def test_ask_json_answers_each_line_in_order_with_one_object_per_line(cedp_bot: Run) -> None:
    lines = ["what is the CEDP", json.dumps({"q": "who runs the programme"}), "", "zxqv wplk"]

    result = cedp_bot("ask", "--json", input="\n".join(lines) + "\n")

    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["q"] for r in records] == [
        "what is the CEDP",
        "who runs the programme",
        "",
        "zxqv wplk",
    ]
    for record in records:
        assert set(record) == {"q", "id", "score", "answer", "candidates"}
        assert isinstance(record["score"], int | float)
        for candidate in record["candidates"]:
            assert set(candidate) == {"id", "score"}
    assert records[0]["id"] == "programme-what-is"
    assert "Chief Executive Development Programme" in records[0]["answer"]
    assert records[1]["id"] == "programme-who-runs"
    for unanswerable in (records[2], records[3]):
        assert unanswerable["id"] is None and unanswerable["answer"] is None


def test_ask_json_treats_a_line_that_is_not_valid_json_as_the_question(cedp_bot: Run) -> None:
    result = cedp_bot("ask", "--json", input='{"q": broken\n')

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["q"] == '{"q": broken'


@pytest.mark.skipif(not FAQ_EVAL.exists(), reason="the shared FAQ evaluation set is not here")
def test_ask_uses_another_knowledge_base_given_with_kb(cedp_bot: Run) -> None:
    queries = [
        json.loads(line)
        for line in (FAQ_EVAL / "dev_queries.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    close_wording = next(q for q in queries if q["q"] == "what actually is the CEDP")

    result = cedp_bot(
        "ask", "--json", "--kb", str(FAQ_EVAL / "knowledge.yaml"), input=close_wording["q"] + "\n"
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == close_wording["id"]


def test_ask_without_json_prints_every_question_and_its_outcome(cedp_bot: Run) -> None:
    result = cedp_bot("ask", input="what is the CEDP\nzxqv wplk\n")

    assert result.returncode == 0, result.stderr
    assert "Q: what is the CEDP" in result.stdout
    assert "programme-what-is" in result.stdout
    assert "Q: zxqv wplk" in result.stdout
    assert "not answered confidently" in result.stdout


# kb check


def test_kb_check_passes_the_shipped_knowledge_base(cedp_bot: Run) -> None:
    result = cedp_bot("kb", "check")

    assert result.returncode == 0, result.stderr
    assert "no problems" in result.stdout


def test_kb_check_names_every_file_entry_and_problem(cedp_bot: Run, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    first, second, broken = kb / "a.yaml", kb / "b.yaml", kb / "c.yaml"
    first.write_text(
        "- id: shared\n  question: What is shared?\n  answer: Something shared.\n"
        "- id: no-answer\n  question: Where is the answer?\n  follow_ups: [shared]\n",
        encoding="utf-8",
    )
    second.write_text(
        "- id: shared\n  question: Shared again?\n  answer: A duplicate.\n"
        "- id: dangling\n  question: Who follows?\n  answer: Nobody.\n  follow_ups: [nowhere]\n",
        encoding="utf-8",
    )
    broken.write_text(
        "- id: broken\n  question: Is this fine?\n  answer: no: a colon here\n", encoding="utf-8"
    )

    result = cedp_bot("kb", "check", str(kb))

    assert result.returncode == 1
    lines = result.stderr.splitlines()

    def reported(*parts: str) -> bool:
        return any(all(part in line for part in parts) for line in lines)

    assert reported(str(first), "no-answer", "missing answer"), result.stderr
    assert reported(str(second), "shared", "duplicate id", str(first)), result.stderr
    assert reported(str(second), "dangling", "unknown follow-up", "nowhere"), result.stderr
    assert reported(str(broken), "not valid YAML", "line 3"), result.stderr


# db


def test_db_upgrade_brings_the_schema_to_the_newest_revision_and_may_be_repeated(
    cedp_bot: Run,
) -> None:
    revision = re.compile(r"revision (\S+) \(newest: (\S+)\)")
    before = cedp_bot("db", "current")
    assert before.returncode == 0, before.stderr
    assert "revision none" in before.stdout

    for _ in range(2):
        upgraded = cedp_bot("db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr

    current = cedp_bot("db", "current")
    assert current.returncode == 0, current.stderr
    found = revision.search(current.stdout)
    assert found is not None, current.stdout
    assert found.group(1) == found.group(2) != "none"


# invites


def test_invites_are_created_listed_and_revoked(cedp_bot: Run) -> None:
    code = _new_code(cedp_bot, "--role", "coach", "--tags", "london,new-ceo", "--expires", "2w")

    listed = cedp_bot("invites", "list")
    assert listed.returncode == 0, listed.stderr
    assert [code, "coach", "london,new-ceo", "0/1"] in [row[:4] for row in _rows(listed.stdout)]
    assert _rows(listed.stdout)[0][-1] == "open"

    revoked = cedp_bot("invites", "revoke", code)
    assert revoked.returncode == 0, revoked.stderr
    assert _rows(cedp_bot("invites", "list").stdout)[0][-1] == "revoked"


def test_an_invite_without_expiry_never_expires(cedp_bot: Run) -> None:
    created = cedp_bot("invites", "create", "--role", "staff", "--uses", "5")

    assert created.returncode == 0, created.stderr
    assert "uses 5; expires never" in created.stdout


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--role", "wizard", "'wizard' is not a role"),
        ("--expires", "5x", "'5x' is not a duration"),
        ("--tags", "Bad Tag!", "is not a valid tag"),
    ],
)
def test_bad_invite_values_are_refused_with_a_clear_message(
    cedp_bot: Run, option: str, value: str, message: str
) -> None:
    arguments = {"--role": "member", option: value}
    flat = [part for pair in arguments.items() for part in pair]

    result = cedp_bot("invites", "create", *flat)

    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_revoking_an_unknown_invite_fails(cedp_bot: Run) -> None:
    result = cedp_bot("invites", "revoke", "NOPE")

    assert result.returncode == 1
    assert "no invite with code NOPE" in result.stderr


# members


def test_members_are_added_listed_changed_and_removed(cedp_bot: Run) -> None:
    added = cedp_bot(
        "members", "add", "--name", "Pat", "--role", "staff", "--tags", "north-west",
        "--identity", "console:pat",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    pat = added.stdout.split("\t")[0]
    assert added.stdout.strip().split("\t") == [pat, "Pat", "staff", "north-west", "console:pat"]
    quinn = cedp_bot("members", "add", "--name", "Quinn", "--role", "member")
    assert quinn.returncode == 0, quinn.stderr

    def names(*filters: str) -> list[str]:
        listed = cedp_bot("members", "list", *filters)
        assert listed.returncode == 0, listed.stderr
        return [row[1] for row in _rows(listed.stdout)]

    assert names() == ["Pat", "Quinn"]
    assert names("--role", "staff") == ["Pat"]
    assert names("--tag", "north-west") == ["Pat"]

    promoted = cedp_bot("members", "set-role", pat, "coach")
    assert promoted.returncode == 0, promoted.stderr
    assert names("--role", "coach") == ["Pat"] and names("--role", "staff") == []

    tagged = cedp_bot("members", "tag", pat, "--add", "london", "--remove", "north-west")
    assert tagged.returncode == 0, tagged.stderr
    assert tagged.stdout.split("\t")[3] == "london"
    assert names("--tag", "london") == ["Pat"] and names("--tag", "north-west") == []

    removed = cedp_bot("members", "remove", pat)
    assert removed.returncode == 0, removed.stderr
    assert names() == ["Quinn"]


@pytest.mark.parametrize(
    "command",
    [("remove", "999"), ("set-role", "999", "coach"), ("tag", "999", "--add", "london")],
)
def test_an_unknown_member_id_fails_with_a_message(cedp_bot: Run, command: tuple[str, ...]) -> None:
    result = cedp_bot("members", *command)

    assert result.returncode == 1
    assert "no member with id 999" in result.stderr


def test_an_identity_cannot_belong_to_two_members(cedp_bot: Run) -> None:
    first = cedp_bot(
        "members", "add", "--name", "Pat", "--role", "staff", "--identity", "console:pat"
    )
    assert first.returncode == 0, first.stderr

    second = cedp_bot(
        "members", "add", "--name", "Imposter", "--role", "member", "--identity", "console:pat"
    )

    assert second.returncode == 1
    assert "console:pat already belongs to a member" in second.stderr
    listed = cedp_bot("members", "list")
    assert [row[1] for row in _rows(listed.stdout)] == ["Pat"]


# jobs


def _fail_a_job_for_good(database_url: str) -> None:
    """A worker runs a job that fails its only try; another job waits for tomorrow."""
    kinds = JobKinds("cli-test")

    @kinds.kind("broken")
    async def broken(job: DueJob, ctx: JobContext) -> None:
        raise JobFailed("booking 12 no longer exists")

    async def work() -> None:
        settings = Settings(database_url=database_url, semantic="off")
        bot = await Bot.start(settings, job_kinds=[kinds])
        try:
            async with bot.services.database.transaction() as session:
                jobs, now = Repositories.bound_to(session).jobs, bot.services.clock()
                await jobs.schedule("broken", {}, now, "broken-1", max_attempts=1)
                await jobs.schedule("reminder", {}, now + timedelta(days=1), "reminder-1")
            assert await bot.scheduler.run_due() == 0
        finally:
            await bot.close()

    asyncio.run(work())


def test_jobs_list_shows_waiting_and_dead_jobs_and_with_dead_only_those(
    cedp_bot: Run, cli_env: dict[str, str]
) -> None:
    assert cedp_bot("jobs", "list").stdout == "No jobs.\n"
    _fail_a_job_for_good(cli_env["CEDP_DATABASE_URL"])

    everything = cedp_bot("jobs", "list")
    dead = cedp_bot("jobs", "list", "--dead")

    assert everything.returncode == dead.returncode == 0
    assert dead.stdout.splitlines()[0] == "id\tkind\tdue\tattempts\tstate\tlast error"
    [row] = _rows(dead.stdout)
    assert row[:2] == ["1", "broken"] and row[3:] == ["1/1", "dead", "booking 12 no longer exists"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[2])
    assert [(r[1], r[3], r[4], r[5]) for r in _rows(everything.stdout)] == [
        ("broken", "1/1", "dead", "booking 12 no longer exists"),
        ("reminder", "0/5", "pending", "-"),
    ]


# serve


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_serve_answers_health_readiness_and_metrics_and_stops_on_sigterm(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(CEDP_BOT), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=cli_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        status = None
        while status != 200:
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "/healthz did not answer within 20 s"
            try:
                status, _ = _get(f"{base}/healthz")
            except OSError:
                time.sleep(0.1)  # not listening yet

        assert _get(f"{base}/readyz")[0] == 200
        metrics_status, metrics = _get(f"{base}/metrics")
        assert metrics_status == 200 and "cedp_messages_in" in metrics

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
        _, stderr = server.communicate()
        assert "Traceback" not in stderr, stderr
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


# argparse behaviour


def test_no_command_prints_usage_and_exits_2(cedp_bot: Run) -> None:
    result = cedp_bot()

    assert result.returncode == 2
    assert "usage: cedp-bot" in result.stderr


def test_help_lists_every_command_and_exits_0(cedp_bot: Run) -> None:
    result = cedp_bot("--help")

    assert result.returncode == 0
    for command in ("chat", "serve", "ask", "kb", "db", "invites", "members"):
        assert command in result.stdout


def test_kb_eval_reports_right_wrong_unanswered_top3_and_refusals(
    cedp_bot: Run, tmp_path: Path
) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        '{"q": "how do I join the programme", "id": "join-how"}\n{"q": "zxqv wplk", "id": null}\n',
        encoding="utf-8",
    )
    result = cedp_bot("kb", "eval", str(queries))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("in-scope answered right") and "1 / 1" in lines[0]
    assert lines[4].startswith("out-of-scope refused") and "1 / 1" in lines[4]


def test_kb_eval_refuses_a_malformed_queries_file(cedp_bot: Run, tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"q": "fine", "id": null}\nnot json\n', encoding="utf-8")
    result = cedp_bot("kb", "eval", str(queries))
    assert result.returncode == 1
    assert "queries.jsonl:2: not a" in result.stderr


def test_the_team_answers_a_handed_over_question_from_the_terminal(cedp_bot: Run) -> None:
    chat = cedp_bot("chat", "--user", "alice", "--name", "Alice", input="can I bring my dog?\n1\n")
    assert "passed your question to the programme team" in chat.stdout
    listed = cedp_bot("kb", "unanswered")
    assert "1\t" in listed.stdout and "Alice\tcan I bring my dog?" in listed.stdout

    answered = cedp_bot(
        "kb", "answer", "1", "A test phrase; ignore it.", "--alternate-of", "bot-what"
    )
    assert answered.returncode == 0
    assert (
        "answered #1" in answered.stdout and "added as a way of asking bot-what" in answered.stdout
    )
    again = cedp_bot("kb", "answer", "1", "twice?")
    assert again.returncode == 1 and "already answered" in again.stderr
    missing = cedp_bot("kb", "answer", "99", "who?")
    assert missing.returncode == 1 and "no question #99" in missing.stderr

    later = cedp_bot("chat", "--user", "alice", input="")
    assert "The programme team has answered your question «can I bring my dog?»" in later.stdout
    assert "No questions are waiting" in cedp_bot("kb", "unanswered").stdout
    report = cedp_bot("kb", "report")
    assert "1 × not answered: «can I bring my dog?»" in report.stdout


def test_kb_answer_refuses_an_unknown_entry_and_sends_nothing(cedp_bot: Run) -> None:
    cedp_bot("chat", "--user", "alice", input="can I bring my dog?\n1\n")
    result = cedp_bot("kb", "answer", "1", "Hello.", "--alternate-of", "no-such-entry")
    assert result.returncode == 1 and "no entry 'no-such-entry'" in result.stderr
    assert "1\t" in cedp_bot("kb", "unanswered").stdout  # rolled back: still waiting


# rough edges: every failure the operator can act on is one line, never a traceback


def _closed_port_url(password: str = "") -> str:
    credentials = f"postgres:{password}" if password else "postgres"
    return f"postgresql+asyncpg://{credentials}@127.0.0.1:{_free_port()}/nope"


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_number_of_uses_out_of_range_is_refused_in_one_line(cedp_bot: Run) -> None:
    for uses in ("0", "10001", "-3", "many", "9" * 40):
        result = cedp_bot("invites", "create", "--role", "member", "--uses", uses)

        assert result.returncode == 2
        assert "argument --uses: must be a whole number from 1 to 10000" in result.stderr
        assert len(result.stderr) < 500, result.stderr
        assert result.stdout == ""


def test_an_id_too_large_for_the_database_is_refused_by_the_parser(cedp_bot: Run) -> None:
    result = cedp_bot("members", "remove", "99999999999999999999")

    assert result.returncode == 2
    assert "argument ID: must be a whole number from 1 to 2147483647" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("invites", "list"),
        ("invites", "create", "--role", "member"),
        ("members", "list"),
        ("kb", "unanswered"),
        ("db", "current"),
        ("db", "upgrade"),
        ("chat", "--user", "alice"),
        ("serve",),  # the database is reached before the port is bound
    ],
    ids=" ".join,
)
def test_an_unreachable_database_is_one_line_naming_it_without_its_password(
    cedp_bot: Run, cli_env: dict[str, str], command: tuple[str, ...]
) -> None:
    cli_env["CEDP_DATABASE_URL"] = _closed_port_url(password="s3cret")

    result = cedp_bot(*command)

    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]  # serve may log its start first
    assert line.startswith("cedp-bot: cannot reach the database at postgresql+asyncpg://"), line
    assert "/nope: " in line and "Connect call failed" in line
    assert "s3cret" not in result.stderr
    assert result.stdout == ""


def test_a_sqlite_file_that_cannot_be_opened_is_one_line(
    cedp_bot: Run, cli_env: dict[str, str], tmp_path: Path
) -> None:
    cli_env["CEDP_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'cedp.db'}"

    result = cedp_bot("members", "list")

    assert result.returncode == 1
    assert _one_line(result.stderr).endswith("missing/cedp.db: unable to open database file")


def _telegram_out_of_reach(cli_env: dict[str, str]) -> None:
    cli_env.update(
        TELEGRAM_BOT_TOKEN="123456:not-a-real-token",
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{_free_port()}/bot",
        TELEGRAM_WEBHOOK_URL="https://example.invalid/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET="s",
    )


def test_setting_the_webhook_without_a_network_is_one_line(
    cedp_bot: Run, cli_env: dict[str, str]
) -> None:
    _telegram_out_of_reach(cli_env)

    result = cedp_bot("telegram", "set-webhook")

    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert line.startswith("cedp-bot: cannot reach Telegram at http://127.0.0.1:"), line
    assert "not-a-real-token" not in line


def test_serve_that_cannot_reach_telegram_stops_with_one_line(
    cedp_bot: Run, cli_env: dict[str, str]
) -> None:
    _telegram_out_of_reach(cli_env)

    result = cedp_bot("serve", "--port", str(_free_port()))

    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("cedp-bot: cannot reach Telegram at http://127.0.0.1:"), result.stderr
    assert "not-a-real-token" not in result.stderr
    assert "Unclosed" not in result.stderr  # the half-started adapter was shut down


def test_serve_on_a_port_in_use_is_one_line(cedp_bot: Run) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = cedp_bot("serve", "--port", str(port))

    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"cedp-bot: cannot listen on 127.0.0.1:{port}: "), result.stderr


def test_a_bad_setting_is_named_in_one_line(cedp_bot: Run, cli_env: dict[str, str]) -> None:
    cli_env["CEDP_RATE_LIMIT_PER_MINUTE"] = "0"

    result = cedp_bot("invites", "list")

    assert result.returncode == 2
    assert _one_line(result.stderr).startswith("cedp-bot: setting CEDP_RATE_LIMIT_PER_MINUTE: ")


@pytest.mark.parametrize(
    ("command", "stdin"),
    [
        (("invites", "create", "--role", "member"), ""),
        (("invites", "list"), ""),
        (("ask",), "what is the CEDP\n" * 200),
        (("kb", "check"), ""),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else "",
)
def test_a_reader_that_went_away_ends_the_command_quietly(
    cli_env: dict[str, str], tmp_path: Path, command: tuple[str, ...], stdin: str
) -> None:
    """`cedp-bot ... | head -1`: the pipe is closed before the command writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [str(CEDP_BOT), *command],
            input=stdin.encode(),
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=cli_env,
            cwd=tmp_path,
            timeout=60,
        )
    finally:
        os.close(write_end)

    assert result.returncode == 1
    assert result.stderr.decode() == ""


def test_option_help_says_what_each_option_takes_and_its_allowed_values(cedp_bot: Run) -> None:
    create = cedp_bot("invites", "create", "--help").stdout
    add = cedp_bot("members", "add", "--help").stdout
    listing = cedp_bot("members", "list", "--help").stdout

    assert "--role {member,coach,staff}" in create
    assert "--tags TAG,TAG" in create
    assert "--uses N" in create and "1 to 10000" in create
    assert "--expires DURATION" in create and "e.g. 14d, 12h, 2w" in create
    assert "--identity PLATFORM:ID" in add and "telegram:12345" in add
    assert "--role {member,coach,staff}" in listing and "--tag TAG" in listing
