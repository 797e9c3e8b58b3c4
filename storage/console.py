"""The staff console's sign-in links and browser sessions, kept by digest only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConsoleSession, ConsoleSignIn, ConsoleSubmission
from storage.upsert import insert_for


@dataclass(frozen=True, slots=True)
class OpenSession:
    member_id: int
    form_token: str


class ConsoleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_sign_in(self, digest: str, member_id: int, expires_at: datetime) -> None:
        """Store a link's digest; the member's earlier unused links go, so only the newest works."""
        await self._session.execute(
            delete(ConsoleSignIn).where(ConsoleSignIn.member_id == member_id)
        )
        self._session.add(ConsoleSignIn(digest=digest, member_id=member_id, expires_at=expires_at))
        await self._session.flush()

    async def redeem_sign_in(self, digest: str, now: datetime) -> int | None:
        """The member a link belongs to, using it up; None when unknown, used or expired.

        One DELETE ... RETURNING: two browsers racing for one link cannot both win.
        """
        used = await self._session.execute(
            delete(ConsoleSignIn)
            .where(ConsoleSignIn.digest == digest, ConsoleSignIn.expires_at > now)
            .returning(ConsoleSignIn.member_id)
        )
        return used.scalar_one_or_none()

    async def add_session(
        self, digest: str, member_id: int, form_token: str, now: datetime
    ) -> None:
        self._session.add(
            ConsoleSession(
                digest=digest,
                member_id=member_id,
                form_token=form_token,
                created_at=now,
                last_seen_at=now,
            )
        )
        await self._session.flush()

    async def use_session(
        self, digest: str, now: datetime, idle_since: datetime
    ) -> OpenSession | None:
        """The session under `digest` if it was used after `idle_since`, marking it used now."""
        found = await self._session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.digest == digest, ConsoleSession.last_seen_at > idle_since)
            .values(last_seen_at=now)
            .returning(ConsoleSession.member_id, ConsoleSession.form_token)
            .execution_options(synchronize_session=False)
        )
        row = found.one_or_none()
        return None if row is None else OpenSession(row.member_id, row.form_token)

    async def end_session(self, digest: str, form_token: str) -> None:
        await self._session.execute(
            delete(ConsoleSession)
            .where(ConsoleSession.digest == digest, ConsoleSession.form_token == form_token)
            .execution_options(synchronize_session=False)
        )

    async def first_submission(self, digest: str, now: datetime) -> bool:
        """Record a one-time form token as used; False when it was used before. Insert if
        absent: of two submissions racing, the second waits for the first and finds it."""
        result = await self._session.execute(
            insert_for(self._session, ConsoleSubmission)
            .values(digest=digest, used_at=now)
            .on_conflict_do_nothing(index_elements=[ConsoleSubmission.digest])
        )
        return result.rowcount == 1

    async def purge_submissions(self, before: datetime) -> int:
        """Forget form tokens used before `before`: their pages' sessions have ended."""
        result = await self._session.execute(
            delete(ConsoleSubmission)
            .where(ConsoleSubmission.used_at < before)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount

    async def purge_sign_ins(self, before: datetime) -> int:
        """Delete links that expired before `before`: they can no longer be used."""
        result = await self._session.execute(
            delete(ConsoleSignIn)
            .where(ConsoleSignIn.expires_at < before)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount

    async def purge_sessions(self, idle_since: datetime) -> int:
        """Delete sessions unused since `idle_since`: they can no longer be used either."""
        result = await self._session.execute(
            delete(ConsoleSession)
            .where(ConsoleSession.last_seen_at < idle_since)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount
