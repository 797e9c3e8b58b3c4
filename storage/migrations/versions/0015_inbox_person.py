"""inbox: whose each delivery is, so one person's are handled in order across workers

Revision ID: 0015_inbox_person
Revises: 0014_retention
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_inbox_person"
down_revision = "0014_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("person", sa.String(length=200), nullable=True))
    op.create_index(
        op.f("ix_inbox_person"), "inbox", ["platform", "person", "received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_inbox_person"), table_name="inbox")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("person")
