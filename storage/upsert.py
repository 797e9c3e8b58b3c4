"""Dialect-aware INSERT, so repositories write atomic upserts for SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(dialect: str, table: Any) -> Any:
    """An INSERT for `table` in `dialect` that supports `on_conflict_do_update` / `_do_nothing`."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def dialect_of(session: AsyncSession) -> str:
    """The SQL dialect of the database `session` is bound to ("postgresql" or "sqlite")."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def insert_for(session: AsyncSession, table: Any) -> Any:
    """`dialect_insert` for the database `session` is bound to."""
    return dialect_insert(dialect_of(session), table)
