"""The one door into Flask-Admin's private internals.

Flask-Admin offers no public hook for a few things the portal needs: a view's own search
and pagination, scoping the ajax pickers it builds, and reading the list's arguments (sort,
search, filters) back from the request for an export. Every use of a private Flask-Admin
name is here and nowhere else (``_handle_view``, the documented hook, excepted);
``tests/test_compat.py`` pins each one (``PINNED``) to the installed version, so an upgrade
fails in one test instead of in production. The rest of ``admin_views`` uses public API and
the public hooks defined here.
"""

from __future__ import annotations

from typing import Any, NamedTuple

# the Flask-Admin release these names were read from (templates/admin copies follow it too)
FLASK_ADMIN_VERSION = "2.2.1"

# (class path, private name) → its parameters (a method), or None: an attribute of a view instance
PINNED: dict[tuple[str, str], tuple[str, ...] | None] = {
    ("flask_admin.model.base.BaseModelView", "_get_list_extra_args"): ("self",),
    ("flask_admin.model.base.BaseModelView", "_get_column_by_idx"): ("self", "idx"),
    ("flask_admin.model.base.BaseModelView", "_get_list_filter_args"): ("self",),
    ("flask_admin.model.base.BaseModelView", "_process_ajax_references"): ("self",),
    ("flask_admin.model.base.BaseModelView", "_filters"): None,
    ("flask_admin.model.base.BaseModelView", "_filter_args"): None,
    ("flask_admin.model.base.BaseModelView", "_details_columns"): None,
    ("flask_admin.model.base.BaseModelView", "_get_list_value"): (
        "self",
        "context",
        "model",
        "name",
        "column_formatters",
        "column_type_formatters",
    ),
    ("flask_admin.model.base.BaseModelView", "_get_filter_groups"): ("self",),
    ("flask_admin.model.base.BaseModelView", "_column_choices_map"): None,
    ("flask_admin.model.base.BaseModelView", "_get_field_value"): ("self", "model", "name"),
    ("flask_admin.model.base.BaseModelView", "_filter_groups"): None,
    ("flask_admin.contrib.sqla.view.ModelView", "_apply_search"): (
        "self",
        "query",
        "count_query",
        "joins",
        "count_joins",
        "search",
    ),
    ("flask_admin.contrib.sqla.view.ModelView", "_apply_pagination"): ("self", "query", "page", "page_size"),
}


class ListArgs(NamedTuple):
    """The list page's arguments as its own ``get_list`` takes them."""

    sort_column: Any
    sort_desc: Any
    search: str | None
    filters: list | None


def list_args(view) -> ListArgs:
    """Sort column, direction, search and active filters of the current list URL.

    Flask-Admin parses them privately for its list and export pages; an export that streams
    the same rows must read them the same way.
    """
    args = view._get_list_extra_args()
    column = view._get_column_by_idx(args.sort)
    return ListArgs(column[0] if column else None, args.sort_desc, args.search, args.filters)


def list_value(view, model, name: str):
    """A list cell's value as the list template shows it (the column's formatter, choices, type formatter).

    Flask-Admin's public ``get_list_value`` takes the Jinja context it is called from; a
    view writing its rows in Python has none (the portal's formatters do not use it).
    """
    return view._get_list_value(None, model, name, view.column_formatters, view.column_type_formatters)


def cell_function(view, name: str):
    """``list_value(view, model, name)`` as a function of the model, its lookups done once per column.

    The same steps as Flask-Admin's ``_get_list_value``: the column's formatter (else the
    attribute), its choices, else the first type formatter the value is an instance of —
    found once per type of value, where Flask-Admin tries each of them on every cell.
    """
    formatter = view.column_formatters.get(name)
    choices = view._column_choices_map.get(name) or {}
    type_formatters = view.column_type_formatters
    by_type: dict[type, Any] = {}

    def cell(model):
        value = formatter(view, None, model, name) if formatter is not None else view._get_field_value(model, name)
        if choices:
            return choices.get(value) or value
        kind = type(value)
        try:
            type_formatter = by_type[kind]
        except KeyError:
            type_formatter = by_type[kind] = next((f for t, f in type_formatters.items() if isinstance(value, t)), None)
        return value if type_formatter is None else type_formatter(view, value, name)

    return cell


def active_filters(view) -> list[tuple[Any, str]]:
    """(filter object, raw value) of each filter in the current list URL, in URL order.

    The parsed filter list only carries the filter's index into the private ``_filters``.
    """
    return [(view._filters[idx], value) for idx, _name, value in (view._get_list_filter_args() or [])]


class ModelViewHooks:
    """Mixin for a SQLAlchemy ModelView: public hooks over steps Flask-Admin keeps private.

    - ``search_query(query, term)``: the view's own search (None: Flask-Admin's LIKE over
      ``column_searchable_list``). Declare the search box with ``column_searchable_list`` or
      ``init_search``.
    - ``paginate(query, page, page_size)``: the view's own LIMIT/OFFSET (None: Flask-Admin's).
    - ``prepare_ajax_loaders(loaders)``: adjust the ajax pickers Flask-Admin built from
      ``form_ajax_refs`` and the inline models' refs (``{name: loader}``), once, at start-up.
    - ``accept_filter(flt, value)``: False drops a list filter's value (with Flask-Admin's
      "invalid filter value" message) before any query or export applies it.
    - ``filter_menu(groups)``: the data of the list's filter menu from ``groups``, the view's
      filter groups as (label, [filter item: arg, index, operation, options, type]) with the
      labels and options not yet translated or loaded (None: Flask-Admin's, built each time).
    """

    def filter_menu(self, groups: list[tuple[Any, list[dict]]]):
        return None

    def _get_filter_groups(self):
        groups = self._filter_groups  # type: ignore[attr-defined]
        menu = self.filter_menu([(g.label, list(g.filters)) for g in groups.values()]) if groups else None
        return super()._get_filter_groups() if menu is None else menu  # type: ignore[misc]

    def accept_filter(self, flt, value: str) -> bool:
        return True

    def _get_list_filter_args(self):
        # Flask-Admin's own loop, with its ``validate`` guarded: an enum filter's ``clean``
        # raises KeyError on an unknown member (flask_admin.contrib.sqla.filters, 2.2.1)
        from flask import flash, request

        if not self._filters:  # type: ignore[attr-defined]
            return None
        filters = []
        for arg in request.args:
            if not arg.startswith("flt") or "_" not in arg:
                continue
            pos, key = arg[3:].split("_", 1)
            if key not in self._filter_args:  # type: ignore[attr-defined]
                continue
            idx, flt = self._filter_args[key]  # type: ignore[attr-defined]
            value = request.args[arg]
            try:
                ok = bool(flt.validate(value)) and self.accept_filter(flt, value)
            except (LookupError, ValueError, TypeError, ArithmeticError):
                ok = False
            if ok:
                filters.append((pos, (idx, str(flt.name), value)))
            else:
                flash(self.get_invalid_value_msg(value[:100], flt), "error")  # type: ignore[attr-defined]
        return [v[1] for v in sorted(filters, key=lambda n: n[0])]

    def search_query(self, query, term: str):
        return None

    def paginate(self, query, page, page_size):
        return None

    def prepare_ajax_loaders(self, loaders: dict) -> None:
        return None

    def _apply_search(self, query, count_query, joins, count_joins, search):
        searched = self.search_query(query, search)
        if searched is None:
            return super()._apply_search(query, count_query, joins, count_joins, search)  # type: ignore[misc]
        if count_query is not None:
            count_query = self.search_query(count_query, search)
        return searched, count_query, joins, count_joins

    def _apply_pagination(self, query, page, page_size):
        paged = self.paginate(query, page, page_size)
        return super()._apply_pagination(query, page, page_size) if paged is None else paged  # type: ignore[misc]

    def _process_ajax_references(self):
        loaders = super()._process_ajax_references()  # type: ignore[misc]
        self.prepare_ajax_loaders(loaders)
        return loaders


def details_columns(view) -> list:
    """The (name, label) columns the details template shows, as ``details_view`` passes them."""
    return view._details_columns
