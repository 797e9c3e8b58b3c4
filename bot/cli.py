"""`cedp-bot`: the command line, assembled from the commands each part registers
(bot/core_cli.py and every capability's handlers/<capability>_cli.py; see bot/commandline.py).

Whatever goes wrong that the operator can act on (a refused request, a database or platform out
of reach, a bad setting, a closed pipe) ends as one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot import core_cli
from bot.adapters.errors import PlatformSetupError
from bot.commandline import Chosen, CliCommands, CommandFailed, Invocation, assemble, chosen
from bot.logs import configure_logging
from bot.settings import Settings
from domain.errors import Refusal
from handlers import all_cli_commands
from knowledge.base import KnowledgeError
from storage.database import DatabaseUnavailable

# Raised for the operator: the message is the whole story.
SHOWN_AS_ONE_LINE = (CommandFailed, Refusal, DatabaseUnavailable, PlatformSetupError)


def every_command() -> list[CliCommands]:
    """The core's commands and every capability's, in the order `cedp-bot --help` lists them."""
    return [core_cli.cli, *all_cli_commands()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cedp-bot", description="The CEDP information line and assistant."
    )
    assemble(parser, every_command())
    return parser


def _settings_problems(error: ValidationError) -> str:
    """One line per bad setting, named as the environment names it."""
    return "\n".join(
        f"cedp-bot: setting {'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in error.errors()
    )


def _quiet_broken_pipe() -> int:
    """The reader went away (`cedp-bot ... | head -1`): stop without a word, as the Python docs
    advise, pointing stdout at devnull so the final flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def _run(command: Chosen, settings: Settings) -> int:
    code = asyncio.run(command.run(Invocation(settings, sys.stdin, sys.stdout, sys.stderr)))
    sys.stdout.flush()  # a closed pipe shows here, inside the handlers below, not at exit
    return code


def main(argv: Sequence[str] | None = None) -> int:
    command = chosen(build_parser().parse_args(argv))
    try:
        settings = Settings()
    except ValidationError as error:
        print(_settings_problems(error), file=sys.stderr)
        return 2
    configure_logging(
        settings.log_level if command.command.server else "WARNING", settings.secrets()
    )
    try:
        return _run(command, settings)
    except SHOWN_AS_ONE_LINE as error:
        print(f"cedp-bot: {error}", file=sys.stderr)
    except KnowledgeError as error:
        print(f"cedp-bot: the knowledge base has problems:\n{error}", file=sys.stderr)
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
