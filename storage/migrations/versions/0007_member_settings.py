"""members' settings for programme notices: muted categories, quiet hours, time zone

Revision ID: 0007_member_settings
Revises: 0006_secret_key
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_member_settings"
down_revision = "0006_secret_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_settings",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("muted", sa.JSON(), nullable=False),
        sa.Column("quiet_hours", sa.String(length=16), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_settings_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_settings")),
    )


def downgrade() -> None:
    op.drop_table("member_settings")
