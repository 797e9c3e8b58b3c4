"""Retention: how long each kind of record that grows with use is kept once it has served, and
the one sweep that purges what is older. The scheduled job (handlers/retention_jobs.py) and
`cedp-bot db purge` both run `purge`, so the rules are the same whoever applies them.

Each rule deletes by an indexed column; running it again purges nothing more, and two workers
running it at once delete each row once. A record still in use is never purged, however old: an
open team question, an open or accepted introduction, a delivery not yet handled or with replies
still to send, a broadcast row still pending.

What is not purged here, and why, is listed in the README's "Retention" section: chat
transcripts are never stored; the audit trail and the consent record are kept as evidence;
check-in answers are linked to nobody; accepted introductions, bookings and profiles last as long
as the member (erasure removes them); outbox messages and finished jobs are deleted once done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.settings import Settings
from storage.repositories import Repositories
from storage.throttle import RATE_WINDOW

SWEEP = "retention:sweep"  # the job kind that runs `purge` every CEDP_RETENTION_SWEEP_MINUTES


@dataclass(frozen=True, slots=True)
class Rule:
    """One kind of record: how long it is kept after the moment its repository counts from,
    and the repository's purge of everything older."""

    what: str
    kept_for: Callable[[Settings], timedelta]
    purge: Callable[[Repositories, datetime], Awaitable[int]]


RULES = (
    Rule(
        "answered team questions",
        lambda settings: timedelta(days=settings.retention_team_question_days),
        lambda repos, before: repos.team_questions.purge_answered(before),
    ),
    Rule(
        "closed introduction requests",
        lambda settings: timedelta(days=settings.retention_intro_request_days),
        lambda repos, before: repos.intros.purge_closed(before),
    ),
    Rule(
        "expired conversation states",
        lambda settings: timedelta(hours=settings.retention_conversation_hours),
        lambda repos, before: repos.conversations.purge_expired(before),
    ),
    Rule(
        "processed delivery ids",
        lambda settings: timedelta(hours=settings.retention_delivery_id_hours),
        lambda repos, before: repos.inbox.purge_done(before),
    ),
    Rule(
        "logged questions",
        lambda settings: timedelta(days=settings.retention_asked_question_days),
        lambda repos, before: repos.faq.purge_asked(before),
    ),
    Rule(
        "candidate phrasings",
        lambda settings: timedelta(days=settings.retention_candidate_days),
        lambda repos, before: repos.candidates.purge_created(before),
    ),
    Rule(
        "broadcast recipients and answers",
        lambda settings: timedelta(days=settings.retention_broadcast_days),
        lambda repos, before: repos.broadcasts.purge_sent(before),
    ),
    # These are of no use once over, so they go at the first sweep after.
    Rule(
        "expired link codes",
        lambda settings: timedelta(0),
        lambda repos, before: repos.link_codes.purge_expired(before),
    ),
    Rule(
        "expired console sign-in links",
        lambda settings: timedelta(0),
        lambda repos, before: repos.console.purge_sign_ins(before),
    ),
    Rule(
        "ended console sessions",
        lambda settings: timedelta(hours=settings.console_session_hours),
        lambda repos, before: repos.console.purge_sessions(before),
    ),
    Rule(
        "used console form tokens",
        lambda settings: timedelta(hours=settings.console_session_hours),
        lambda repos, before: repos.console.purge_submissions(before),
    ),
    Rule(
        "rate-limit windows",
        lambda settings: RATE_WINDOW,
        lambda repos, before: repos.throttle.purge_windows(before),
    ),
)


async def purge(repos: Repositories, settings: Settings, now: datetime) -> dict[str, int]:
    """Apply every rule in the caller's transaction; how many records each purged, by `what`."""
    return {rule.what: await rule.purge(repos, now - rule.kept_for(settings)) for rule in RULES}


def summary(purged: dict[str, int]) -> str:
    """The counts in one line (`3 answered team questions, 0 ...`): numbers only, no names."""
    return ", ".join(f"{count} {what}" for what, count in purged.items())
