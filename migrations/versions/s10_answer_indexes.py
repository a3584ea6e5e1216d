"""weekly analysis by the answer: indexes on the dispatch and forwarding moments

Revision ID: s10_answer_indexes
Revises: i11_scale
Create Date: 2026-12-01 04:40:00
"""

from alembic import op

revision = "s10_answer_indexes"
down_revision = "i11_scale"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_sent_forwarded", ["sent_at", "forwarded_at"], unique=False)
        batch_op.create_index("ix_appeal_forwarded", ["forwarded_at"], unique=False)


def downgrade():
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_forwarded")
        batch_op.drop_index("ix_appeal_sent_forwarded")
