"""The home page after login: what waits for this user."""

from __future__ import annotations

from flask_admin import AdminIndexView, expose
from flask_login import current_user

from admin_views import records
from portal.i18n import format_money
from portal.services import dashboard


class HomeView(AdminIndexView):
    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def sections(self) -> list[tuple[str, str]]:
        """(name, url) of every screen this user may open, in menu order: the start page of other roles."""
        return [
            (str(view.name), view.get_url(f"{view.endpoint}.index_view"))
            for view in self.admin.registry.values()
            if view is not self and view.is_accessible() and getattr(view, "area", None)
        ]

    def appeal_sort_index(self, column: str) -> int | None:
        """The list's ``sort`` argument for ``column`` of the appeals list (None if it cannot sort by it)."""
        view = self.admin.registry.get("appeal")
        columns = [name for name, _ in view.get_list_columns()] if view is not None else []
        return columns.index(column) if column in columns else None

    @expose("/")
    def index(self):
        return self.render(
            "admin/home.html",
            board=dashboard.for_user(current_user),
            sections=self.sections(),
            due_sort=self.appeal_sort_index("due_date"),
            records=records.home_panel(current_user),
            vacancy_url=self.vacancy_url(),
            format_money=format_money,
        )

    def vacancy_url(self) -> str | None:
        positions = self.admin.registry.get("staff_position")
        vacancy_url = getattr(positions, "vacancy_url", None)
        return vacancy_url() if vacancy_url is not None else None
