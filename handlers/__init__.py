"""One module per capability; each exposes a `router` the core includes, its `JobKinds` when it
has timed work, and, when it has terminal commands, a `cli` in `handlers/<capability>_cli.py`
that `cedp-bot` assembles."""

from __future__ import annotations

from bot.commandline import CliCommands
from bot.router import Router
from bot.scheduler import JobKinds
from handlers import (
    audit_cli,
    broadcasts,
    broadcasts_cli,
    coaching,
    coaching_cli,
    coaching_jobs,
    coaching_time,
    console,
    directory,
    faq,
    faq_cli,
    intros,
    intros_cli,
    intros_jobs,
    learn,
    members,
    members_cli,
    privacy,
    pulse,
    pulse_cli,
    pulse_jobs,
    retention_jobs,
    settings,
    start,
    team,
    team_cli,
)


def all_routers() -> list[Router]:
    """Every capability's router, in the order /help lists their commands."""
    return [
        start.router,
        members.router,
        settings.router,
        coaching.router,
        coaching_time.router,
        directory.router,
        intros.router,
        pulse.router,
        broadcasts.router,
        team.router,
        learn.router,
        console.router,
        privacy.router,
        faq.router,
    ]


def all_job_kinds() -> list[JobKinds]:
    """Every capability's job kinds, which each worker's scheduler runs."""
    return [coaching_jobs.jobs, intros_jobs.jobs, pulse_jobs.jobs, retention_jobs.jobs]


def all_cli_commands() -> list[CliCommands]:
    """Every capability's command-line commands, in the order `cedp-bot --help` lists them."""
    return [
        faq_cli.cli,
        team_cli.cli,
        members_cli.cli,
        broadcasts_cli.cli,
        coaching_cli.cli,
        intros_cli.cli,
        pulse_cli.cli,
        audit_cli.cli,
    ]
