"""Settings that would make no sense are refused when the bot starts, naming the setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings

RETENTION = [
    "CEDP_RETENTION_TEAM_QUESTION_DAYS",
    "CEDP_RETENTION_INTRO_REQUEST_DAYS",
    "CEDP_RETENTION_CONVERSATION_HOURS",
    "CEDP_RETENTION_DELIVERY_ID_HOURS",
    "CEDP_RETENTION_ASKED_QUESTION_DAYS",
    "CEDP_RETENTION_CANDIDATE_DAYS",
    "CEDP_RETENTION_BROADCAST_DAYS",
    "CEDP_RETENTION_SWEEP_MINUTES",
]


@pytest.mark.parametrize("name", RETENTION)
@pytest.mark.parametrize("value", ["0", "-1", "ninety"])
def test_a_retention_period_of_zero_or_less_or_not_a_number_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    [problem] = refused.value.errors()
    assert problem["loc"] == (name,)


def test_the_retention_defaults_are_the_documented_ones() -> None:
    settings = Settings()
    assert (
        settings.retention_team_question_days,
        settings.retention_intro_request_days,
        settings.retention_conversation_hours,
        settings.retention_delivery_id_hours,
        settings.retention_asked_question_days,
        settings.retention_candidate_days,
        settings.retention_broadcast_days,
        settings.retention_sweep_minutes,
    ) == (90, 90, 24, 48, 365, 365, 365, 60)


@pytest.mark.parametrize(
    "value", ["bot.example.org", "ftp://bot.example.org", "https://", "https://h/?next=1"]
)
def test_a_public_address_that_is_not_an_http_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CEDP_PUBLIC_URL", value)
    with pytest.raises(ValidationError, match="CEDP_PUBLIC_URL"):
        Settings()


def test_the_public_address_is_kept_without_a_trailing_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CEDP_PUBLIC_URL", "https://bot.example.org/cedp/")
    assert Settings().public_url == "https://bot.example.org/cedp"
