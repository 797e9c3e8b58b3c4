"""Pulse check-ins, their questions, who was sent one (participation) and the answers.

Answers and participation are kept apart and share nothing but the check-in: an answer row has
a random id, the question's position, the breakdown group and the value, and no member, no time
and no order. SQLite keeps the table without a rowid (rows sit in random-id order), and every
answer rewrites its question's rows in a fresh random order with fresh ids, so neither
PostgreSQL's heap order nor its row versions follow the order people answered in.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Select,
    String,
    Text,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from domain.pulse import Definition, Question, QuestionKind, State, StoredAnswer
from storage.models import Base, UTCDateTime

ANSWER_ID_BYTES = 16
GROUP_SEPARATOR = ","


class PulseCheckin(Base):
    __tablename__ = "pulse_checkins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    segment: Mapped[list[str]] = mapped_column(JSON, default=list)
    breakdown: Mapped[list[str]] = mapped_column(JSON, default=list)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default=State.SCHEDULED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    questions: Mapped[list[PulseQuestion]] = relationship(
        order_by="PulseQuestion.position", cascade="all, delete-orphan", lazy="raise"
    )

    def asked(self) -> tuple[Question, ...]:
        return tuple(question.as_question() for question in self.questions)


class PulseQuestion(Base):
    __tablename__ = "pulse_questions"

    checkin_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_checkins.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[str] = mapped_column(String(40), index=True)
    text: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)

    def as_question(self) -> Question:
        return Question(self.question_id, self.text, QuestionKind(self.kind), tuple(self.options))


class PulseParticipant(Base):
    """Who was sent a check-in and how far they got; never what they answered."""

    __tablename__ = "pulse_participants"

    checkin_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_checkins.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    next_position: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)  # gave at least one answer
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    sent: Mapped[bool] = mapped_column(Boolean, default=False)
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)


class PulseAnswer(Base):
    """One answer to one question: linked to nobody, in no order."""

    __tablename__ = "pulse_answers"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(2 * ANSWER_ID_BYTES), primary_key=True)
    checkin_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_checkins.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    breakdown_group: Mapped[str] = mapped_column(String(400), default="")
    value: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


def _group(tags: Iterable[str]) -> str:
    return GROUP_SEPARATOR.join(sorted(set(tags)))


class PulseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, definition: Definition, now: datetime) -> PulseCheckin:
        checkin = PulseCheckin(
            title=definition.title,
            segment=list(definition.segment),
            breakdown=list(definition.breakdown),
            opens_at=definition.opens,
            closes_at=definition.closes,
            state=State.SCHEDULED,
            created_at=now,
            questions=[
                PulseQuestion(
                    position=position,
                    question_id=question.id,
                    text=question.text,
                    kind=question.kind,
                    options=list(question.options),
                )
                for position, question in enumerate(definition.questions)
            ],
        )
        self._session.add(checkin)
        await self._session.flush()
        return checkin

    @staticmethod
    def _query() -> Select[tuple[PulseCheckin]]:
        return select(PulseCheckin).options(selectinload(PulseCheckin.questions))

    async def get(self, checkin_id: int, *, lock: bool = False) -> PulseCheckin | None:
        """A check-in with its questions; `lock` holds its row until the transaction ends
        (PostgreSQL), so answers to it are written one at a time."""
        query = self._query().where(PulseCheckin.id == checkin_id)
        if lock:
            query = query.with_for_update(of=PulseCheckin)
        return (await self._session.execute(query)).scalars().first()

    async def all(self) -> list[PulseCheckin]:
        query = self._query().order_by(PulseCheckin.opens_at.desc(), PulseCheckin.id.desc())
        return list((await self._session.execute(query)).scalars().all())

    async def set_state(self, checkin_id: int, state: State) -> None:
        await self._session.execute(
            update(PulseCheckin).where(PulseCheckin.id == checkin_id).values(state=state)
        )

    async def add_participants(self, checkin_id: int, member_ids: Iterable[int]) -> None:
        rows = [{"checkin_id": checkin_id, "member_id": member} for member in member_ids]
        if rows:
            await self._session.execute(insert(PulseParticipant), rows)

    async def participant(self, checkin_id: int, member_id: int) -> PulseParticipant | None:
        return await self._session.get(PulseParticipant, (checkin_id, member_id))

    async def unfinished(self, member_id: int, now: datetime) -> list[tuple[PulseCheckin, int]]:
        """The open check-ins the member was sent and has not finished, each with the position
        they stopped at, closing soonest first."""
        query = (
            self._query()
            .join(PulseParticipant, PulseParticipant.checkin_id == PulseCheckin.id)
            .add_columns(PulseParticipant.next_position)
            .where(
                PulseParticipant.member_id == member_id,
                PulseParticipant.sent,
                PulseParticipant.finished.is_(False),
                PulseCheckin.state == State.OPEN,
                PulseCheckin.closes_at > now,
            )
            .order_by(PulseCheckin.closes_at, PulseCheckin.id)
        )
        rows = await self._session.execute(query)
        return [(checkin, position) for checkin, position in rows.all()]

    async def participation(self, checkin_id: int) -> tuple[int, int, int]:
        """(sent, respondents, finished): counts only."""
        row = (
            await self._session.execute(
                select(
                    func.count().filter(PulseParticipant.sent),
                    func.count().filter(PulseParticipant.answered),
                    func.count().filter(PulseParticipant.finished),
                ).where(PulseParticipant.checkin_id == checkin_id)
            )
        ).one()
        return int(row[0]), int(row[1]), int(row[2])

    async def record(
        self,
        checkin_id: int,
        position: int,
        group: Iterable[str],
        value: int | None,
        comment: str | None,
    ) -> None:
        """Add one answer and rewrite the question's answers in a fresh random order with fresh
        ids. Call with the check-in locked (`get(..., lock=True)`)."""
        scope = (PulseAnswer.checkin_id == checkin_id, PulseAnswer.position == position)
        kept = (
            await self._session.execute(
                select(PulseAnswer.breakdown_group, PulseAnswer.value, PulseAnswer.comment).where(
                    *scope
                )
            )
        ).all()
        rows = [(row.breakdown_group, row.value, row.comment) for row in kept]
        rows.append((_group(group), value, comment))
        random.SystemRandom().shuffle(rows)
        await self._session.execute(
            delete(PulseAnswer).where(*scope).execution_options(synchronize_session=False)
        )
        await self._session.execute(
            insert(PulseAnswer),
            [
                {
                    "id": secrets.token_hex(ANSWER_ID_BYTES),
                    "checkin_id": checkin_id,
                    "position": position,
                    "breakdown_group": breakdown_group,
                    "value": answer_value,
                    "comment": answer_comment,
                }
                for breakdown_group, answer_value, answer_comment in rows
            ],
        )

    async def answers(self, checkin_id: int) -> list[StoredAnswer]:
        rows = await self._session.execute(
            select(
                PulseAnswer.position,
                PulseAnswer.breakdown_group,
                PulseAnswer.value,
                PulseAnswer.comment,
            ).where(PulseAnswer.checkin_id == checkin_id)
        )
        return [
            StoredAnswer(
                row.position,
                tuple(row.breakdown_group.split(GROUP_SEPARATOR)) if row.breakdown_group else (),
                row.value,
                row.comment,
            )
            for row in rows
        ]

    async def closed_asking(
        self, question_id: str, kind: QuestionKind, limit: int, through: PulseCheckin
    ) -> Sequence[PulseCheckin]:
        """The last `limit` closed check-ins that asked `question_id` as a `kind` question, up to
        and including `through` (none that closes after it), latest first."""
        asked = select(PulseQuestion.checkin_id).where(
            PulseQuestion.question_id == question_id, PulseQuestion.kind == kind
        )
        not_later = or_(
            PulseCheckin.closes_at < through.closes_at,
            and_(PulseCheckin.closes_at == through.closes_at, PulseCheckin.id <= through.id),
        )
        query = (
            self._query()
            .where(PulseCheckin.state == State.CLOSED, PulseCheckin.id.in_(asked), not_later)
            .order_by(PulseCheckin.closes_at.desc(), PulseCheckin.id.desc())
            .limit(limit)
        )
        return list((await self._session.execute(query)).scalars().all())
