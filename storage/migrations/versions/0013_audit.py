"""audit trail: staff actions, appended and hash-chained; members get the pseudonym it uses

Revision ID: 0013_audit
Revises: 0012_learning
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0013_audit"
down_revision = "0012_learning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("pseudonym", sa.String(length=16), nullable=True))
    members = sa.table("members", sa.column("id", sa.Integer), sa.column("pseudonym", sa.String))
    connection = op.get_bind()
    for (member_id,) in connection.execute(sa.select(members.c.id)).all():
        connection.execute(
            members.update()
            .where(members.c.id == member_id)
            .values(pseudonym=storage.models.new_pseudonym())
        )
    if connection.dialect.name != "sqlite":  # SQLite would rebuild the table (and its ids)
        op.alter_column("members", "pseudonym", existing_type=sa.String(16), nullable=False)
    op.create_index(op.f("ix_members_pseudonym"), "members", ["pseudonym"], unique=True)
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_entries_hash")),
        sa.UniqueConstraint("previous_hash", name=op.f("uq_audit_entries_previous_hash")),
    )
    op.create_index(op.f("ix_audit_entries_actor"), "audit_entries", ["actor"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_entries_actor"), table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_index(op.f("ix_members_pseudonym"), table_name="members")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("pseudonym")
