"""The command-line registry: a capability declares its commands, `assemble` only puts them
together, and a command gets typed values by name, never the argparse Namespace."""

from __future__ import annotations

import argparse
import io

import pytest

from bot.cli import build_parser
from bot.commandline import (
    CliCommands,
    Desk,
    Invocation,
    argument,
    assemble,
    chosen,
    parsed_by,
)
from bot.parsing import whole_number
from bot.settings import Settings
from domain.errors import Refusal
from domain.people import Role
from services.members import list_members


def _parser(*registered: CliCommands) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="test")
    assemble(parser, registered)
    return parser


def _invocation(settings: Settings) -> tuple[Invocation, io.StringIO]:
    out = io.StringIO()
    return Invocation(settings, io.StringIO(), out, io.StringIO()), out


async def test_a_group_declared_by_a_capability_runs_with_its_values_by_name() -> None:
    cli = CliCommands()
    greetings = cli.group("greet", help="say hello")
    received: dict[str, object] = {}

    @greetings.tool(
        "person",
        argument("name", metavar="NAME", help="who"),
        argument("--times", type=parsed_by(whole_number(1, 3)), default=1, metavar="N", help="n"),
        help="greet one person",
    )
    async def person(invocation: Invocation, *, name: str, times: int) -> int:
        received.update(name=name, times=times)
        return 7

    command = chosen(_parser(cli).parse_args(["greet", "person", "Ada", "--times", "2"]))

    assert command.values == {"name": "Ada", "times": 2}
    assert await command.run(_invocation(Settings())[0]) == 7
    assert received == {"name": "Ada", "times": 2}


def test_top_level_commands_and_groups_of_several_modules_are_all_assembled() -> None:
    first, second = CliCommands(), CliCommands()

    @first.tool("alone", help="a command of its own")
    async def alone(invocation: Invocation) -> int:
        return 0

    second.group("pair", help="a group").tool("one", help="first")(alone)

    parser = _parser(first, second)

    assert chosen(parser.parse_args(["alone"])).command.name == "alone"
    assert chosen(parser.parse_args(["pair", "one"])).command.name == "one"


def test_a_group_within_a_group_runs_its_own_commands() -> None:
    cli = CliCommands()
    intros = cli.group("intros", help="outer")

    @intros.tool("stats", help="beside the inner group")
    async def stats(invocation: Invocation) -> int:
        return 0

    rounds = intros.group("round", help="inner")
    rounds.tool("stop", argument("n", metavar="N", help="n"), help="stop")(stats)

    parser = _parser(cli)

    assert chosen(parser.parse_args(["intros", "stats"])).command.name == "stats"
    stop = chosen(parser.parse_args(["intros", "round", "stop", "4"]))
    assert (stop.command.name, stop.values) == ("stop", {"n": "4"})
    with pytest.raises(SystemExit):
        parser.parse_args(["intros", "round"])


def test_two_capabilities_cannot_claim_one_command_name() -> None:
    first, second = CliCommands(), CliCommands()
    first.group("kb", help="one")
    second.group("kb", help="the other")

    with pytest.raises(argparse.ArgumentError, match="conflicting subparser: kb"):
        _parser(first, second)


def test_a_bad_value_is_refused_with_the_parsers_own_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli = CliCommands()

    @cli.tool(
        "count",
        argument("n", type=parsed_by(whole_number(1, 9)), metavar="N", help="n"),
        help="count",
    )
    async def count(invocation: Invocation, *, n: int) -> int:
        return 0

    with pytest.raises(SystemExit):
        _parser(cli).parse_args(["count", "10"])

    assert "argument N: must be a whole number from 1 to 9" in capsys.readouterr().err


async def test_a_desk_command_prints_its_lines_and_its_work_is_committed(
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url, semantic="off")
    cli = CliCommands()
    people = cli.group("people", help="people")

    @people.command("add", argument("name", metavar="NAME", help="who"), help="add one")
    async def add(desk: Desk, *, name: str) -> list[str]:
        member = await desk.repos.members.create(
            display_name=name, role=Role.MEMBER, tags=(), now=desk.now
        )
        return [f"added {member.display_name}", "done"]

    @people.command("names", help="list them")
    async def names(desk: Desk) -> list[str]:
        return [member.display_name for member in await list_members(desk.repos)]

    parser = _parser(cli)
    invocation, out = _invocation(settings)
    assert await chosen(parser.parse_args(["people", "add", "Ada"])).run(invocation) == 0
    assert out.getvalue() == "added Ada\ndone\n"

    invocation, out = _invocation(settings)
    await chosen(parser.parse_args(["people", "names"])).run(invocation)
    assert out.getvalue() == "Ada\n"


async def test_a_refused_desk_command_prints_nothing_and_changes_nothing(
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url, semantic="off")
    cli = CliCommands()

    @cli.command("half", help="writes, then refuses")
    async def half(desk: Desk) -> list[str]:
        await desk.repos.members.create(display_name="Ada", role=Role.STAFF, tags=(), now=desk.now)
        raise Refusal("not today")

    @cli.command("names", help="list them")
    async def names(desk: Desk) -> list[str]:
        return [member.display_name for member in await list_members(desk.repos)]

    parser = _parser(cli)
    invocation, out = _invocation(settings)
    with pytest.raises(Refusal, match="not today"):
        await chosen(parser.parse_args(["half"])).run(invocation)
    assert out.getvalue() == ""

    invocation, out = _invocation(settings)
    await chosen(parser.parse_args(["names"])).run(invocation)
    assert (
        out.getvalue() == ""
    )  # nobody: the write was rolled back (and nothing to list prints nothing)


def _options(parser: argparse.ArgumentParser, path: str = "cedp-bot"):
    """Every option and positional of every command, with the command it belongs to."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def test_every_option_of_cedp_bot_says_what_it_takes() -> None:
    options = list(_options(build_parser()))

    assert len(options) > 20
    for command, action in options:
        assert action.help, f"{command} {action.dest} has no help"
        if action.nargs != 0:  # takes a value: the metavar shows what to type
            assert action.metavar, f"{command} {action.dest} has no metavar"
