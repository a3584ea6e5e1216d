"""notifications, the outgoing journal's counter, signed orders and the daily digest preference

Revision ID: s12a_notifications
Revises: s12b_list_columns
Create Date: 2026-12-01 04:40:00

Orders made before this revision took effect through the employee form already: they are
marked signed (at their creation), so they stay as final as they were in practice.
"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "s12a_notifications"
down_revision = "s12b_list_columns"
branch_labels = None
depends_on = None

KINDS = ("to_resolve", "assigned", "to_sign", "returned", "term_ending")


def upgrade():
    op.create_table(
        "outgoing_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_outgoing_counter")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="notificationkind", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("dedup_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.Column("read_at", portal.models.base.UTCDateTime(), nullable=True),
        sa.Column("emailed_at", portal.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeal.id"], name=op.f("fk_notification_appeal_id_appeal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_notification_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("user_id", "dedup_key", name="uq_notification_user_key"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_user_unread", ["user_id", "read_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_appeal_id"), ["appeal_id"], unique=False)
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_digest", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate", sa.Numeric(precision=4, scale=2), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("signed_at", portal.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("signed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_order_signed_by_id_user"), "user", ["signed_by_id"], ["id"])
    op.execute('UPDATE "order" SET signed_at = created_at')


def downgrade():
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_order_signed_by_id_user"), type_="foreignkey")
        batch_op.drop_column("signed_by_id")
        batch_op.drop_column("signed_at")
        batch_op.drop_column("rate")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("email_digest")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_appeal_id"))
        batch_op.drop_index("ix_notification_user_unread")
    op.drop_table("notification")
    op.drop_table("outgoing_counter")
