"""Stock Flask-Admin over the portal's tables: the baseline ``make bench`` compares with.

An automapped ``ModelView`` per table with Flask-Admin's defaults (LIMIT/OFFSET pages, a
COUNT of every list, ``LIKE '%…%'`` search, its own filters), no login, no templates of the
portal. Served by waitress on 127.0.0.1:PORT.

    .venv/bin/python scripts/stock_admin.py --database-url sqlite:///… --port 5182
"""

from __future__ import annotations

import argparse

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.ext.automap import automap_base


def create_app(url: str) -> Flask:
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="stock-admin-bench")
    db = SQLAlchemy()
    db.init_app(app)
    Babel(app)  # Flask-Admin's templates translate through Flask-Babel when it is installed
    with app.app_context():
        base = automap_base()
        base.prepare(autoload_with=db.engine, reflection_options={"only": ["appeal", "applicant", "audit_log"]})
        Appeal, Applicant, AuditLog = base.classes.appeal, base.classes.applicant, base.classes.audit_log

    class AppealView(ModelView):
        column_list = (
            "reg_number",
            "registered_at",
            "channel",
            "ukc_number",
            "summary",
            "status",
            "due_date",
            "is_privileged",
        )
        column_searchable_list = ("reg_number", "ukc_number", "regional_number", "applicant.full_name")
        column_filters = ("status", "main_executor_id", "is_privileged", "due_date")
        column_sortable_list = ("reg_number", "registered_at", "status", "due_date")
        column_default_sort = ("registered_at", True)
        page_size = 50
        can_view_details = True

    class AuditView(ModelView):
        column_filters = ("username", "model", "action")
        column_default_sort = ("id", True)
        page_size = 50
        can_view_details = True

    admin = Admin(app, name="stock")
    admin.add_view(AppealView(Appeal, db, endpoint="appeal"))
    admin.add_view(ModelView(Applicant, db, endpoint="applicant"))
    admin.add_view(AuditView(AuditLog, db, endpoint="audit_log"))
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=5182)
    args = parser.parse_args()
    from waitress import serve

    serve(create_app(args.database_url), host="127.0.0.1", port=args.port, threads=4, _quiet=True)


if __name__ == "__main__":
    main()
