"""terms of the law: working-day calendar, cancelled appeals, forwarding date, reopen counter

Revision ID: i10_terms
Revises: i13_records
Create Date: 2026-11-23 10:00:00

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "i10_terms"
down_revision = "i13_records"
branch_labels = None
depends_on = None

OLD_STATES = (
    "registered",
    "on_resolution",
    "assigned",
    "in_work",
    "answer_drafted",
    "on_signing",
    "signed",
    "sent",
    "closed",
    "returned_to_applicant",
    "not_considered",
    "forwarded",
)
NEW_STATES = (*OLD_STATES, "cancelled")
# (table, column, constraint name of the enum's CHECK)
STATE_COLUMNS = (
    ("appeal", "status", "appealstatus"),
    ("status_change", "from_status", "from_status"),
    ("status_change", "to_status", "to_status"),
)


def _states_check(column: str, states) -> str:
    return f"{column} IN ({', '.join(repr(s) for s in states)})"


def _replace_state_checks(states) -> None:
    for table, column, name in STATE_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), _states_check(column, states))


def upgrade():
    op.create_table(
        "calendar_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "public_holiday",
                "day_off",
                name="calendardaykind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_day")),
        sa.UniqueConstraint("day", name=op.f("uq_calendar_day_day")),
    )
    op.create_table(
        "calendar_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_holidays_off", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_setting")),
    )
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forwarded_at", portal.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False))
    # the forwarding day of appeals forwarded before this revision: their last step's time
    op.execute(
        "UPDATE appeal SET forwarded_at = (SELECT max(sc.at) FROM status_change sc "
        "WHERE sc.appeal_id = appeal.id AND sc.to_status = 'forwarded') WHERE forwarded_to <> ''"
    )
    _replace_state_checks(NEW_STATES)


def downgrade():
    op.execute("UPDATE status_change SET from_status = 'registered' WHERE from_status = 'cancelled'")
    op.execute("DELETE FROM status_change WHERE to_status = 'cancelled'")
    op.execute("UPDATE appeal SET status = 'not_considered' WHERE status = 'cancelled'")
    _replace_state_checks(OLD_STATES)
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.drop_column("reopen_count")
        batch_op.drop_column("forwarded_at")
    op.drop_table("calendar_setting")
    op.drop_table("calendar_day")
