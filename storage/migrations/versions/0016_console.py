"""console: one-time sign-in links, browser sessions and used form tokens of the staff console

Revision ID: 0016_console
Revises: 0015_inbox_person
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0016_console"
down_revision = "0015_inbox_person"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("form_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_console_sessions_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_console_sessions")),
    )
    op.create_index(op.f("ix_console_sessions_last_seen_at"), "console_sessions", ["last_seen_at"])
    op.create_index(op.f("ix_console_sessions_member_id"), "console_sessions", ["member_id"])
    op.create_table(
        "console_sign_ins",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_console_sign_ins_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_console_sign_ins")),
    )
    op.create_index(op.f("ix_console_sign_ins_expires_at"), "console_sign_ins", ["expires_at"])
    op.create_index(op.f("ix_console_sign_ins_member_id"), "console_sign_ins", ["member_id"])

    op.create_table(
        "console_submissions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("used_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_console_submissions")),
    )
    op.create_index(op.f("ix_console_submissions_used_at"), "console_submissions", ["used_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_console_submissions_used_at"), table_name="console_submissions")
    op.drop_table("console_submissions")
    op.drop_index(op.f("ix_console_sign_ins_member_id"), table_name="console_sign_ins")
    op.drop_index(op.f("ix_console_sign_ins_expires_at"), table_name="console_sign_ins")
    op.drop_table("console_sign_ins")
    op.drop_index(op.f("ix_console_sessions_member_id"), table_name="console_sessions")
    op.drop_index(op.f("ix_console_sessions_last_seen_at"), table_name="console_sessions")
    op.drop_table("console_sessions")
