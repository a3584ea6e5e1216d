"""The bell: a user's own notifications (the top bar's dropdown, a page of them, the digest choice)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from admin_views.records import PortalPage
from portal.extensions import db
from portal.services import notifications


class NotificationView(PortalPage):
    area = "notification"
    view_actions = {"index_view": "read", "read_all": "read", "settings": "read"}

    def is_visible(self) -> bool:
        return False  # reached from the bell in the top bar, not from the menu

    @expose("/")
    def index_view(self):
        return self.render(
            "admin/notifications.html",
            items=notifications.recent(current_user),
            text_of=notifications.text_of,
            digest=current_user.email_digest,
            has_email=bool(current_user.email),
        )

    @expose("/read-all/", methods=("POST",))
    def read_all(self):
        count = notifications.mark_all_read(current_user)
        db.session.commit()
        flash(_("Notifications marked as read: %(n)s.", n=count), "success")
        return redirect(self._back())

    @expose("/settings/", methods=("POST",))
    def settings(self):
        notifications.set_digest(current_user, request.form.get("email_digest") == "y")
        db.session.commit()
        if current_user.email_digest:
            flash(_("The daily e-mail digest is on: it goes to %(email)s.", email=current_user.email or "—"), "success")
        else:
            flash(_("The daily e-mail digest is off."), "info")
        return redirect(url_for(".index_view"))

    def _back(self) -> str:
        target = request.form.get("next") or ""
        # only a path of this portal (no scheme, no host): never an open redirect
        if target.startswith("/") and not target.startswith("//"):
            return target
        return url_for(".index_view")


def bell():
    """The current user's bell for the top bar (None: the role has none)."""
    if not current_user.is_authenticated:
        return None
    return notifications.bell(current_user)


def register(admin) -> None:
    admin.add_view(NotificationView(name=_l("Notifications"), endpoint="notification"))
    admin.app.jinja_env.globals["notification_bell"] = bell
    admin.app.jinja_env.globals["notification_text"] = notifications.text_of
