"""The peer directory, introductions, blocks, "never pair me with" lists, matching rounds and the
consent record.

Contact details live only in `directory_profiles` and leave it only through
services.intros.shared_contacts. The consent record is append-only: nothing here updates or
deletes one of its rows (a member's erasure, by the foreign key, is the one exception; purging an
introduction that did not happen unlinks its entries, by the foreign key too, and keeps them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload
from sqlalchemy.sql.elements import ColumnElement

from domain.intros import Answer, Origin, Status
from storage.models import Base, UTCDateTime
from storage.upsert import insert_for


class DirectoryProfile(Base):
    """A member who opted in to the directory; no row means not in it."""

    __tablename__ = "directory_profiles"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(64))
    in_post_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    talk_about: Mapped[str] = mapped_column(Text, default="")
    shares: Mapped[list[str]] = mapped_column(JSON, default=list)  # domain.intros.ContactKind
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    buddy: Mapped[bool] = mapped_column(Boolean, default=False)
    in_rounds: Mapped[bool] = mapped_column(Boolean, default=True)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ignored_rounds: Mapped[int] = mapped_column(Integer, default=0)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IntroRound(Base):
    """A matching round staff started: once (`every_weeks` unset) or on a cadence."""

    __tablename__ = "intro_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)  # any of; empty: everyone listed
    buddies: Mapped[bool] = mapped_column(Boolean, default=False)
    every_weeks: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cooldown_weeks: Mapped[int] = mapped_column(Integer)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Introduction(Base):
    """A request from one member to another, or a pair (or trio) a round proposed."""

    __tablename__ = "introductions"
    __table_args__ = (
        Index("ix_introductions_status_expires", "status", "expires_at"),
        {"sqlite_autoincrement": True},  # ids travel in buttons: never reused
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))  # domain.intros.Origin
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("intro_rounds.id", ondelete="SET NULL"), nullable=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=Status.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    group_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    parties: Mapped[list[IntroParty]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="IntroParty.member_id"
    )

    def party(self, member_id: int) -> IntroParty | None:
        return next((party for party in self.parties if party.member_id == member_id), None)

    def others(self, member_id: int) -> list[int]:
        return [party.member_id for party in self.parties if party.member_id != member_id]

    @property
    def requester(self) -> int | None:
        return next((party.member_id for party in self.parties if party.asked), None)


class IntroParty(Base):
    """One person in an introduction and their answer; the one who asked has `asked` set."""

    __tablename__ = "introduction_parties"
    __table_args__ = (Index("ix_introduction_parties_member", "member_id", "introduction_id"),)

    introduction_id: Mapped[int] = mapped_column(
        ForeignKey("introductions.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    asked: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str] = mapped_column(String(16), default=Answer.PENDING)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class IntroBlock(Base):
    """`blocker` never hears from, nor is suggested, `blocked` again."""

    __tablename__ = "intro_blocks"

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NeverPair(Base):
    """One line of a member's private "never pair me with" list: a person or an organisation."""

    __tablename__ = "intro_never_pair"
    __table_args__ = (Index("ix_intro_never_pair_member", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    other_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True
    )
    organisation: Mapped[str | None] = mapped_column(String(200), nullable=True)  # lower case


class ConsentEntry(Base):
    """One thing a person consented to, or withdrew, with its time: the consent record."""

    __tablename__ = "intro_consents"
    __table_args__ = (Index("ix_intro_consents_member", "member_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    # Indexed: purging an introduction sets this to NULL in its consent entries.
    introduction_id: Mapped[int | None] = mapped_column(
        ForeignKey("introductions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # domain.intros.ConsentKind
    detail: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())


def _between(a: int, b: int) -> ColumnElement[bool]:
    """Introductions that have both `a` and `b` among their parties."""
    both = (
        select(IntroParty.introduction_id)
        .where(IntroParty.member_id.in_((a, b)))
        .group_by(IntroParty.introduction_id)
        .having(func.count() == 2)
    )
    return Introduction.id.in_(both)


class IntrosRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # The directory

    async def profile(self, member_id: int) -> DirectoryProfile | None:
        return await self._session.get(DirectoryProfile, member_id)

    async def profiles(self, member_ids: Iterable[int]) -> dict[int, DirectoryProfile]:
        ids = sorted(set(member_ids))
        if not ids:
            return {}
        rows = await self._session.execute(
            select(DirectoryProfile).where(DirectoryProfile.member_id.in_(ids))
        )
        return {row.member_id: row for row in rows.scalars()}

    async def save_profile(self, profile: DirectoryProfile) -> DirectoryProfile:
        merged = await self._session.merge(profile)
        await self._session.flush()
        return merged

    async def remove_profile(self, member_id: int) -> bool:
        result = await self._session.execute(
            delete(DirectoryProfile).where(DirectoryProfile.member_id == member_id)
        )
        return result.rowcount > 0

    async def listed(self) -> Sequence[DirectoryProfile]:
        """Everyone in the directory and not suspended, by name."""
        rows = await self._session.execute(
            select(DirectoryProfile)
            .where(DirectoryProfile.suspended_at.is_(None))
            .order_by(func.lower(DirectoryProfile.name), DirectoryProfile.member_id)
        )
        return rows.scalars().all()

    # Blocks and the "never pair me with" lists

    async def block(self, blocker_id: int, blocked_id: int, now: datetime) -> None:
        await self._session.execute(
            insert_for(self._session, IntroBlock)
            .values(blocker_id=blocker_id, blocked_id=blocked_id, created_at=now)
            .on_conflict_do_nothing(index_elements=["blocker_id", "blocked_id"])
        )

    async def blocks_of(self, member_id: int) -> set[int]:
        """Everyone `member_id` blocked or was blocked by: they never meet through the bot."""
        rows = await self._session.execute(
            select(IntroBlock.blocker_id, IntroBlock.blocked_id).where(
                or_(IntroBlock.blocker_id == member_id, IntroBlock.blocked_id == member_id)
            )
        )
        return {a if b == member_id else b for a, b in rows}

    async def all_blocks(self) -> set[tuple[int, int]]:
        rows = await self._session.execute(select(IntroBlock.blocker_id, IntroBlock.blocked_id))
        return {(a, b) for a, b in rows}

    async def never_list(self, member_id: int) -> list[NeverPair]:
        rows = await self._session.execute(
            select(NeverPair).where(NeverPair.member_id == member_id).order_by(NeverPair.id)
        )
        return list(rows.scalars())

    async def all_never(self) -> list[NeverPair]:
        return list((await self._session.execute(select(NeverPair))).scalars())

    async def add_never(
        self, member_id: int, *, other_id: int | None = None, organisation: str | None = None
    ) -> NeverPair:
        entry = NeverPair(member_id=member_id, other_id=other_id, organisation=organisation)
        self._session.add(entry)
        await self._session.flush()
        return entry

    async def remove_never(self, member_id: int, entry_id: int) -> bool:
        result = await self._session.execute(
            delete(NeverPair).where(NeverPair.id == entry_id, NeverPair.member_id == member_id)
        )
        return result.rowcount > 0

    # Introductions

    async def add(
        self,
        introduction: Introduction,
        parties: Sequence[IntroParty],
    ) -> Introduction:
        introduction.parties = list(parties)
        self._session.add(introduction)
        await self._session.flush()
        return introduction

    async def get(self, introduction_id: int, *, lock: bool = False) -> Introduction | None:
        query = (
            select(Introduction)
            .options(selectinload(Introduction.parties))
            .where(Introduction.id == introduction_id)
        )
        if lock:
            query = query.with_for_update()
        return (await self._session.execute(query)).scalar_one_or_none()

    async def of_member(
        self, member_id: int, *, statuses: Iterable[Status] | None = None
    ) -> list[Introduction]:
        """The member's introductions, newest first."""
        mine = select(IntroParty.introduction_id).where(IntroParty.member_id == member_id)
        query = (
            select(Introduction)
            .options(selectinload(Introduction.parties))
            .where(Introduction.id.in_(mine))
            .order_by(Introduction.created_at.desc(), Introduction.id.desc())
        )
        if statuses is not None:
            query = query.where(Introduction.status.in_([status.value for status in statuses]))
        return list((await self._session.execute(query)).scalars())

    async def between(self, a: int, b: int) -> list[Introduction]:
        """Every introduction with both `a` and `b` in it, newest first."""
        rows = await self._session.execute(
            select(Introduction)
            .options(selectinload(Introduction.parties))
            .where(_between(a, b))
            .order_by(Introduction.created_at.desc(), Introduction.id.desc())
        )
        return list(rows.scalars())

    async def asked_since(self, member_id: int, since: datetime) -> int:
        """How many introductions `member_id` asked for since `since`."""
        count = await self._session.scalar(
            select(func.count())
            .select_from(Introduction)
            .join(IntroParty, IntroParty.introduction_id == Introduction.id)
            .where(
                IntroParty.member_id == member_id,
                IntroParty.asked.is_(True),
                Introduction.created_at > since,
            )
        )
        return int(count or 0)

    async def waiting_for_reply(self, member_id: int, now: datetime) -> int:
        """Requests `member_id` asked for that, as they see it, still wait for a reply:
        neither accepted nor withdrawn, and not yet past their expiry."""
        count = await self._session.scalar(
            select(func.count())
            .select_from(Introduction)
            .join(IntroParty, IntroParty.introduction_id == Introduction.id)
            .where(
                IntroParty.member_id == member_id,
                IntroParty.asked.is_(True),
                Introduction.status.in_([Status.OPEN.value, Status.DECLINED.value]),
                Introduction.expires_at > now,
            )
        )
        return int(count or 0)

    async def met_since(self, since: datetime) -> set[frozenset[int]]:
        """Pairs of members who were in one introduction created since `since` (any outcome):
        a round does not propose them again within its cooldown."""
        rows = await self._session.execute(
            select(IntroParty.introduction_id, IntroParty.member_id)
            .join(Introduction, Introduction.id == IntroParty.introduction_id)
            .where(Introduction.created_at > since)
        )
        groups: dict[int, list[int]] = {}
        for introduction_id, member_id in rows:
            groups.setdefault(introduction_id, []).append(member_id)
        return {
            frozenset((a, b))
            for members in groups.values()
            for a in members
            for b in members
            if a < b
        }

    async def accepted_with(self, a: int, b: int, since: datetime) -> bool:
        """Whether `a` and `b` are in an introduction that everyone in it accepted at `since`
        or later."""
        found = await self._session.scalar(
            select(func.count())
            .select_from(Introduction)
            .where(
                _between(a, b),
                Introduction.status == Status.ACCEPTED.value,
                Introduction.decided_at >= since,
            )
        )
        return bool(found)

    async def purge_closed(self, before: datetime) -> int:
        """Delete introductions that did not happen (expired, declined, withdrawn) and lapsed
        before `before`, with their parties; their consent entries stay, unlinked. An accepted
        one is kept: it is what lets the two see each other's contact details."""
        result = await self._session.execute(
            delete(Introduction)
            .where(
                Introduction.status.in_(
                    [Status.EXPIRED.value, Status.DECLINED.value, Status.WITHDRAWN.value]
                ),
                Introduction.expires_at < before,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount

    async def counts(self) -> dict[tuple[str, str], int]:
        """Introductions by (origin, status): what staff may see."""
        rows = await self._session.execute(
            select(Introduction.origin, Introduction.status, func.count()).group_by(
                Introduction.origin, Introduction.status
            )
        )
        return {(origin, status): int(count) for origin, status, count in rows}

    async def listed_count(self) -> tuple[int, int]:
        """(in the directory, of whom suspended)."""
        listed = await self._session.scalar(select(func.count()).select_from(DirectoryProfile))
        suspended = await self._session.scalar(
            select(func.count())
            .select_from(DirectoryProfile)
            .where(DirectoryProfile.suspended_at.is_not(None))
        )
        return int(listed or 0), int(suspended or 0)

    # Rounds

    async def add_round(self, round_: IntroRound) -> IntroRound:
        self._session.add(round_)
        await self._session.flush()
        return round_

    async def round(self, round_id: int, *, lock: bool = False) -> IntroRound | None:
        query = select(IntroRound).where(IntroRound.id == round_id)
        if lock:
            query = query.with_for_update()
        return (await self._session.execute(query)).scalar_one_or_none()

    async def rounds(self) -> list[IntroRound]:
        return list(
            (await self._session.execute(select(IntroRound).order_by(IntroRound.id))).scalars()
        )

    async def still_to_answer_a_round(self) -> set[int]:
        """Members a round proposed an introduction to that is still open and awaits them."""
        rows = await self._session.execute(
            select(IntroParty.member_id)
            .join(Introduction, Introduction.id == IntroParty.introduction_id)
            .where(
                IntroParty.answer == Answer.PENDING.value,
                Introduction.origin == Origin.ROUND.value,
                Introduction.status == Status.OPEN.value,
            )
        )
        return set(rows.scalars())

    # The consent record

    async def record(
        self,
        member_id: int,
        kind: str,
        now: datetime,
        *,
        introduction_id: int | None = None,
        detail: str = "",
    ) -> None:
        self._session.add(
            ConsentEntry(
                member_id=member_id,
                introduction_id=introduction_id,
                kind=kind,
                detail=detail[:300],
                at=now,
            )
        )
        await self._session.flush()

    async def consents_of(self, member_id: int) -> list[ConsentEntry]:
        """The member's own consent record, oldest first."""
        rows = await self._session.execute(
            select(ConsentEntry)
            .where(ConsentEntry.member_id == member_id)
            .order_by(ConsentEntry.at, ConsentEntry.id)
        )
        return list(rows.scalars())
