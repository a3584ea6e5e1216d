"""The audit log (read-only for everyone)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from admin_views.base import PortalModelView
from portal.models.audit import AuditLog


class AuditLogView(PortalModelView):
    area = "audit_log"
    simple_list_pager = True
    column_list = ("at", "username", "role", "ip", "action", "model", "record_id", "record_label")
    column_default_sort = ("id", True)


def register(admin) -> None:
    from admin_views import CATEGORY_SYSTEM

    admin.add_view(AuditLogView(AuditLog, name=_l("History"), category=CATEGORY_SYSTEM))
