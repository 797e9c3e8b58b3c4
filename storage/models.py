"""Tables. Rules that protect data live here as constraints, where no code path can skip them."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
MAX_ID = 2**31 - 1  # the largest `Integer` id: 32 bits on PostgreSQL


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def new_pseudonym() -> str:
    return f"m-{secrets.token_hex(6)}"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Member(Base):
    """A person who joined the programme's bot, whatever platforms they use."""

    __tablename__ = "members"
    __table_args__ = ({"sqlite_autoincrement": True},)  # an erased member's id is never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The platform they wrote from last: where a broadcast reaches someone with two accounts.
    last_platform: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # What the audit trail calls them. Random, so once the row is erased nothing links the
    # trail's entries back to the person.
    pseudonym: Mapped[str] = mapped_column(
        String(16), index=True, unique=True, default=new_pseudonym
    )
    identities: Mapped[list[Identity]] = relationship(
        back_populates="member", cascade="all, delete-orphan", passive_deletes=True
    )
    tags: Mapped[list[MemberTag]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="MemberTag.tag"
    )


class Identity(Base):
    """One platform account of a member; an account belongs to at most one member."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    member: Mapped[Member] = relationship(back_populates="identities")
    # Set when the platform refused a message (blocked the bot, account deactivated); staff see
    # it in the member list, and it clears when the person writes again.
    unreachable_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class MemberTag(Base):
    """A segment label such as `new-ceo` or `north-west`."""

    __tablename__ = "member_tags"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class Invite(Base):
    """An invite code: the role and tags a person gets by joining with it."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkCode(Base):
    """A one-time code that attaches another platform account to an existing member."""

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsoleSignIn(Base):
    """A one-time link to the staff console, sent in a private chat; only its digest is kept,
    so the table cannot be read back into working links."""

    __tablename__ = "console_sign_ins"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ConsoleSession(Base):
    """A signed-in browser: the cookie carries the token, the row its digest, the form token
    (CSRF) and when it was last used, so a session ends after a working day of inactivity."""

    __tablename__ = "console_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    form_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ConsoleSubmission(Base):
    """A console form that must not be carried out twice (sending a broadcast, creating a
    check-in or an invite): the digest of the one-time token it carried, once it was used."""

    __tablename__ = "console_submissions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ConversationState(Base):
    """Where a person is in a multi-step flow; outlives restarts and is shared by all workers."""

    __tablename__ = "conversation_states"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    flow: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RateLimitWindow(Base):
    """Messages a person sent in the current fixed window, counted across all workers."""

    __tablename__ = "rate_limit_windows"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(Integer)


class Delivery(Base):
    """A platform delivery (Telegram update, Slack event), stored before the platform is told
    it arrived: a crash after that loses nothing, and the key makes a redelivery a no-op.

    Stored: `body` holds the payload, `claimed_until` the lease of the worker handling it.
    Handled: the body is dropped in the handler's own transaction, and the replies it produced
    wait in `replies` until sent. Done: neither; the row stays only to refuse redeliveries.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_claims", "platform", "claimed_until"),
        Index("ix_inbox_handled_at", "handled_at"),  # the retention sweep
        Index("ix_inbox_person", "platform", "person", "received_at"),  # one person's order
    )

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Whose it is (the adapter's `person_of`), while it is unfinished: one person's deliveries
    # are handled in order across workers. None once finished, and on rows from before.
    person: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reply_to: Mapped[str | None] = mapped_column(String(256), nullable=True)
    reply_person: Mapped[str | None] = mapped_column(String(128), nullable=True)
    replies: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON(none_as_null=True), nullable=True
    )


class AskedQuestion(Base):
    """A question the FAQ engine handled, with no link to who asked: for the staff report."""

    __tablename__ = "asked_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(String(4000))
    outcome: Mapped[str] = mapped_column(String(16))  # answered | unsure | declined
    entry_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    helpful: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    team_question_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class TeamQuestion(Base):
    """A question handed to the programme team, with the asker's consent to be answered."""

    __tablename__ = "team_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(String(4000))
    platform: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    asker_name: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str | None] = mapped_column(String(4000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    # Between the answer and the staff member's "Add to: ENTRY" (or "Don't add"): the asker's
    # digest for each entry offered (services/learning.py), worked out while the reply address
    # was still known; cleared by the choice.
    learn_digests: Mapped[dict[str, str] | None] = mapped_column(
        JSON(none_as_null=True), nullable=True
    )


class OutboxMessage(Base):
    """A message to a person outside the current conversation; deleted once delivered."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_recipient", "platform", "recipient_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(String(8000))
    options: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A worker pushing the message holds it until then; if it dies, another takes it over.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class KnowledgeAlternate(Base):
    """A phrasing staff added to an entry from a real question; merged into the YAML at load."""

    __tablename__ = "knowledge_alternates"
    __table_args__ = (UniqueConstraint("entry_id", "text"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KnowledgeCandidate(Base):
    """A question that reached an entry ("did you mean" pick, or a staff answer linked to it),
    kept as a possible phrasing of it. Nothing names the asker: `asker_digest` is an HMAC,
    under the bot's secret key, of the entry and the person, so it tells different people apart
    for one entry only (services/learning.py); the day alone is kept, not the time."""

    __tablename__ = "knowledge_candidates"
    __table_args__ = (Index("ix_knowledge_candidates_state", "state", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(String(300))
    asker_digest: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))  # waiting | accepted | dismissed
    created_on: Mapped[date] = mapped_column(Date(), index=True)


class MemberSettings(Base):
    """A member's own choices for programme notices; no row means the programme's defaults."""

    __tablename__ = "member_settings"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    muted: Mapped[list[str]] = mapped_column(JSON, default=list)  # category values
    # "HH:MM-HH:MM"; "" when the member turned quiet hours off; None: CEDP_QUIET_HOURS.
    quiet_hours: Mapped[str | None] = mapped_column(String(16), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: London


class SecretKey(Base):
    """A key the bot generated for itself when none is configured, shared by every worker."""

    __tablename__ = "secret_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One staff action, appended and never changed: the application has no path that updates
    or deletes a row. `hash` chains each entry to the one before (domain/audit.py)."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    previous_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
