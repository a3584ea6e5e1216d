"""User accounts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from admin_views.base import PortalModelView
from portal.models.users import User


class UserView(PortalModelView):
    area = "user"
    column_list = ("username", "full_name", "role", "executor", "direction", "active", "last_login_at")
    column_exclude_list = ("password_hash",)
    form_excluded_columns = ("password_hash", "session_version", "created_at", "updated_at")


def register(admin) -> None:
    from admin_views import CATEGORY_SYSTEM

    admin.add_view(UserView(User, name=_l("Users"), category=CATEGORY_SYSTEM))
