"""Flask-Admin: the index (home) view and every model screen of DESIGN §8."""

from __future__ import annotations

from flask import redirect, url_for
from flask_admin import Admin, BaseView
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from portal.security import csp_nonce


class PortalAdmin(Admin):
    """Flask-Admin's ``Admin`` keeping an ``{endpoint: view}`` registry (its own list is private)."""

    def __init__(self, *args, **kwargs):
        self.registry: dict[str, BaseView] = {}
        super().__init__(*args, **kwargs)

    def add_view(self, view: BaseView) -> None:
        self.registry[view.endpoint] = view
        super().add_view(view)


def init_admin(app) -> PortalAdmin:
    from admin_views import (
        appeals,
        audit,
        budget,
        calendar,
        intake,
        notifications,
        org,
        records,
        reports,
        uk_fixes,
        users,
    )
    from admin_views.home import HomeView

    admin = PortalAdmin(
        app,
        name=_l("Contact center"),
        index_view=HomeView(name=_l("Home"), url="/admin", endpoint="admin"),
        theme=Bootstrap4Theme(swatch="cerulean", fluid=True, base_template="admin/portal_master.html"),
        csp_nonce_generator=csp_nonce,
    )
    uk_fixes.install()
    for module in (appeals, intake, org, budget, reports, audit, users, records, calendar, notifications):
        module.register(admin)

    @app.route("/")
    def root():
        return redirect(url_for("admin.index"))

    return admin
