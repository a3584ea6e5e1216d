"""the appeals register's full export: a report run kind

Revision ID: e_register_export
Revises: m11_search_tsv
Create Date: 2026-12-01 07:30:00

"""

from alembic import op

revision = "e_register_export"
down_revision = "m11_search_tsv"
branch_labels = None
depends_on = None

OLD_KINDS = ("weekly", "quarterly", "budget_execution", "staff_list", "audit_export")
NEW_KINDS = (*OLD_KINDS, "register_export")


def _replace_kind_check(kinds) -> None:
    with op.batch_alter_table("report_run", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_report_run_reportkind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_report_run_reportkind"), f"kind IN ({', '.join(repr(k) for k in kinds)})"
        )


def upgrade():
    _replace_kind_check(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM report_run WHERE kind = 'register_export'")
    _replace_kind_check(OLD_KINDS)
