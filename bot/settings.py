"""Every setting cedp-bot reads, in one place (documented in the README's configuration table)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.notices import QuietHours, parse_quiet_hours
from domain.pulse import MIN_RESPONDENTS_FLOOR, WorkingHours

MAX_RETENTION_DAYS = 3650  # ten years: past that a period is a mistake, not a policy
SHIPPED_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge" / "content"


class Settings(BaseSettings):
    """Settings from the environment or a `.env` file; names match ../shared/DESIGN.md."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default="sqlite+aiosqlite:///./cedp.db", validation_alias="CEDP_DATABASE_URL"
    )
    knowledge_path: Path = Field(default=SHIPPED_KNOWLEDGE, validation_alias="CEDP_KNOWLEDGE_PATH")
    log_level: str = Field(default="INFO", validation_alias="CEDP_LOG_LEVEL")
    rate_limit_per_minute: int = Field(
        default=20, ge=1, validation_alias="CEDP_RATE_LIMIT_PER_MINUTE"
    )
    conversation_ttl_minutes: int = Field(
        default=30, ge=1, validation_alias="CEDP_CONVERSATION_TTL_MINUTES"
    )
    semantic: Literal["auto", "on", "off"] = Field(default="auto", validation_alias="CEDP_SEMANTIC")
    knowledge_reload_seconds: float = Field(
        default=5.0, ge=0, validation_alias="CEDP_KNOWLEDGE_RELOAD_SECONDS"
    )
    max_message_chars: int = Field(default=4000, ge=100, validation_alias="CEDP_MAX_MESSAGE_CHARS")
    outbox_poll_seconds: float = Field(
        default=2.0, gt=0, validation_alias="CEDP_OUTBOX_POLL_SECONDS"
    )
    inbox_lease_seconds: float = Field(
        default=30.0, ge=0.3, validation_alias="CEDP_INBOX_LEASE_SECONDS"
    )
    broadcast_lease_seconds: float = Field(
        default=60.0, ge=1, validation_alias="CEDP_BROADCAST_LEASE_SECONDS"
    )
    scheduler_poll_seconds: float = Field(
        default=1.0, gt=0, validation_alias="CEDP_SCHEDULER_POLL_SECONDS"
    )
    # Notices other than essential ones wait for the end of these, in each member's time zone.
    quiet_hours: str = Field(default="20:00-08:00", validation_alias="CEDP_QUIET_HOURS")
    # Coaching: how many upcoming sessions a member may hold, and until when before a session
    # they may move or cancel it in chat.
    max_upcoming_sessions: int = Field(
        default=2, ge=1, le=20, validation_alias="CEDP_MAX_UPCOMING_SESSIONS"
    )
    cancellation_notice_hours: int = Field(
        default=12, ge=0, le=24 * 14, validation_alias="CEDP_CANCELLATION_NOTICE_HOURS"
    )
    # Check-ins go out within these hours in each member's zone (`always` for any time), and
    # their results are released only with at least this many respondents.
    checkin_hours: str = Field(default="mon-fri 09:00-17:00", validation_alias="CEDP_CHECKIN_HOURS")
    pulse_min_respondents: int = Field(
        default=5, ge=MIN_RESPONDENTS_FLOOR, le=500, validation_alias="CEDP_PULSE_MIN_RESPONDENTS"
    )
    # Retention (services/retention.py): how long each kind of record outlives its use; the
    # sweep that purges them runs on the job scheduler every CEDP_RETENTION_SWEEP_MINUTES.
    retention_team_question_days: int = Field(
        default=90,
        gt=0,
        le=MAX_RETENTION_DAYS,
        validation_alias="CEDP_RETENTION_TEAM_QUESTION_DAYS",
    )
    retention_intro_request_days: int = Field(
        default=90,
        gt=0,
        le=MAX_RETENTION_DAYS,
        validation_alias="CEDP_RETENTION_INTRO_REQUEST_DAYS",
    )
    retention_conversation_hours: int = Field(
        default=24,
        gt=0,
        le=MAX_RETENTION_DAYS * 24,
        validation_alias="CEDP_RETENTION_CONVERSATION_HOURS",
    )
    retention_delivery_id_hours: int = Field(
        default=48,
        gt=0,
        le=MAX_RETENTION_DAYS * 24,
        validation_alias="CEDP_RETENTION_DELIVERY_ID_HOURS",
    )
    retention_asked_question_days: int = Field(
        default=365,
        gt=0,
        le=MAX_RETENTION_DAYS,
        validation_alias="CEDP_RETENTION_ASKED_QUESTION_DAYS",
    )
    retention_candidate_days: int = Field(
        default=365, gt=0, le=MAX_RETENTION_DAYS, validation_alias="CEDP_RETENTION_CANDIDATE_DAYS"
    )
    retention_broadcast_days: int = Field(
        default=365, gt=0, le=MAX_RETENTION_DAYS, validation_alias="CEDP_RETENTION_BROADCAST_DAYS"
    )
    retention_sweep_minutes: int = Field(
        default=60, gt=0, le=24 * 60, validation_alias="CEDP_RETENTION_SWEEP_MINUTES"
    )
    # The staff console (console/): on by default; its sign-in links are built from the public
    # address, so without CEDP_PUBLIC_URL /console explains that it is not set up.
    console_enabled: bool = Field(default=True, validation_alias="CEDP_CONSOLE")
    public_url: str | None = Field(default=None, validation_alias="CEDP_PUBLIC_URL")
    console_session_hours: float = Field(
        default=10, gt=0, le=24, validation_alias="CEDP_CONSOLE_SESSION_HOURS"
    )
    # Binds button payloads to their recipient; unset, one is generated and kept in the database.
    secret_key: SecretStr | None = Field(
        default=None, min_length=32, validation_alias="CEDP_SECRET_KEY"
    )

    # Telegram: on when the token is set.
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN"
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_WEBHOOK_SECRET"
    )
    telegram_webhook_url: str | None = Field(default=None, validation_alias="TELEGRAM_WEBHOOK_URL")
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot", validation_alias="TELEGRAM_API_BASE_URL"
    )
    telegram_messages_per_second: float = Field(
        default=30.0, gt=0, validation_alias="TELEGRAM_MESSAGES_PER_SECOND"
    )
    # Part of the overall rate; the rest is left for replies in conversations.
    telegram_broadcast_messages_per_second: float = Field(
        default=25.0, gt=0, validation_alias="TELEGRAM_BROADCAST_MESSAGES_PER_SECOND"
    )

    # Slack: on when the token is set.
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_api_base_url: str = Field(
        default="https://slack.com/api/", validation_alias="SLACK_API_BASE_URL"
    )

    @field_validator("quiet_hours")
    @classmethod
    def _valid_quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @field_validator("public_url")
    @classmethod
    def _valid_public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query:
            raise ValueError(
                "CEDP_PUBLIC_URL must be an http(s) address such as https://bot.example.org"
            )
        return value.rstrip("/")

    @field_validator("checkin_hours")
    @classmethod
    def _valid_checkin_hours(cls, value: str) -> str:
        WorkingHours.parse(value)
        return value

    @model_validator(mode="after")
    def _room_for_replies(self) -> Settings:
        if self.telegram_broadcast_messages_per_second > self.telegram_messages_per_second:
            raise ValueError(
                "TELEGRAM_BROADCAST_MESSAGES_PER_SECOND may not exceed "
                "TELEGRAM_MESSAGES_PER_SECOND: broadcasts must leave room for replies"
            )
        return self

    @property
    def default_quiet_hours(self) -> QuietHours | None:
        """Quiet hours for members who have not chosen their own; None when turned off."""
        return parse_quiet_hours(self.quiet_hours)

    @property
    def working_hours(self) -> WorkingHours | None:
        """When check-ins may reach members; None for any time."""
        return WorkingHours.parse(self.checkin_hours)

    def secrets(self) -> dict[str, str]:
        """Every secret that is set, by its environment name: what the log must never show.

        Any setting typed SecretStr counts, so a new secret is kept out of the log by its type;
        so does a password inside the database URL.
        """
        found = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                found[str(field.validation_alias or name)] = value.get_secret_value()
        password = urlsplit(self.database_url).password
        if password:
            found["CEDP_DATABASE_URL password"] = unquote(password)
        return found
