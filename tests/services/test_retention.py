"""The retention sweep applies every period from the settings in one unit of work, says how much
each rule purged, and purges nothing more when run again."""

from __future__ import annotations

from datetime import timedelta

from bot.settings import Settings
from domain.people import Role
from services import retention
from storage.faq import Outcome
from storage.repositories import Repositories
from tests.services.conftest import NOW, Unit

EVERY_RULE = [
    "answered team questions",
    "closed introduction requests",
    "expired conversation states",
    "processed delivery ids",
    "logged questions",
    "candidate phrasings",
    "broadcast recipients and answers",
    "expired link codes",
    "expired console sign-in links",
    "ended console sessions",
    "used console form tokens",
    "rate-limit windows",
]


async def _answered(repos: Repositories, days_ago: float) -> None:
    row = await repos.team_questions.create(
        question="Can I bring my deputy?",
        platform="test",
        recipient_id="alice",
        asker_name="Alice Jones",
        now=NOW - timedelta(days=400),
    )
    await repos.team_questions.answer(row.id, "Yes.", NOW - timedelta(days=days_ago))


async def _seed(repos: Repositories) -> None:
    for days_ago in (91, 89):
        await _answered(repos, days_ago)
        await repos.faq.record(
            "Where is the venue?", Outcome.DECLINED, None, NOW - timedelta(days=days_ago)
        )
    assert await repos.throttle.first_delivery("telegram", "1", NOW - timedelta(hours=49))
    assert await repos.throttle.first_delivery("telegram", "2", NOW - timedelta(hours=47))
    for ago in (11, 9):  # a console link lives ten minutes; a session ten idle hours
        staff = await repos.members.create(
            display_name=f"Staff {ago}", role=Role.STAFF, tags=(), now=NOW
        )
        sent_at = NOW - timedelta(minutes=ago)
        await repos.console.add_sign_in(f"link-{ago}", staff.id, sent_at + timedelta(minutes=10))
        await repos.console.add_session(
            f"session-{ago}", staff.id, "form", NOW - timedelta(hours=ago)
        )
        assert await repos.console.first_submission(f"once-{ago}", NOW - timedelta(hours=ago))


async def test_each_rule_purges_by_its_own_period_from_the_settings(unit: Unit) -> None:
    await unit(_seed)

    purged = await unit(lambda repos: retention.purge(repos, Settings(), NOW))

    assert list(purged) == EVERY_RULE
    assert purged["answered team questions"] == 1  # 90 days from the answer
    assert purged["processed delivery ids"] == 1  # 48 hours from handling
    assert purged["logged questions"] == 0  # kept a year
    assert purged["expired console sign-in links"] == 1
    assert purged["ended console sessions"] == 1  # CEDP_CONSOLE_SESSION_HOURS from last use
    assert purged["used console form tokens"] == 1  # as long: older forms are refused anyway
    assert sum(purged.values()) == 5


async def test_shorter_periods_in_the_settings_purge_more(unit: Unit) -> None:
    await unit(_seed)
    shorter = Settings(
        CEDP_RETENTION_TEAM_QUESTION_DAYS=30,
        CEDP_RETENTION_ASKED_QUESTION_DAYS=30,
        CEDP_RETENTION_DELIVERY_ID_HOURS=24,
    )

    purged = await unit(lambda repos: retention.purge(repos, shorter, NOW))

    assert purged["answered team questions"] == 2
    assert purged["logged questions"] == 2
    assert purged["processed delivery ids"] == 2


async def test_a_second_sweep_finds_nothing_more_to_purge(unit: Unit) -> None:
    await unit(_seed)
    await unit(lambda repos: retention.purge(repos, Settings(), NOW))

    again = await unit(lambda repos: retention.purge(repos, Settings(), NOW))

    assert again == dict.fromkeys(EVERY_RULE, 0)


def test_the_summary_is_counts_and_kinds_only() -> None:
    assert retention.summary({"answered team questions": 3, "expired link codes": 0}) == (
        "3 answered team questions, 0 expired link codes"
    )
