"""The registry behind `cedp-bot`: each capability declares its own sub-commands, as it declares
its router, and `bot.cli.build_parser` only assembles them.

A module exposes `cli = CliCommands()`, opens groups on it (`invites = cli.group("invites",
help=...)`) and declares commands with a decorator and their arguments:

    @invites.command("revoke", argument("code", metavar="CODE", help="..."), help="...")
    async def revoke(desk: Desk, *, code: str) -> list[str]: ...

- `command`: staff work on the database. The function gets a `Desk` (repositories bound to one
  transaction, the time, the settings) and returns the lines to print. The transaction commits
  when it returns and rolls back when it raises.
- `tool`: a command that manages its own resources (the server, the terminal chat, migrations,
  knowledge base files). The function gets the `Invocation` and returns the exit code.

Each gets its parsed arguments as keyword arguments named by their argparse `dest`: no
argparse.Namespace reaches a capability. What they raise for the operator (a `Refusal`,
`CommandFailed`) becomes one line on stderr in `bot.cli.main`.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO, TypeAlias, TypeVar

from bot.context import utc_now
from bot.settings import Settings
from storage.database import Database
from storage.migrate import upgrade_database
from storage.repositories import Repositories

Function = TypeVar("Function", bound=Callable[..., Awaitable[Any]])
Runner = Callable[["Invocation", Mapping[str, Any]], Awaitable[int]]

_CHOSEN = "_cedp_command"  # where argparse keeps the chosen command in its namespace


class CommandFailed(Exception):
    """A command could not do what was asked; the message is shown to the operator as it is."""


@dataclass(frozen=True, slots=True)
class Invocation:
    """What every command runs with: the settings and the terminal's streams."""

    settings: Settings
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO


@dataclass(frozen=True, slots=True)
class Desk:
    """A staff command's unit of work: repositories bound to one transaction, and the time."""

    repos: Repositories
    now: datetime
    settings: Settings


@dataclass(frozen=True, slots=True)
class Argument:
    """One `add_argument` call: its flags (or positional name) and argparse options."""

    flags: tuple[str, ...]
    options: Mapping[str, Any]


def argument(*flags: str, **options: Any) -> Argument:
    """Declare an argument as `ArgumentParser.add_argument` takes it; give every one a `help`
    and, when it takes a value, a `metavar` that shows what to type."""
    return Argument(flags, options)


def parsed_by(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse `type` that shows the parser's own ValueError message for a bad value."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


def read_text_file(path: Path) -> str:
    """A UTF-8 file the operator named, or one `CommandFailed` that says why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandFailed(
            f"cannot read {path}: {getattr(error, 'strerror', None) or error}"
        ) from None


@dataclass(frozen=True, slots=True)
class Command:
    """A leaf of the command line: what `cedp-bot [GROUP] NAME ...` runs."""

    name: str
    help: str
    arguments: tuple[Argument, ...]
    run: Runner
    server: bool = False  # logs at CEDP_LOG_LEVEL; other commands only warn, to keep output clean


@dataclass(frozen=True, slots=True)
class Chosen:
    """The command the command line names, with its arguments' values by name."""

    command: Command
    values: Mapping[str, Any]

    async def run(self, invocation: Invocation) -> int:
        return await self.command.run(invocation, self.values)


@asynccontextmanager
async def open_database(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Database]:
    """The configured database, reached (or one clear `DatabaseUnavailable`) and migrated."""
    database = Database(settings.database_url)
    try:
        await database.reach()
        if migrate:
            await upgrade_database(database.engine)
        yield database
    finally:
        await database.dispose()


async def _on_desk(
    invocation: Invocation, work: Callable[[Desk], Awaitable[list[str]]]
) -> list[str]:
    async with (
        open_database(invocation.settings) as database,
        database.transaction() as session,
    ):
        return await work(Desk(Repositories.bound_to(session), utc_now(), invocation.settings))


class _Commands:
    """Commands declared by decorators, and groups of sub-commands, in the order declared."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.groups: list[CommandGroup] = []

    def group(self, name: str, *, help: str) -> CommandGroup:
        """Open a group of sub-commands: `cedp-bot [PARENT] NAME SUB-COMMAND ...`."""
        group = CommandGroup(name, help=help)
        self.groups.append(group)
        return group

    def command(self, name: str, *arguments: Argument, help: str) -> Callable[[Function], Function]:
        """Declare a staff command on the database: `async def f(desk, **values) -> lines`."""

        def register(function: Function) -> Function:
            async def run(invocation: Invocation, values: Mapping[str, Any]) -> int:
                lines = await _on_desk(invocation, lambda desk: function(desk, **values))
                if lines:  # nothing to list prints nothing: JSON lines stay parseable
                    print("\n".join(lines), file=invocation.stdout)
                return 0

            self.commands.append(Command(name, help, arguments, run))
            return function

        return register

    def tool(
        self, name: str, *arguments: Argument, help: str, server: bool = False
    ) -> Callable[[Function], Function]:
        """Declare a command that manages its own resources:
        `async def f(invocation, **values) -> exit code`."""

        def register(function: Function) -> Function:
            async def run(invocation: Invocation, values: Mapping[str, Any]) -> int:
                return int(await function(invocation, **values))

            self.commands.append(Command(name, help, arguments, run, server))
            return function

        return register


class CommandGroup(_Commands):
    """`cedp-bot NAME SUB-COMMAND ...`: a named set of sub-commands."""

    def __init__(self, name: str, *, help: str) -> None:
        super().__init__()
        self.name = name
        self.help = help


class CliCommands(_Commands):
    """What one module adds to `cedp-bot`: commands of its own and groups of sub-commands."""


Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_command(commands: Subcommands, command: Command) -> None:
    parser = commands.add_parser(command.name, help=command.help, description=command.help)
    dests = [parser.add_argument(*a.flags, **a.options).dest for a in command.arguments]
    parser.set_defaults(**{_CHOSEN: (command, dests)})


def _subcommands(parser: argparse.ArgumentParser, name: str, path: str) -> Subcommands:
    return parser.add_subparsers(
        dest=f"{path}{name}_command", required=True, metavar=f"{name.upper()}_COMMAND"
    )


def _add_all(commands: Subcommands, registered: _Commands, path: str) -> None:
    for command in registered.commands:
        _add_command(commands, command)
    for group in registered.groups:
        sub = _subcommands(commands.add_parser(group.name, help=group.help), group.name, path)
        _add_all(sub, group, f"{path}{group.name}_")


def assemble(parser: argparse.ArgumentParser, everything: Iterable[CliCommands]) -> None:
    """Add every module's commands and groups (groups within groups too) to `parser`; a name
    claimed twice is an error."""
    top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for registered in everything:
        _add_all(top, registered, "")


def chosen(namespace: argparse.Namespace) -> Chosen:
    """The command argparse picked, with its arguments' values: the end of the Namespace."""
    command, dests = getattr(namespace, _CHOSEN)
    return Chosen(command, {dest: getattr(namespace, dest) for dest in dests})
