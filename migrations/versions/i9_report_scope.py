"""report runs remember the scope of the user who asked (a signer's report holds only what the signer may read)

Revision ID: i9_report_scope
Revises: i11_scale
Create Date: 2026-12-01 04:17:31

Runs made before this revision were made for every appeal: they keep the empty scope.
"""

import sqlalchemy as sa
from alembic import op

revision = "i9_report_scope"
down_revision = "i11_scale"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope_key", sa.String(length=100), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_report_run_scope_key"), ["scope_key"], unique=False)


def downgrade():
    with op.batch_alter_table("report_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_run_scope_key"))
        batch_op.drop_column("scope_key")
