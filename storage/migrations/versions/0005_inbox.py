"""inbox: deliveries are stored before they are acknowledged (processed_events grows into it)

Revision ID: 0005_inbox
Revises: 0004_jobs
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0005_inbox"
down_revision = "0004_jobs"
branch_labels = None
depends_on = None

_COLUMNS = (
    "body",
    "claimed_until",
    "worker",
    "attempts",
    "handled_at",
    "reply_to",
    "reply_person",
    "replies",
)


def upgrade() -> None:
    op.rename_table("processed_events", "inbox")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("worker", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("handled_at", storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reply_to", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("reply_person", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("replies", sa.JSON(), nullable=True))
        batch_op.create_index("ix_inbox_claims", ["platform", "claimed_until"], unique=False)
    # Everything recorded before this revision had been handled.
    op.execute("UPDATE inbox SET handled_at = received_at")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE inbox RENAME CONSTRAINT pk_processed_events TO pk_inbox")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE inbox RENAME CONSTRAINT pk_inbox TO pk_processed_events")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_claims")
        for column in _COLUMNS:
            batch_op.drop_column(column)
    op.rename_table("inbox", "processed_events")
