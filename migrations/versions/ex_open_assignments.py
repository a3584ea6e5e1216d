"""an assignment marks whether its appeal is open; an executor body's open assignments indexed

An executor sees the appeals its body has an assignment of. Its home page and its work
lists read open appeals only, yet found them through every assignment the body ever had:
1.2 million at ten million appeals, merged with the open appeals (about 1 s a home page on
PostgreSQL). ``assignment.appeal_open`` (kept by ``portal.services.open_marks``) and the
partial index over the open ones let those reads start from the body's few thousand open
assignments.

The column is added with its default (false: no table rewrite on PostgreSQL), then the
assignments of open appeals are marked; the index is built over those alone, and on
PostgreSQL the table analyzed.

Revision ID: ex_open_assignments
Revises: g2_fts_ascii
Create Date: 2026-12-01 16:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "ex_open_assignments"
down_revision = "g2_fts_ascii"
branch_labels = None
depends_on = None

# the open states at this revision (portal.models.enums.OPEN_STATUSES)
OPEN_STATES = ("registered", "on_resolution", "assigned", "in_work", "answer_drafted", "on_signing", "signed")


def upgrade():
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appeal_open", sa.Boolean(), server_default=sa.false(), nullable=False))
    assignment = sa.table("assignment", sa.column("appeal_id", sa.Integer), sa.column("appeal_open", sa.Boolean))
    appeal = sa.table("appeal", sa.column("id", sa.Integer), sa.column("status", sa.String))
    open_ids = sa.select(appeal.c.id).where(appeal.c.status.in_(OPEN_STATES))
    op.execute(assignment.update().where(assignment.c.appeal_id.in_(open_ids)).values(appeal_open=sa.true()))
    op.create_index(
        "ix_assignment_open_executor",
        "assignment",
        ["executor_id", "appeal_id", "executor_role", "appeal_open"],
        unique=False,
        postgresql_where=sa.text("appeal_open"),
        sqlite_where=sa.text("appeal_open = 1"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # the planner learns how few assignments are open: a new column has no statistics, and marking the
        # open ones changes too few rows (1 %) for autovacuum to analyze the table. Without them it expects
        # half of a body's assignments open and hashes every open appeal for an executor's home (175 ms
        # instead of 20 at ten million appeals).
        op.execute("ANALYZE assignment")


def downgrade():
    op.drop_index("ix_assignment_open_executor", table_name="assignment")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_column("appeal_open")
