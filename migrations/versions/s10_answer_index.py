"""weekly analysis by the answer: an index on the forwarding and dispatch moments

Revision ID: s10_answer_index
Revises: i9_report_scope
Create Date: 2026-12-01 04:40:00
"""

from alembic import op

revision = "s10_answer_index"
down_revision = "i9_report_scope"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_forwarded_sent", ["forwarded_at", "sent_at"], unique=False)


def downgrade():
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_forwarded_sent")
