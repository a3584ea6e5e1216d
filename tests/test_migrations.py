"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db


def include_name(name, type_, parent_names):
    """The full-text index lives outside the models (FTS5 virtual table and its shadow tables)."""
    return not (type_ == "table" and name.startswith("appeal_fts"))


def test_migrations_match_models(tmp_path, redis_url):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "REDIS_URL": redis_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'migrated.sqlite'}",
        }
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ; regenerate the migration: {diff[:5]}"


def test_init_db_installs_reference_data_and_audit_triggers(tmp_path, redis_url):
    import pytest
    import sqlalchemy as sa

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "REDIS_URL": redis_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'init.sqlite'}",
        }
    )
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.execute(sa.text("SELECT count(*) FROM kekv")).scalar() > 5
        from portal.models.enums import AuditAction
        from portal.services import audit

        audit.log_event(AuditAction.LOGIN, model="User", label="x")
        db.session.commit()
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.text("DELETE FROM audit_log"))
        db.session.rollback()
        db.engine.dispose()
