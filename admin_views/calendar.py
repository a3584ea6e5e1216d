"""The director's working-day calendar: non-working days and the public-holidays switch."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import lazy_gettext as _l

from admin_views.base import PortalModelView
from admin_views.forms.fields import enum_select
from portal.extensions import db
from portal.models.calendar import CalendarDay
from portal.models.enums import CalendarDayKind
from portal.services import calendar


class CalendarDayView(PortalModelView):
    area = "calendar_day"
    list_template = "admin/calendar_list.html"
    column_list = ("day", "kind", "name")
    column_sortable_list = ("day", "kind", "name")
    column_default_sort = [("day", True)]
    column_searchable_list = ("name",)
    column_filters = ("day", "kind")
    form_columns = ("day", "kind", "name")
    form_overrides = {"kind": enum_select(CalendarDayKind)}
    form_args = {
        "day": {"description": _l("Saturdays and Sundays are days off anyway; add holidays and other days off.")}
    }
    action_permissions = {"delete": "delete"}
    extra_view_actions = {"holidays_view": "edit"}

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["public_holidays_off"] = calendar.public_holidays_off()
        return super().render(template, **kwargs)

    def after_model_change(self, form, model, is_created):
        calendar.forget()

    def after_model_delete(self, model):
        calendar.forget()

    @expose("/holidays/", methods=("POST",))
    def holidays_view(self):
        """Switch public holidays on or off as days off (off under martial law)."""
        value = request.form.get("public_holidays_off") == "1"
        calendar.set_public_holidays_off(value)
        db.session.commit()
        flash(
            _l("Public holidays are days off.") if value else _l("Public holidays are working days."),
            "success",
        )
        return redirect(self.get_url(".index_view"))


def register(admin) -> None:
    from admin_views.menu import CATEGORY_SYSTEM

    admin.add_view(CalendarDayView(CalendarDay, name=_l("Working-day calendar"), category=CATEGORY_SYSTEM))
