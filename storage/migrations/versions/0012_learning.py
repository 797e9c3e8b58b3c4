"""learning from use: candidate phrasings linked to nobody, and the digests a staff answer holds
until staff choose an entry

Revision ID: 0012_learning
Revises: 0011_pulse
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_learning"
down_revision = "0011_pulse"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("asker_digest", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_candidates")),
    )
    op.create_index(
        "ix_knowledge_candidates_state",
        "knowledge_candidates",
        ["state", "entry_id"],
        unique=False,
    )
    with op.batch_alter_table("team_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("learn_digests", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("team_questions", schema=None) as batch_op:
        batch_op.drop_column("learn_digests")
    op.drop_index("ix_knowledge_candidates_state", table_name="knowledge_candidates")
    op.drop_table("knowledge_candidates")
