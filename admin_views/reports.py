"""Report runs."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from admin_views.base import PortalModelView
from portal.models.reports import ReportRun


class ReportView(PortalModelView):
    area = "report"
    column_list = ("created_at", "kind", "title", "state", "progress", "requested_by")
    column_default_sort = ("created_at", True)


def register(admin) -> None:
    from admin_views import CATEGORY_REPORTS

    admin.add_view(ReportView(ReportRun, name=_l("Reports"), category=CATEGORY_REPORTS))
