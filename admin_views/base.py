"""The base admin view: every Flask-Admin route checks the permission table and the row scope."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.auth.permissions import can
from portal.extensions import db
from portal.i18n import format_date, format_datetime
from portal.models.enums import AuditAction
from portal.services import audit
from portal.services.errors import DomainError
from portal.services.export import neutralise_formula

import datetime as _dt
import enum as _enum
from decimal import Decimal


def _fmt_date(view, value, *args):
    return format_date(value)


def _fmt_datetime(view, value, *args):
    return format_datetime(value)


def _fmt_enum(view, value, *args):
    return str(value)


def _fmt_decimal(view, value, *args):
    return f"{value:,.2f}".replace(",", "\u00a0")


def _fmt_bool(view, value, *args):
    from flask_admin.model.typefmt import bool_formatter

    return bool_formatter(view, value, *args)


TYPE_FORMATTERS = {
    type(None): lambda view, value, *a: "",
    bool: _fmt_bool,
    _dt.date: _fmt_date,
    _dt.datetime: _fmt_datetime,
    _enum.Enum: _fmt_enum,
    Decimal: _fmt_decimal,
    list: lambda view, value, *a: ", ".join(str(v) for v in value),
}
EXPORT_TYPE_FORMATTERS = dict(TYPE_FORMATTERS, bool=lambda view, value, *a: "так" if value else "ні")
EXPORT_TYPE_FORMATTERS[bool] = lambda view, value, *a: str(_l("yes")) if value else str(_l("no"))
EXPORT_TYPE_FORMATTERS[Decimal] = lambda view, value, *a: str(value)

# Flask-Admin view function → permission action
VIEW_ACTIONS = {
    "index_view": "list",
    "details_view": "details",
    "create_view": "create",
    "edit_view": "edit",
    "delete_view": "delete",
    "export": "export",
    "ajax_update": "edit",
}


class PortalModelView(ModelView):
    """Declarative options in subclasses; permissions, scope, formatting and errors here."""

    area: str = ""  # permission area (DESIGN §8 endpoint name)
    # extra exposed views of a subclass: view function name → permission action
    extra_view_actions: dict[str, str] = {}
    # bulk actions of a subclass: action name → permission action
    action_permissions: dict[str, str] = {"delete": "delete"}

    page_size = 50
    can_set_page_size = True
    can_view_details = True
    export_types = ["csv"]
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS
    column_type_formatters_export = EXPORT_TYPE_FORMATTERS
    list_template = "admin/portal_list.html"
    details_template = "admin/portal_details.html"
    create_template = "admin/portal_create.html"
    edit_template = "admin/portal_edit.html"

    # set True on views whose details/edit pages show an applicant's personal data
    logs_personal_data: bool = False

    def __init__(self, model, *args, **kwargs):
        kwargs.setdefault("endpoint", self.area)
        # field labels come from the model (info={"label": ...}); a view may override some
        from portal.labels import field_labels

        self.column_labels = {**field_labels(model), **(self.column_labels or {})}
        super().__init__(model, db, *args, **kwargs)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if (self.logs_personal_data and model is not None
                and template in (self.details_template, self.edit_template)):
            audit.log_event_now(AuditAction.VIEW_PERSONAL_DATA, model=type(model).__name__,
                                record_id=getattr(model, "id", None), label=str(model))
        return super().render(template, **kwargs)

    # --- permissions -----------------------------------------------------------
    def allowed(self, action: str) -> bool:
        return current_user.is_authenticated and can(current_user, self.area, action)

    # Flask-Admin reads these for buttons, row actions and its own guards
    @property
    def can_create(self):  # type: ignore[override]
        return self.allowed("create")

    @property
    def can_edit(self):  # type: ignore[override]
        return self.allowed("edit")

    @property
    def can_delete(self):  # type: ignore[override]
        return self.allowed("delete")

    @property
    def can_export(self):  # type: ignore[override]
        return self.allowed("export")

    @property
    def export_max_rows(self):  # type: ignore[override]
        from flask import current_app

        return current_app.config["EXPORT_MAX_ROWS"]

    def is_accessible(self) -> bool:
        return self.allowed("list")

    def is_visible(self) -> bool:
        return self.is_accessible()

    def deny(self):
        """Log the denial and answer 403."""
        audit.log_event_now(
            AuditAction.DENIED, model=self.area, record_id=request.args.get("id"),
            detail=f"{request.method} {request.full_path.rstrip('?')}",
        )
        abort(403)

    def required_action(self, name: str) -> str | None:
        if name == "ajax_lookup":
            return "create" if self.allowed("create") else "edit"
        return self.extra_view_actions.get(name) or VIEW_ACTIONS.get(name)

    def _handle_view(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        if name == "action_view":
            action = request.form.get("action", "")
            needed = self.action_permissions.get(action)
            if needed is None or not self.allowed(needed):
                return self.deny()
            return None
        needed = self.required_action(name)
        if needed is None or not self.allowed(needed):
            return self.deny()
        return None

    def is_action_allowed(self, name: str) -> bool:
        needed = self.action_permissions.get(name)
        return needed is not None and self.allowed(needed)

    # --- row scope: list, count, details/edit/delete/inline edit all agree ------
    def scope_query(self, query):
        """Restrict a query on this view's model to the rows the current user may see."""
        return query

    def get_query(self):
        return self.scope_query(super().get_query())

    def get_count_query(self):
        return self.scope_query(super().get_count_query())

    def get_one(self, id):
        from flask_admin.contrib.sqla import tools

        pk = tools.iterdecode(id)
        pk = pk[0] if isinstance(pk, tuple) and len(pk) == 1 else pk
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            return None
        return self.get_query().filter(self.model.id == pk).one_or_none()

    # --- errors: a broken rule is a message, and the form keeps what was typed ---
    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, DomainError):
            flash(str(exc), "error")
            return True
        return super().handle_view_exception(exc)

    # --- exports: logged, capped, formulas neutralised ----------------------------
    def get_export_value(self, model, name):
        return neutralise_formula(super().get_export_value(model, name))

    @expose("/export/<export_type>/")
    def export(self, export_type):
        audit.log_event_now(AuditAction.EXPORT, model=self.area,
                            detail=f"{export_type} {request.query_string.decode()[:500]}")
        return super().export(export_type)
