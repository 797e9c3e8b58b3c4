"""Claiming rows with a lease: the one statement the job table, the outbox and broadcast
deliveries share.

A row is free when nobody holds it or its holder's lease ran out; claiming sets the lease on the
first free rows that match, in one UPDATE, and returns what the caller asks for. PostgreSQL
locks the chosen rows with FOR UPDATE SKIP LOCKED, so concurrent workers choose different rows
instead of queueing on each other; on SQLite every transaction starts with BEGIN IMMEDIATE
(storage.database), so no other writer runs in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Update, or_, select, update


def is_free(claimed_until: Any, now: datetime) -> ColumnElement[bool]:
    """Nobody holds the row, or its holder's lease has run out."""
    return or_(claimed_until.is_(None), claimed_until <= now)


def claim(
    model: Any,
    *conditions: ColumnElement[bool],
    order_by: Sequence[Any],
    limit: int,
    now: datetime,
    lease: timedelta,
    returning: Sequence[Any],
) -> Update:
    """The UPDATE that leases the first `limit` free rows of `model` matching `conditions`
    (in `order_by`) until `now + lease`, returning `returning`."""
    free = is_free(model.claimed_until, now)
    chosen = (
        select(model.id)
        .where(*conditions, free)
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (
        update(model)
        .where(model.id.in_(chosen), free)
        .values(claimed_until=now + lease)
        .returning(*returning)
        .execution_options(synchronize_session=False)
    )
