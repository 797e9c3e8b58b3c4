"""retention: indexes on the columns the retention sweep deletes by

Revision ID: 0014_retention
Revises: 0013_audit
"""

from alembic import op

revision = "0014_retention"
down_revision = "0013_audit"
branch_labels = None
depends_on = None

# (index, table, column): each purge is one DELETE ... WHERE on its column (services/retention.py);
# intro_consents.introduction_id is what the database sets to NULL when an introduction goes.
INDEXES = (
    ("ix_team_questions_answered_at", "team_questions", "answered_at"),
    ("ix_conversation_states_expires_at", "conversation_states", "expires_at"),
    ("ix_inbox_handled_at", "inbox", "handled_at"),
    ("ix_asked_questions_asked_at", "asked_questions", "asked_at"),
    ("ix_knowledge_candidates_created_on", "knowledge_candidates", "created_on"),
    ("ix_intro_consents_introduction_id", "intro_consents", "introduction_id"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
