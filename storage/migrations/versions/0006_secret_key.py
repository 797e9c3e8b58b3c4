"""secret keys the bot generates for itself (the key that binds button payloads)

Revision ID: 0006_secret_key
Revises: 0005_inbox
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0006_secret_key"
down_revision = "0005_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secret_keys",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_secret_keys")),
    )


def downgrade() -> None:
    op.drop_table("secret_keys")
