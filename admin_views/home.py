"""The home page after login: what waits for this user."""
from __future__ import annotations

from flask_admin import AdminIndexView, expose
from flask_login import current_user

from portal.services import dashboard


class HomeView(AdminIndexView):
    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    @expose("/")
    def index(self):
        return self.render("admin/home.html", board=dashboard.for_user(current_user))
