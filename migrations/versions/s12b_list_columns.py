"""the appeals list's columns chosen per user (issue 12)

Revision ID: s12b_list_columns
Revises: s10_answer_index
Create Date: 2026-12-01 05:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "s12b_list_columns"
down_revision = "s10_answer_index"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "list_preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("view", sa.String(length=64), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_list_preference_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_preference")),
        sa.UniqueConstraint("user_id", "view", name="uq_list_preference_user_view"),
    )


def downgrade():
    op.drop_table("list_preference")
