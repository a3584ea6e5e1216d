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

    from portal import error_pages, i18n, redis_conn, security
    from portal.extensions import csrf, db, migrate
    from portal.services import audit

    db.init_app(app)
    migrate.init_app(app, db, directory=app.config.get("MIGRATIONS_DIR") or _migrations_dir())
    csrf.init_app(app)
    i18n.init_app(app)
    redis_conn.init_app(app)
    audit.init_app(app)
    security.init_app(app)
    error_pages.init_app(app)

    from portal.auth import init_app as init_auth
    from portal.health import bp as health_bp

    init_auth(app)
    app.register_blueprint(health_bp)

    from admin_views import init_admin

    init_admin(app)

    from portal import cli

    cli.init_app(app)
    return app


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
