"""The Alembic migrations build exactly the schema the models describe, audit log triggers included."""

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db
from portal.models.audit import AuditLog
from portal.models.enums import AuditAction
from tests.conftest import PG_URL


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
    assert diff == [], f"models and migrations differ; add a new revision (scripts/new_migration.sh): {diff[:5]}"


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


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request, tmp_path):
    """An empty database: a new SQLite file, or a new schema in the PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL: set PORTAL_TEST_DATABASE_URL")
    schema = f"fresh_upgrade_{os.getpid()}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_flask_db_upgrade_alone_makes_the_audit_log_append_only(fresh_database_url, redis_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "REDIS_URL": redis_url, "DATABASE_URL": fresh_database_url})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.insert(AuditLog).values(action=AuditAction.LOGIN, model="User", record_label="x"))
        for statement in ("UPDATE audit_log SET record_label = 'changed'", "DELETE FROM audit_log"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as conn:
                conn.execute(sa.text(statement))
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT record_label FROM audit_log")).scalars().all() == ["x"]
        db.engine.dispose()
