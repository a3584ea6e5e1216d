"""home pages at scale: open appeals counted by state, privilege and term; by executor, direction, signer and state

The direction's and the signer's single-column indexes become the first columns of
composite ones (the same queries keep their index), so that a signer's scope over open
appeals reads only the open ones of the direction instead of all it ever had.

Revision ID: h_home_indexes
Revises: e_register_export
Create Date: 2026-12-01 07:30:00
"""

from alembic import op

revision = "h_home_indexes"
down_revision = "e_register_export"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_status_privileged", ["status", "is_privileged", "due_date"], unique=False)
        batch_op.create_index("ix_appeal_main_executor_status", ["main_executor_id", "status"], unique=False)
        batch_op.create_index("ix_appeal_direction_status_due", ["direction_id", "status", "due_date"], unique=False)
        batch_op.create_index("ix_appeal_signer_status_due", ["signer_id", "status", "due_date"], unique=False)
        batch_op.drop_index("ix_appeal_direction_id")
        batch_op.drop_index("ix_appeal_signer_id")


def downgrade():
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_signer_id", ["signer_id"], unique=False)
        batch_op.create_index("ix_appeal_direction_id", ["direction_id"], unique=False)
        batch_op.drop_index("ix_appeal_signer_status_due")
        batch_op.drop_index("ix_appeal_direction_status_due")
        batch_op.drop_index("ix_appeal_main_executor_status")
        batch_op.drop_index("ix_appeal_status_privileged")
