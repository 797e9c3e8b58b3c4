"""Logging with a correlation id on every line, and secrets kept out of the log."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from contextvars import ContextVar
from urllib.parse import quote

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")

FORMAT = "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"
# Loggers kept at WARNING whatever CEDP_LOG_LEVEL says. httpx and httpcore print request URLs,
# and Bot API URLs carry the bot token: the redaction below would catch it, but they stay quiet
# regardless. aiosqlite prints every call with its arguments and results, and at DEBUG
# python-telegram-bot (its Bot classes) and slack_sdk print every API call's parameters and
# answer: messages as sent, so contact details shared in an introduction and the options a
# check-in offered. Redaction cannot know those values, so these loggers never print them.
QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "aiosqlite",
    "asyncio",
    "alembic.runtime.migration",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "slack_sdk",
)


# Tokens that travel in addresses: a console sign-in link (services/console.py) is in the access
# log's request line and in the Referer of the requests after it.
TOKENS_IN_ADDRESSES = re.compile(r"(/console/sign-in/)[\w-]+")


class _CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True


class RedactingFormatter(logging.Formatter):
    """Formats a record, then replaces every secret wherever it appears in the line (message,
    arguments, exception text and stack), and every sign-in token in an address. Libraries log
    URLs and headers we do not control (python-telegram-bot logs `Set Bot API URL:
    .../bot<token>` at DEBUG), so redacting the finished text is the only place that catches
    them all."""

    def __init__(self, fmt: str, secrets: Mapping[str, str]) -> None:
        super().__init__(fmt)
        spellings = {
            spelling: f"[{name}]"
            for name, value in secrets.items()
            for spelling in (value, quote(value, safe=""))
            if value
        }
        # Longest first, so a secret that contains another is replaced whole.
        self._replacements = sorted(spellings.items(), key=lambda item: -len(item[0]))

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret, label in self._replacements:
            text = text.replace(secret, label)
        return TOKENS_IN_ADDRESSES.sub(r"\1[token]", text)


def configure_logging(level: str, secrets: Mapping[str, str] | None = None) -> None:
    """Log to stderr, with `secrets` (environment name → value, see `Settings.secrets`) shown
    only as their names."""
    handler = logging.StreamHandler()
    handler.addFilter(_CorrelationFilter())
    handler.setFormatter(RedactingFormatter(FORMAT, secrets or {}))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
