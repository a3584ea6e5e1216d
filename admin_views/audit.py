"""The audit log: read-only for everyone, the director included.

No create, edit, delete, inline edit or bulk action exists on this screen, whatever the
permission table says; the routes answer 403 and the attempt is itself logged. Lists never
count rows (``simple_list_pager``), read newest first by id, and every filter and the search
are answered from an index (see ``portal.models.audit``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from admin_views import compat
from admin_views.base import PortalModelView
from admin_views.filters import AuditFilter
from portal.auth.permissions import can
from portal.i18n import to_kyiv
from portal.labels import enum_label
from portal.models.audit import AuditLog
from portal.models.enums import AuditAction, ReportKind, Role
from portal.services import audit, history
from portal.services.errors import DomainError
from portal.services.export import attachment_header
from portal.services.pii import reveal

# every Flask-Admin route that could change an entry
WRITE_VIEWS = frozenset({"create_view", "edit_view", "delete_view", "ajax_update", "action_view"})


def _role_label(view, context, model, name):
    try:
        return enum_label(Role(model.role)) if model.role else ""
    except ValueError:
        return model.role


def _model_label(view, context, model, name):
    return history.model_label(model.model)


def _record(view, context, model, name):
    url = view.record_url(model)
    label = reveal(model.record_label) or model.record_id
    return Markup(f'<a href="{escape(url)}">{escape(label)}</a>') if url else label


LIST_DIFF_ROWS = 5  # the list shows the first changes of an entry; its details show all


def _changes(view, context, model, name):
    rows = history.diff_rows(model)
    if not rows:
        return model.detail[:200] if model.detail else ""
    lines = [f"<b>{escape(r.field)}</b>: {escape(r.text)}" for r in rows[:LIST_DIFF_ROWS]]
    if len(rows) > LIST_DIFF_ROWS:
        lines.append(f"… +{len(rows) - LIST_DIFF_ROWS}")
    return Markup("<br>".join(lines))


def _at(view, context, model, name):
    return to_kyiv(model.at).strftime("%d.%m.%Y %H:%M:%S") if model.at else ""


def _parent(view, context, model, name):
    if not model.parent_model:
        return ""
    label = f"{history.model_label(model.parent_model)} #{model.parent_id}"
    url = view.record_url_for(model.parent_model, model.parent_id)
    return Markup(f'<a href="{escape(url)}">{escape(label)}</a>') if url else label


class AuditLogView(PortalModelView):
    area = "audit_log"

    # read-only, for every role
    can_create = False
    can_edit = False
    can_delete = False
    column_editable_list = ()
    action_permissions: dict[str, str] = {}
    can_view_details = True
    details_template = "admin/audit_details.html"
    list_template = "admin/audit_list.html"

    # millions of rows: no COUNT, newest first by id, only index-backed filters, sorts and search
    simple_list_pager = True
    count_cap = 10_000
    column_default_sort = ("id", True)
    column_list = ("at", "username", "role", "ip", "action", "model", "record_label", "changes")
    column_sortable_list = (("at", "id"),)
    column_searchable_list = ("username", "record_label")
    column_details_list = (
        "id",
        "at",
        "username",
        "user_id",
        "role",
        "ip",
        "action",
        "model",
        "record_id",
        "record_label",
        "parent_model",
        "detail",
    )
    column_formatters = {
        "at": _at,
        "role": _role_label,
        "model": _model_label,
        "record_label": _record,
        "changes": _changes,
    }
    column_formatters_detail = {
        "at": _at,
        "role": _role_label,
        "model": _model_label,
        "record_label": _record,
        "parent_model": _parent,
    }
    column_filters = [
        AuditFilter("user", AuditLog.username, _l("User"), _l("is")),
        AuditFilter("model", AuditLog.model, _l("Object type"), _l("is"), options=history.model_choices),
        AuditFilter("record", AuditLog.record_id, _l("Record ID"), _l("is")),
        AuditFilter("object", AuditLog.record_id, _l("Record with its parts"), _l("type:number")),
        AuditFilter("action", AuditLog.action, _l("Action"), _l("is"), options=history.action_choices),
        AuditFilter("from", AuditLog.at, _l("Date"), _l("from"), data_type="datepicker"),
        AuditFilter("to", AuditLog.at, _l("Date"), _l("to"), data_type="datepicker"),
    ]
    export_types = ["csv", "xlsx"]

    def get_filter_arg(self, index, flt):
        # stable, language-independent URL names: ?flt0_model=Appeal&flt1_record=5
        return flt.audit_key

    def _handle_view(self, name, **kwargs):
        if name in WRITE_VIEWS and current_user.is_authenticated:
            return self.deny()
        return super()._handle_view(name, **kwargs)

    def search_query(self, query, term):
        return history.apply_search(query, term)

    # --- links to the record an entry is about -------------------------------------------
    def record_url(self, entry: AuditLog) -> str | None:
        if entry.action is AuditAction.DELETE:
            return None
        return self.record_url_for(entry.model, entry.record_id)

    def record_url_for(self, model_name: str, record_id: str) -> str | None:
        """The details page of a record, when it has one the current user may open."""
        if not model_name or not record_id:
            return None
        for view in self.admin.registry.values():
            model = getattr(view, "model", None)
            area = getattr(view, "area", "")
            if model is not None and model.__name__ == model_name and area:
                if can(current_user, area, "details"):
                    return url_for(f"{view.endpoint}.details_view", id=record_id)
                return None
        return None

    # --- an entry about an applicant is itself personal data --------------------------------
    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["filtered_records"] = self.filtered_records()
        entry = kwargs.get("model")
        if (
            template == self.details_template
            and isinstance(entry, AuditLog)
            and entry.model in history.PERSONAL_DATA_MODELS
            and entry.record_id
        ):
            audit.log_event_now(
                AuditAction.VIEW_PERSONAL_DATA,
                model=entry.model,
                record_id=entry.record_id,
                label=entry.record_label,
                detail=f"audit entry #{entry.id}",
            )
        return super().render(template, **kwargs)

    def filtered_records(self) -> list[str]:
        """The records the list is narrowed to (the "record with its parts" filter), in words."""
        described = []
        for flt, raw in compat.active_filters(self):
            if flt.audit_key != "object":
                continue
            try:
                model_name, record_id = history.clean_filter("object", raw)
            except ValueError:
                continue
            described.append(history.describe_record(model_name, record_id))
        return described

    # --- export: streamed CSV when small, a background job when large ---------------------------
    def export_params(self) -> tuple[list[list[str]], str]:
        """The active filters ([[key, raw value], …]) and search of the current list URL."""
        filters = [[flt.audit_key, value] for flt, value in compat.active_filters(self)]
        return filters, request.args.get("search", "") or ""

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if export_type not in self.export_types:
            abort(404)
        filters, search = self.export_params()
        try:
            query = history.filtered_query(filters, search)
        except (ValueError, KeyError):
            abort(400)
        limit = int(current_app.config.get("AUDIT_EXPORT_SYNC_MAX_ROWS", 10_000))
        large = export_type != "csv" or history.count_at_most(query, limit + 1) > limit
        audit.log_event_now(
            AuditAction.EXPORT,
            model=self.area,
            detail=f"{export_type}{' (job)' if large else ''} {request.query_string.decode()[:500]}",
        )
        if large:
            from portal.reports import runs

            try:
                run = runs.request_report(ReportKind.AUDIT_EXPORT, {"filters": filters, "search": search}, current_user)
            except DomainError as exc:
                flash(str(exc), "error")
                return redirect(url_for(".index_view", **cast(Mapping[str, Any], request.args)))
            flash(
                _l(
                    "The export is being prepared in the background (%(title)s); "
                    "download it from Reports when it is ready.",
                    title=run.title,
                ),
                "info",
            )
            return redirect(url_for("report.index_view"))
        from flask import Response, stream_with_context

        return Response(
            stream_with_context(history.iter_csv(query)),
            mimetype="text/csv",
            headers={"Content-Disposition": attachment_header(str(self.name), "csv")},
        )


def register(admin) -> None:
    from admin_views.menu import CATEGORY_SYSTEM

    admin.add_view(AuditLogView(AuditLog, name=_l("History"), category=CATEGORY_SYSTEM))
