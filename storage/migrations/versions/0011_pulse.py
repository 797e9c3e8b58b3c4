"""pulse: check-ins, their questions, participation, and answers linked to nobody

Revision ID: 0011_pulse
Revises: 0010_intros
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0011_pulse"
down_revision = "0010_intros"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pulse_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        sa.Column("opens_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("closes_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_checkins")),
    )
    # No rowid on SQLite: rows sit in random-id order, not in the order answers came.
    op.create_table(
        "pulse_answers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("breakdown_group", sa.String(length=400), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["pulse_checkins.id"],
            name=op.f("fk_pulse_answers_checkin_id_pulse_checkins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_answers")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_pulse_answers_checkin_id"), "pulse_answers", ["checkin_id"], unique=False
    )
    op.create_table(
        "pulse_participants",
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("next_position", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("reminded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["pulse_checkins.id"],
            name=op.f("fk_pulse_participants_checkin_id_pulse_checkins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_pulse_participants_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("checkin_id", "member_id", name=op.f("pk_pulse_participants")),
    )
    op.create_table(
        "pulse_questions",
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["pulse_checkins.id"],
            name=op.f("fk_pulse_questions_checkin_id_pulse_checkins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("checkin_id", "position", name=op.f("pk_pulse_questions")),
    )
    op.create_index(
        op.f("ix_pulse_questions_question_id"), "pulse_questions", ["question_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pulse_questions_question_id"), table_name="pulse_questions")
    op.drop_table("pulse_questions")
    op.drop_table("pulse_participants")
    op.drop_index(op.f("ix_pulse_answers_checkin_id"), table_name="pulse_answers")
    op.drop_table("pulse_answers")
    op.drop_table("pulse_checkins")
