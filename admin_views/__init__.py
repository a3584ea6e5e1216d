"""Flask-Admin: the index (home) view and every model screen of DESIGN §8."""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask_admin import Admin, BaseView
from flask_admin.theme import Bootstrap4Theme
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from portal.security import csp_nonce


class PortalAdmin(Admin):
    """Flask-Admin's ``Admin`` keeping an ``{endpoint: view}`` registry (its own list is private)."""

    def __init__(self, *args, **kwargs):
        self.registry: dict[str, BaseView] = {}
        self.menus: dict[tuple, Markup] = {}  # see cached_menu
        super().__init__(*args, **kwargs)

    def add_view(self, view: BaseView) -> None:
        self.registry[view.endpoint] = view
        super().add_view(view)


def cached_menu(admin_view, caller) -> Markup:
    """The main menu's HTML (``{% call cached_menu(admin_view) %}``), rendered once per role, language and screen.

    What it shows depends on nothing else: a screen is in the menu when the permission table
    lets the user's role list it, and the active item is the screen itself. Every page draws
    it, and asking every view whether the user may open it cost more than the rest of a page
    of fifty rows.
    """
    admin = getattr(admin_view, "admin", None)
    if not isinstance(admin, PortalAdmin) or not current_user.is_authenticated:
        return Markup(caller())
    role = current_user.role
    key = (getattr(role, "value", role), str(get_locale()), admin_view.endpoint)
    menu = admin.menus.get(key)
    if menu is None:
        menu = admin.menus[key] = Markup(caller())
    return menu


def asset_url(endpoint: str, *args, **values) -> str:
    """``url_for`` of a static file (``filename=``, a version ``v=``), built once per process and mount point.

    The URL of an asset depends on nothing but its arguments and where the app is mounted,
    and every page links about twenty of them (Flask-Admin's CSS and scripts, the portal's).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the LocalProxy as Flask
    urls = app.extensions.setdefault("portal_asset_urls", {})
    key = (request.script_root, endpoint, args, tuple(sorted(values.items())))
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for(endpoint, *args, **values)
    return url


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
    app.jinja_env.globals["cached_menu"] = cached_menu
    app.jinja_env.globals["asset_url"] = asset_url
    # JSON written into pages (a list's filter menu: every option of every filter) as UTF-8, not
    # \u escapes of the Cyrillic letters: a third of the bytes; |tojson still escapes < > & '
    app.jinja_env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    for module in (appeals, intake, org, budget, reports, audit, users, records, calendar, notifications):
        module.register(admin)

    @app.route("/")
    def root():
        return redirect(url_for("admin.index"))

    return admin
