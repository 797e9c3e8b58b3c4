"""intros: the peer directory, introductions and their parties, blocks, "never pair me with"
lists, matching rounds and the consent record

Revision ID: 0010_intros
Revises: 0009_coaching
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0010_intros"
down_revision = "0009_coaching"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intro_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("buddies", sa.Boolean(), nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=True),
        sa.Column("cooldown_weeks", sa.Integer(), nullable=False),
        sa.Column("next_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("stopped_at", storage.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intro_rounds")),
    )
    op.create_table(
        "directory_profiles",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("in_post_since", sa.Date(), nullable=True),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("talk_about", sa.Text(), nullable=False),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("buddy", sa.Boolean(), nullable=False),
        sa.Column("in_rounds", sa.Boolean(), nullable=False),
        sa.Column("snoozed_until", storage.models.UTCDateTime(), nullable=True),
        sa.Column("ignored_rounds", sa.Integer(), nullable=False),
        sa.Column("suspended_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("joined_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_directory_profiles_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_directory_profiles")),
    )
    op.create_table(
        "intro_blocks",
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.Column("blocked_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["members.id"],
            name=op.f("fk_intro_blocks_blocked_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["members.id"],
            name=op.f("fk_intro_blocks_blocker_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_intro_blocks")),
    )
    op.create_table(
        "intro_never_pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_intro_never_pair_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_id"],
            ["members.id"],
            name=op.f("fk_intro_never_pair_other_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intro_never_pair")),
    )
    op.create_index("ix_intro_never_pair_member", "intro_never_pair", ["member_id"], unique=False)
    op.create_table(
        "introductions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("decided_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("group_opened_at", storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["intro_rounds.id"],
            name=op.f("fk_introductions_round_id_intro_rounds"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_introductions")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_introductions_status_expires", "introductions", ["status", "expires_at"], unique=False
    )
    op.create_table(
        "intro_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("introduction_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["introduction_id"],
            ["introductions.id"],
            name=op.f("fk_intro_consents_introduction_id_introductions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_intro_consents_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intro_consents")),
    )
    op.create_index("ix_intro_consents_member", "intro_consents", ["member_id", "at"], unique=False)
    op.create_table(
        "introduction_parties",
        sa.Column("introduction_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("asked", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("answered_at", storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["introduction_id"],
            ["introductions.id"],
            name=op.f("fk_introduction_parties_introduction_id_introductions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_introduction_parties_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "introduction_id", "member_id", name=op.f("pk_introduction_parties")
        ),
    )
    op.create_index(
        "ix_introduction_parties_member",
        "introduction_parties",
        ["member_id", "introduction_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_introduction_parties_member", table_name="introduction_parties")
    op.drop_table("introduction_parties")
    op.drop_index("ix_intro_consents_member", table_name="intro_consents")
    op.drop_table("intro_consents")
    op.drop_index("ix_introductions_status_expires", table_name="introductions")
    op.drop_table("introductions")
    op.drop_index("ix_intro_never_pair_member", table_name="intro_never_pair")
    op.drop_table("intro_never_pair")
    op.drop_table("intro_blocks")
    op.drop_table("directory_profiles")
    op.drop_table("intro_rounds")
