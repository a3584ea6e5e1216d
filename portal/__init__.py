"""The contact-center portal: application factory."""

from __future__ import annotations

import os

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app: config → extensions → blueprints → admin → CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or None,
        template_folder="../templates",
        static_folder="../static",
    )
    from portal import config

    config.load(app, test_config)

    from portal import database, error_pages, i18n, inputs, proxies, redis_conn, security, sessions, sqlite
    from portal.extensions import csrf, db, migrate
    from portal.services import audit, history, open_marks, search  # noqa: F401  (search, open_marks: flush hooks)

    sqlite.init_app(app)
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=app.config.get("MIGRATIONS_DIR") or _migrations_dir())
    csrf.init_app(app)
    i18n.init_app(app)
    redis_conn.init_app(app)
    audit.init_app(app)
    history.init_app(app)
    security.init_app(app)
    proxies.init_app(app)
    inputs.init_app(app)  # before any route is registered
    sessions.init_app(app)  # before the login check of portal.auth
    error_pages.init_app(app)

    from portal import health
    from portal.auth import views as auth_views

    auth_views.init_app(app)
    health.init_app(app)

    from admin_views import init_admin

    init_admin(app)

    from portal import cli, cli_data, cli_intake, cli_jobs, cli_records

    cli.init_app(app)
    cli_data.init_app(app)
    cli_jobs.init_app(app)
    cli_records.init_app(app)
    cli_intake.init_app(app)
    return app


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
