"""The base admin view: every Flask-Admin route checks the permission table and the row scope.

Every route a subclass exposes goes through :meth:`PortalModelView._handle_view`: anonymous
users are sent to the login page, a request the permission table does not allow answers
403 and is logged, and a read-only role (the auditor) never gets through a write method.
Lists, counts, details, edits, deletes, bulk actions, inline edits, exports and form
pickers all read rows through :meth:`scope_query`, so they agree on what a user may see.
"""

from __future__ import annotations

import datetime as _dt
import enum as _enum
import logging
import time
from collections import OrderedDict
from decimal import Decimal
from urllib.parse import quote

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import gettext as admin_gettext
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.form import BaseForm
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload, selectinload
from wtforms import Form as WTForm

from admin_views import compat, paging
from admin_views.filters import LazyOptions
from admin_views.forms.pickers import parse_pk
from portal import database
from portal.auth.permissions import can, is_read_only
from portal.extensions import db
from portal.i18n import format_date, format_datetime, format_money
from portal.models.enums import AuditAction
from portal.services import audit
from portal.services.errors import DomainError
from portal.services.export import attachment_header, csv_lines, neutralise_formula


def _fmt_date(view, value, *args):
    return format_date(value)


def _fmt_datetime(view, value, *args):
    return format_datetime(value)


def _fmt_enum(view, value, *args):
    return str(value)


def _fmt_decimal(view, value, *args):
    return format_money(value)


def money(view, context, model, name):
    """A list cell of an amount of money (empty when there is none)."""
    value = getattr(model, name)
    return "" if value is None else format_money(value)


def _fmt_bool(view, value, *args):
    """A check or a cross, named in words for screen readers and tooltips."""
    from markupsafe import Markup

    label = _l("yes") if value else _l("no")
    icon = "fa-check-circle" if value else "fa-minus-circle"
    return Markup('<span class="fa {}" role="img" title="{}" aria-label="{}"></span>').format(icon, label, label)


# datetime before date: a datetime is a date too, and the first match wins
TYPE_FORMATTERS = {
    _dt.datetime: _fmt_datetime,
    _dt.date: _fmt_date,
    type(None): lambda view, value, *a: "",
    bool: _fmt_bool,
    _enum.Enum: _fmt_enum,
    Decimal: _fmt_decimal,
    list: lambda view, value, *a: ", ".join(str(v) for v in value),
}
EXPORT_TYPE_FORMATTERS = dict(TYPE_FORMATTERS)
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
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXPORT_BATCH = 500
MIN_ID, MAX_ID = 1, 2**63 - 1
INVALID_VALUE_MESSAGE = _l("A value is not valid (too large, out of range or malformed); nothing was saved.")
log = logging.getLogger(__name__)


def _finite(value) -> bool:
    if isinstance(value, float | Decimal):
        return value.is_finite() if isinstance(value, Decimal) else value == value and abs(value) != float("inf")
    if isinstance(value, int) and not isinstance(value, bool):
        return -MAX_ID <= value <= MAX_ID
    if isinstance(value, _dt.date):
        return 1900 <= value.year <= 2100  # dates a contact center deals with; no tz arithmetic overflow
    return True


def filter_value_ok(view, flt, value: str) -> bool:
    """Can ``flt`` apply ``value`` without a database or conversion error?"""
    if len(value) > 500:
        return False
    options = None
    try:
        options = flt.get_options(view)
    except Exception:
        options = None
    kind = type(flt).__name__.lower()  # FilterEqual, EnumEqualFilter, FilterInList, ... (not the translated label)
    if options and ("equal" in kind or "inlist" in kind):
        keys = {str(k) for k, _ in options}
        parts = value.split(",") if "inlist" in kind else [value]
        if not all(p.strip() in keys for p in parts):
            return False
    try:
        cleaned = flt.clean(value)
    except (ValueError, TypeError, OverflowError, ArithmeticError, LookupError):
        return False
    values = cleaned if isinstance(cleaned, list | tuple) else [cleaned]
    return all(_finite(v) for v in values)


class PortalModelView(compat.ModelViewHooks, ModelView):
    """Declarative options in subclasses; permissions, scope, formatting and errors here."""

    area: str = ""  # permission area (DESIGN §8 endpoint name)
    # extra exposed views of a subclass: view function name → permission action
    extra_view_actions: dict[str, str] = {}
    # bulk actions of a subclass: action name → permission action
    action_permissions: dict[str, str] = {"delete": "delete"}

    # One CSRF scheme: Flask-WTF's CSRFProtect checks every POST of the app. Flask-Admin's
    # templates put its token (the ``csrf_token()`` global) into every form they render —
    # create/edit, row delete, bulk actions, inline (x-editable) edits — so the admin forms
    # themselves carry no second token of their own.
    form_base_class = BaseForm
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
    # big tables: count at most this many rows ("more than N" above), keyset pager (admin_views.paging)
    count_cap: int | None = None
    # many-to-one relationships a list shows (get_query loads them, ``row_loads``)
    row_relations: tuple[str, ...] = ()
    column_labels: dict[str, str] | None  # Flask-Admin declares it twice, with two types

    def __init__(self, model, *args, **kwargs):
        kwargs.setdefault("endpoint", self.area)
        # field labels come from the model (info={"label": ...}); a view may override some
        from portal.labels import field_labels

        self.column_labels = {**field_labels(model), **(self.column_labels or {})}
        self.filter_menus: dict[str, list] = {}  # language → the filter menu's fixed part (filter_menu)
        super().__init__(model, db, *args, **kwargs)

    # --- lists: keyset pages, capped counts (admin_views.paging) -------------------------------
    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        seek = paging.plan(self, sort_column, sort_desc) if execute and self.seekable(sort_column) else None
        g.list_seek, g.list_count, g.list_pager, g.list_counting = seek, None, None, execute
        g.list_count_estimated = False
        # read by OFFSET: a page number and no key to read it from (paging.Seek.uses_offset); see row_loads
        g.list_offset = bool(page) and (seek is None or seek.uses_offset(page))
        count, data = super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        if g.list_count is not None:
            counted, exact = g.list_count
            if exact:
                return counted, seek.finish(data) if seek else data  # Flask-Admin's numbered pager
        if seek is None:
            return count, data
        data = seek.finish(data)
        size = self.page_size if page_size is None else page_size
        if count is None and size:
            g.list_pager = paging.pager_links(seek, data, page or 0, size)
        return count, data

    def row_loads(self) -> list:
        """Loader options for ``row_relations``: joined into a list page read without OFFSET (only the rows
        shown are joined: one statement instead of one more per relation), else by IN queries (a join
        would run for every row an OFFSET skips)."""
        load = selectinload if g.get("list_offset") else joinedload
        return [load(getattr(self.model, name)) for name in self.row_relations]

    def count_rows(self, query, cap: int) -> tuple[int, bool]:
        """(rows, exact?) of this request's list ``query``, reading at most ``cap`` + 1 of its rows (a view may
        count them from a smaller source that gives the same rows)."""
        return paging.capped_count(query, self.model.id, cap)

    def list_count_cap(self) -> int | None:
        """How many rows this request's list counts at most (``count_cap``; a view may lower it for a search)."""
        return self.count_cap

    def list_count_estimable(self) -> bool:
        """May this request's list show the database's estimate of its rows instead of a count, when that
        estimate is far over the cap (``paging.ESTIMATE_OVER``; the page says it is an estimate)?"""
        return False

    def seekable(self, sort_column) -> bool:
        """May this list request be read by keyset pages (its order one column and the id)? A view whose
        ``get_query`` orders some lists its own way says no for them: they page by OFFSET."""
        return True

    def paginate(self, query, page, page_size):
        seek = g.get("list_seek")
        page_size = self.page_size if page_size is None else page_size
        cap = self.list_count_cap()
        if cap and page_size and self.simple_list_pager and g.get("list_counting"):
            key = paging.over_cap.key(self.endpoint, current_user.get_id(), cap, request.args)
            over, shown = paging.over_cap.recall(key)
            if over:
                g.list_count, g.list_count_estimated = (cap if shown is None else shown, False), shown is not None
            else:
                estimate = paging.estimated_rows(query, self.model.id) if self.list_count_estimable() else None
                if estimate is not None and estimate >= paging.ESTIMATE_OVER * cap:
                    g.list_count, g.list_count_estimated = (paging.about(estimate), False), True
                    paging.over_cap.remember(key, estimate=paging.about(estimate))
                else:
                    g.list_count = self.count_rows(query, cap)
                    if not g.list_count[1]:
                        paging.over_cap.remember(key)
        if seek is None:
            return None  # Flask-Admin's LIMIT and OFFSET, in the order get_query gave
        return self.counted_seek(seek).apply(query, page, page_size)

    def counted_seek(self, seek: paging.Seek) -> paging.Seek:
        """The keyset plan of this page once the list is counted (``g.list_count``): a view may read a list
        known to be short in another way."""
        return seek

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs.setdefault("seek_pager", g.get("list_pager"))
            kwargs.setdefault("capped_count", g.get("list_count"))
            kwargs.setdefault("count_estimated", g.get("list_count_estimated", False))
            kwargs.setdefault("count_cap", self.list_count_cap())
            # row action links built once per page; the template puts each row's id in
            return_url = kwargs.get("return_url")
            row_urls = {
                "details": self.get_url(".details_view", id="__PK__", url=return_url),
                "edit": self.get_url(".edit_view", id="__PK__", url=return_url),
                # the delete form of every row (Flask-Admin's macro renders a WTForm per row)
                "delete": self.get_url(".delete_view"),
                "csrf": generate_csrf(),
                "delete_confirm": admin_gettext("Are you sure you want to delete this record?"),
                "delete_title": admin_gettext("Delete Record"),
            }
            kwargs.setdefault("row_urls", row_urls)
            kwargs.setdefault("list_rows_html", self.list_rows_html(kwargs, row_urls))
        model = kwargs.get("model")
        if model is not None and template == self.details_template:
            kwargs.setdefault("may_edit", self.may_edit_row(model))
        if self.logs_personal_data and model is not None and template in (self.details_template, self.edit_template):
            self.log_personal_data_view(model)
        return super().render(template, **kwargs)

    def log_personal_data_view(self, model) -> None:
        """Record that this request shows ``model``'s personal data, once per request. It commits (every
        loaded row expires): a page that loads what it shows up front calls it first (AppealView.render)."""
        if g.get("_personal_data_view_logged"):
            return
        g._personal_data_view_logged = True
        audit.log_event_now(
            AuditAction.VIEW_PERSONAL_DATA,
            model=type(model).__name__,
            record_id=getattr(model, "id", None),
            label=str(model),
        )

    def filter_menu(self, groups):
        """The list's filter menu: labels, operations and fixed options translated once per process and language.

        Only the options read from the database (``LazyOptions``) are read again, once per
        request (filters.LazyOptions.current); Flask-Admin would translate every label and
        option of every filter on each list page.
        """
        key = str(get_locale())
        fixed = self.filter_menus.get(key)
        if fixed is None:
            fixed = []
            for label, items in groups:
                entries = []
                for item in items:
                    entry = dict(item, operation=str(item["operation"]))
                    options = entry["options"]
                    if options and not isinstance(options, LazyOptions):
                        entry["options"] = [(k, str(v)) for k, v in options]
                    entries.append(entry)
                fixed.append((str(label), entries))
            self.filter_menus[key] = fixed
        return OrderedDict(
            (
                label,
                [
                    dict(e, options=e["options"].current()) if isinstance(e["options"], LazyOptions) else e
                    for e in entries
                ],
            )
            for label, entries in fixed
        )

    def row_url(self, endpoint: str, pk) -> str:
        """``get_url(endpoint, id=pk)`` for a list's cells: the URL is built once per request, the id put in."""
        urls = g.setdefault("_portal_row_urls", {})
        template = urls.get((self.endpoint, endpoint))
        if template is None:
            template = urls[self.endpoint, endpoint] = self.get_url(endpoint, id="__PK__")
        return template.replace("__PK__", quote(str(pk), safe=""))

    def list_rows_html(self, page: dict, row_urls: dict) -> list[Markup] | None:
        """The cells of each row of a list page as HTML, written here in one pass.

        What Flask-Admin's list template does per row and cell — a checkbox, the row action
        icons, ``get_list_value`` through Jinja's context machinery — was most of a list's
        render time. The values are the same (``compat.list_value``: this view's formatters,
        escaped as Jinja would). None — the template renders the rows — when a column is
        edited in place or a row action is not one of view, edit and delete.
        """
        if self.column_editable_list:
            return None
        actions = page.get("list_row_actions") or []
        icons = []
        edit_icon = None  # left out of the rows of records that can no longer change (frozen_reason)
        for row_action in actions if self.column_display_actions else ():
            kind = getattr(row_action, "template_name", None)
            title = escape(row_action.title or "")
            if kind == "row_actions.view_row":
                url = escape(row_urls["details"])
                icons.append(f'<a class="icon" href="{url}" title="{title}"><span class="fa fa-eye"></span></a>')
            elif kind == "row_actions.edit_row":
                url = escape(row_urls["edit"])
                edit_icon = f'<a class="icon" href="{url}" title="{title}"><span class="fa fa-pencil"></span></a>'
                icons.append(edit_icon)
            elif kind == "row_actions.delete_row":
                icons.append(
                    f'<form class="icon" method="POST" action="{escape(row_urls["delete"])}">'
                    '<input type="hidden" name="id" value="__PK__">'
                    f'<input type="hidden" name="url" value="{escape(page.get("return_url") or "")}">'
                    f'<input type="hidden" name="csrf_token" value="{escape(row_urls["csrf"])}">'
                    f'<button type="submit" data-confirm="{escape(row_urls["delete_confirm"])}" '
                    f'title="{escape(row_urls["delete_title"])}"><span class="fa fa-trash"></span></button></form>'
                )
            else:
                return None

        # each row's id goes where __PK__ is, as the template's row_urls|replace did
        def first_cells(icons: list[str]) -> str:
            head = f'<td class="list-buttons-column">{"".join(icons)}</td>' if self.column_display_actions else ""
            if page.get("actions"):
                title = escape(admin_gettext("Select record"))
                box = f'<input type="checkbox" name="rowid" class="action-checkbox" value="__PK__" title="{title}" />'
                head = f"<td>{box}</td>{head}"
            return head

        head = first_cells(icons)
        frozen_head = first_cells([icon for icon in icons if icon is not edit_icon]) if edit_icon else head
        columns = [
            (compat.cell_function(self, name), f'<td class="col-{escape(name)}">')
            for name, _ in page.get("list_columns") or ()
        ]
        rows = []
        for row in page.get("data") or ():
            pk = self.get_pk_value(row)
            first = frozen_head if edit_icon and self.frozen_reason(row) is not None else head
            cells = [first.replace("__PK__", escape(quote(str(pk), safe="")))]
            for cell, opening in columns:
                cells.append(f"{opening}{escape(cell(row))}</td>")
            rows.append(Markup("".join(cells)))
        return rows

    # --- permissions -----------------------------------------------------------
    def allowed(self, action: str) -> bool:
        """May the current user do ``action`` in this view's area (the permission table)?"""
        return current_user.is_authenticated and can(current_user, self.area, action)

    # Flask-Admin reads these for buttons, row actions and its own guards
    @property
    def can_create(self):
        return self.allowed("create")

    @property
    def can_edit(self):
        return self.allowed("edit")

    @property
    def can_delete(self):
        return self.allowed("delete")

    @property
    def can_export(self):
        return self.allowed("export")

    @property
    def export_max_rows(self):
        return current_app.config["EXPORT_MAX_ROWS"]

    def is_accessible(self) -> bool:
        return self.allowed("list")

    def is_visible(self) -> bool:
        return self.is_accessible()

    def deny(self):
        """Log the denial (once per request) and answer 403."""
        if g.get("_portal_denial_logged"):
            abort(403)
        g._portal_denial_logged = True
        audit.log_event_now(
            AuditAction.DENIED,
            model=self.area,
            record_id=(request.args.get("id") or "")[:64] or None,
            detail=f"{request.method} {request.full_path.rstrip('?')}"[:1000],
        )
        abort(403)

    def required_action(self, name: str) -> str | None:
        """The permission action a view function needs (None: unknown, always denied)."""
        return self.extra_view_actions.get(name) or VIEW_ACTIONS.get(name)

    def _permitted(self, name: str) -> bool:
        if request.method not in SAFE_METHODS and is_read_only(current_user):
            return False  # a read-only role never writes, whatever a route is declared as
        if name == "action_view":
            needed = self.action_permissions.get(request.form.get("action", ""))
            return needed is not None and self.allowed(needed)
        if name == "ajax_lookup":
            # ajax pickers serve this view's create and edit forms, and nothing else
            return self.allowed("create") or self.allowed("edit")
        needed = self.required_action(name)
        return needed is not None and self.allowed(needed)

    def _handle_view(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        if not self._permitted(name):
            return self.deny()
        return None

    # --- records that can no longer change ---------------------------------------------------
    def frozen_reason(self, model):
        """Why ``model`` cannot be edited (None: it can). Such a record shows no edit link, and its
        edit URL answers with this reason on the record's page instead of a form."""
        return None

    def may_edit_row(self, model) -> bool:
        return self.can_edit and self.frozen_reason(model) is None

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        model = self.get_one(request.args.get("id", "")) if request.args.get("id") else None
        reason = self.frozen_reason(model) if model is not None else None
        if model is not None and reason is not None:
            flash(reason, "error")
            return redirect(self.get_url(".details_view", id=model.id))
        return super().edit_view()

    def is_action_allowed(self, name: str) -> bool:
        needed = self.action_permissions.get(name)
        return needed is not None and self.allowed(needed)

    @staticmethod
    def row_ids(ids) -> list[int]:
        """Submitted row ids as integers (PostgreSQL refuses to compare an id with text)."""
        return [pk for pk in map(parse_pk, ids) if pk is not None]

    def rows_for_ids(self, ids):
        """The scoped query of the selected rows of a bulk action."""
        return self.get_query().filter(self.model.id.in_(self.row_ids(ids)))

    @action(
        "delete", admin_lazy_gettext("Delete"), admin_lazy_gettext("Are you sure you want to delete selected records?")
    )
    def action_delete(self, ids):
        return super().action_delete(self.row_ids(ids))

    # --- list filters: a value the filter cannot hold is dropped with a message --------
    def accept_filter(self, flt, value: str) -> bool:
        return filter_value_ok(self, flt, value)

    # --- row scope: list, count, details/edit/delete/inline edit all agree ------
    def scope_query(self, query):
        """Restrict a query on this view's model to the rows the current user may see."""
        return query

    def get_query(self):
        return self.scope_query(super().get_query())

    def get_count_query(self):
        return self.scope_query(super().get_count_query())

    def one_query(self):
        """The query ``get_one`` reads one record from (the user's scope): ``get_query`` unless a view's list
        query carries what one record does not need (its rows' joins, its order)."""
        return self.get_query()

    def get_one(self, id):
        pk = parse_pk(id)
        if pk is None:
            return None
        if not MIN_ID <= pk <= MAX_ID:  # beyond a 64-bit id: no such row (and no OverflowError)
            return None
        row = self.one_query().filter(self.model.id == pk).one_or_none()
        if row is None and db.session.get(self.model, pk) is not None:
            # outside the user's scope: answered like a missing row (it reveals nothing),
            # but on the record as a denial, like a 403
            g._portal_denial_logged = True
            audit.log_event_now(
                AuditAction.DENIED,
                model=self.area,
                record_id=str(pk),
                detail=f"out of scope: {request.method} {request.full_path.rstrip('?')}"[:1000],
            )
        return row

    def scope_related(self, model, query):
        """Scope a query over another model by the admin view that shows that model."""
        if model is self.model:
            return self.scope_query(query)
        for view in self.admin.registry.values():
            if isinstance(view, PortalModelView) and view.model is model:
                return view.scope_query(query)
        return query

    # --- pickers: select lists and ajax lookups offer only rows in scope ---------
    def _scope_pickers(self, form):
        for field in form:
            factory = getattr(field, "query_factory", None)
            if factory is not None and not getattr(factory, "_portal_scoped", False):
                field.query_factory = self._scoped_factory(factory)
            for entry in getattr(field, "entries", ()) or ():  # inline sub-forms
                if isinstance(getattr(entry, "form", None), WTForm):
                    self._scope_pickers(entry.form)
            if isinstance(getattr(field, "form", None), WTForm):
                self._scope_pickers(field.form)
        return form

    def _scoped_factory(self, factory):
        """Wrap a select field's query factory: the choices it offers follow the row scope."""

        def scoped():
            query = factory()
            descriptions = getattr(query, "column_descriptions", None)  # a factory may return a list
            entity = descriptions[0].get("entity") if descriptions else None
            return self.scope_related(entity, query) if entity is not None else query

        scoped.__dict__["_portal_scoped"] = True  # a function attribute the checker cannot see
        return scoped

    def create_form(self, obj=None):
        return self._scope_pickers(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._scope_pickers(super().edit_form(obj))

    def list_form(self, obj=None):
        return self._scope_pickers(super().list_form(obj))

    def prepare_ajax_loaders(self, loaders: dict) -> None:
        for loader in loaders.values():
            if isinstance(loader, QueryAjaxModelLoader) and not getattr(loader, "_portal_scoped", False):
                self._scope_loader(loader)

    def _scope_loader(self, loader) -> None:
        """Make an ajax picker's searches and its submitted values respect the row scope."""
        view, unscoped = self, loader.get_query

        def get_query():
            return view.scope_related(loader.model, unscoped())

        def get_one(value):
            pk = parse_pk(value)
            if pk is None:
                return None
            with db.session.no_autoflush:
                return get_query().filter(getattr(loader.model, loader.pk) == pk).one_or_none()

        loader.get_query, loader.get_one, loader._portal_scoped = get_query, get_one, True

    # --- errors: a broken rule is a message, and the form keeps what was typed ---
    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, DomainError):
            flash(str(exc), "error")
            return True
        if database.is_transient(exc) and g.get("_portal_retrying"):
            g._portal_lost_race = True  # create/update/delete_model run the transaction again
            return True
        if isinstance(exc, SQLAlchemyError):
            # the details (SQL, tables, parameters) go to the log, never to the page
            log.error("database error in %s", self.endpoint, exc_info=exc)
            flash(database.BUSY_MESSAGE if database.is_transient(exc) else database.DB_ERROR_MESSAGE, "error")
            return True
        if isinstance(exc, (ValueError, ArithmeticError, LookupError)):
            log.warning("value refused in %s: %r", self.endpoint, exc)
            flash(INVALID_VALUE_MESSAGE, "error")
            return True
        return super().handle_view_exception(exc)

    # --- a transaction that lost a race is run again, not reported to the user ---------
    def _retrying(self, operation):
        g._portal_retrying = True
        try:
            for attempt in range(database.RETRIES):
                g._portal_lost_race = False
                result = operation()
                if result or not g.get("_portal_lost_race"):
                    return result
                time.sleep(0.05 * 2**attempt)
            flash(database.BUSY_MESSAGE, "error")
            return False
        finally:
            g._portal_retrying = False

    def create_model(self, form):
        return self._retrying(lambda: super(PortalModelView, self).create_model(form))

    def update_model(self, form, model):
        return self._retrying(lambda: super(PortalModelView, self).update_model(form, model))

    def delete_model(self, model):
        return self._retrying(lambda: super(PortalModelView, self).delete_model(model))

    # --- inline (x-editable) edits: scoped, and a broken rule answers 400 with its message
    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        """Flask-Admin's inline edit, answering a refused edit 400 (a missing record 404), not 500."""
        answer = super().ajax_update()
        if isinstance(answer, tuple) and answer[1] == 500:
            message = answer[0]
            return message, 404 if message == admin_gettext("Record does not exist.") else 400
        return answer

    # --- exports: logged, capped, streamed, formulas neutralised ------------------
    def get_export_value(self, model, name):
        return neutralise_formula(super().get_export_value(model, name))

    def scaffold_auto_joins(self):
        # a joined collection cannot be streamed (yield_per); lists show many-to-one relations
        return [attr for attr in super().scaffold_auto_joins() if not attr.property.uselist]

    @expose("/export/<export_type>/")
    def export(self, export_type):
        audit.log_event_now(
            AuditAction.EXPORT, model=self.area, detail=f"{export_type} {request.query_string.decode()[:500]}"
        )
        if export_type == "csv" and self.can_export and export_type in self.export_types:
            return self.export_csv()
        return super().export(export_type)

    def export_query(self, limit: int):
        """The list's query (scope, search, filters, sorting) for an export, at most ``limit`` rows.

        A view overriding ``get_list`` must return the query untouched when ``execute`` is False.
        """
        args = compat.list_args(self)
        _count, query = self.get_list(
            0, args.sort_column, args.sort_desc, args.search, args.filters, execute=False, page_size=limit
        )
        return query.yield_per(EXPORT_BATCH)

    def export_csv(self):
        """Stream a CSV of the scoped list with bounded memory, capped at ``EXPORT_MAX_ROWS``."""
        cap = self.export_max_rows
        columns = self.get_export_columns()
        query = self.export_query(cap + 1)
        notice = str(_l("The export stops at %(n)s rows; narrow the search or the filters.", n=cap))

        def rows():
            yield [str(title) for _, title in columns]
            for n, model in enumerate(query):
                if n == cap:
                    yield [notice]
                    break
                yield [self.get_export_value(model, name) for name, _ in columns]

        return Response(
            stream_with_context(csv_lines(rows())),
            headers={"Content-Disposition": attachment_header(str(self.name), "csv")},
            mimetype="text/csv",
        )
