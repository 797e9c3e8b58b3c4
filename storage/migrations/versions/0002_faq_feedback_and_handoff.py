"""faq feedback, team questions, outbox, alternates

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asked_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=4000), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("team_question_id", sa.Integer(), nullable=True),
        sa.Column("asked_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asked_questions")),
    )
    op.create_table(
        "knowledge_alternates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_alternates")),
        sa.UniqueConstraint("entry_id", "text", name=op.f("uq_knowledge_alternates_entry_id")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("recipient_id", sa.String(length=128), nullable=False),
        sa.Column("text", sa.String(length=8000), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_recipient", ["platform", "recipient_id"], unique=False)

    op.create_table(
        "team_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=4000), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("recipient_id", sa.String(length=128), nullable=True),
        sa.Column("asker_name", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.String(length=4000), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("answered_at", storage.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_questions")),
    )


def downgrade() -> None:
    op.drop_table("team_questions")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_recipient")

    op.drop_table("outbox")
    op.drop_table("knowledge_alternates")
    op.drop_table("asked_questions")
