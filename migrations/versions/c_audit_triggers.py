"""audit log triggers: the database refuses UPDATE and DELETE on audit_log

Revision ID: c_audit_triggers
Revises: 36cf8cb6e916
Create Date: 2026-12-01 01:00:00

Until this revision ``init-db`` installed the triggers after upgrading, so a schema built by
``flask db upgrade`` alone left the log unprotected. The statements are idempotent: a
database whose triggers ``init-db`` already installed upgrades cleanly. The SQL is written
out here, not imported, so this revision stays what it was when the code moves on.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c_audit_triggers"
down_revision = "36cf8cb6e916"
branch_labels = None
depends_on = None

UPGRADE = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
        "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()",
    ],
}

DOWNGRADE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_log_no_update",
        "DROP TRIGGER IF EXISTS audit_log_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
        "DROP FUNCTION IF EXISTS audit_log_refuse()",
    ],
}


def _run(statements: dict) -> None:
    dialect = op.get_bind().dialect.name
    if dialect not in statements:
        raise NotImplementedError(f"no audit log triggers for {dialect}")
    for statement in statements[dialect]:
        op.execute(statement)


def upgrade():
    _run(UPGRADE)


def downgrade():
    _run(DOWNGRADE)
