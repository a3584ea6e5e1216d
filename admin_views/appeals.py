"""Appeal screens."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from admin_views.base import PortalModelView
from portal.models.appeals import Appeal
from portal.services.scope import scope_appeals


class AppealView(PortalModelView):
    area = "appeal"
    simple_list_pager = True
    column_list = ("reg_number", "registered_at", "channel", "applicant", "summary", "topic", "status", "due_date")
    column_default_sort = ("registered_at", True)
    column_searchable_list = ("reg_number", "ukc_number")
    column_filters = ("status", "channel", "appeal_type", "due_date")

    def scope_query(self, query):
        return scope_appeals(query, current_user)


def register(admin) -> None:
    from admin_views import CATEGORY_APPEALS

    admin.add_view(AppealView(Appeal, name=_l("Appeals"), category=CATEGORY_APPEALS))
