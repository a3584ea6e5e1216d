"""drop four indexes no query needs: three prefixes of composite ones, and the status changes' moment

``ix_appeal_due_date`` (due_date) is ``ix_appeal_due_id`` (due_date, id) without its last
column (on SQLite the same entries: every index ends with the rowid), ``ix_appeal_is_privileged``
a prefix of ``ix_appeal_privileged_registered`` and ``ix_appeal_main_executor_id`` of
``ix_appeal_main_executor_registered`` (and of ``…_main_executor_status``): every lookup, range
and foreign-key check they served is served by the composite index. ``ix_status_change_at``
serves no query: an appeal's history is read by ``ix_status_change_appeal_id`` and sorted in
memory, and the reports count the appeal's own moments. Each index cost every insert (the
bulk generator writes 8.6 status changes an appeal) and its pages in the cache.

Revision ID: g2_redundant_indexes
Revises: pg_worklist_index
Create Date: 2026-12-01 16:30:00
"""

from alembic import op

revision = "g2_redundant_indexes"
down_revision = "pg_worklist_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_due_date")
        batch_op.drop_index("ix_appeal_is_privileged")
        batch_op.drop_index("ix_appeal_main_executor_id")
    with op.batch_alter_table("status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_status_change_at")


def downgrade():
    with op.batch_alter_table("status_change", schema=None) as batch_op:
        batch_op.create_index("ix_status_change_at", ["at"], unique=False)
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_main_executor_id", ["main_executor_id"], unique=False)
        batch_op.create_index("ix_appeal_is_privileged", ["is_privileged"], unique=False)
        batch_op.create_index("ix_appeal_due_date", ["due_date"], unique=False)
