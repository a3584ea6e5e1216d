"""List filters of every admin screen; the conditions they apply come from the services.

A filter with a ``url_key`` keeps a stable URL argument (``flt0_status=…``) whatever the
language and the filter's position (see ``PortalModelView.get_filter_arg``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from time import monotonic

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.model import filters as base_filters
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.i18n import KYIV
from portal.labels import enum_choices
from portal.models.appeals import Appeal, Assignment
from portal.models.enums import ExecutorRole
from portal.models.org import Employee, Executor, StaffPosition, executor_topic
from portal.models.reference import Topic
from portal.services import history, open_marks, staff


def filter_args(view) -> dict:
    """``{url argument: filter}`` of a list view's filters (public API: ``get_filters``, ``get_filter_arg``)."""
    return {view.get_filter_arg(i, flt): flt for i, flt in enumerate(view.get_filters() or [])}


OPTIONS_TTL = 30.0  # seconds: a change made by another process shows in the filter menus within this time


class LazyOptions:
    """Filter options read from the database when a list renders, not at start-up.

    Kept per app for ``OPTIONS_TTL`` seconds under ``key`` (filters listing the same rows
    share them, and checking a filter's value reuses what the menu read): every list page
    showed every executor, topic and direction, read as ORM objects. ``model`` names the
    table they come from; a flush in this process that adds, changes or deletes a row of it,
    and any rollback, forget them at once (see ``_forget_changed_options``).
    """

    def __init__(self, load, key=None, model=None):
        self.load = load
        self.key = key if key is not None else id(self)
        self.model = model

    def __bool__(self) -> bool:
        return True

    def __iter__(self):
        return iter(self.current())

    def current(self) -> list:
        """The options (read again after ``OPTIONS_TTL`` seconds or a change of their table)."""
        if not has_app_context():
            return self.load()
        kept = _kept_options()
        now = monotonic()
        hit = kept.get(self.key)
        if hit is None or now - hit[0] > OPTIONS_TTL:
            hit = kept[self.key] = (now, self.load(), self.model)
        return hit[1]


def _kept_options() -> dict:
    return current_app.extensions.setdefault("portal_filter_options", {})


@sa.event.listens_for(Session, "after_flush")
def _forget_changed_options(session, flush_context) -> None:
    session.info["portal_flushed"] = True  # a rollback of this transaction may take rows the options read
    if not has_app_context():
        return
    kept = _kept_options()
    if not kept:
        return
    changed = {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}
    for key in [k for k, (_, _, model) in kept.items() if model is None or model in changed]:
        del kept[key]


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_options_on_rollback(session, previous_transaction) -> None:
    # a rolled-back flush may have put a row in the options that no longer exists; a transaction
    # that only read (the start's warm-up pages, a refused form) leaves them as they are
    if session.info.pop("portal_flushed", False) and has_app_context():
        _kept_options().clear()


@sa.event.listens_for(Session, "after_commit")
def _flushes_committed(session) -> None:
    session.info.pop("portal_flushed", None)


def lazy_options(model, order, label=str) -> LazyOptions:
    """(id, label) of every row of ``model`` in ``order``, read when a list renders (kept, see LazyOptions)."""
    return LazyOptions(
        lambda: [(str(o.id), label(o)) for o in db.session.execute(sa.select(model).order_by(*order)).scalars()],
        key=(model, tuple(str(column) for column in order), label),
        model=model,
    )


def keyed(flt, url_key: str):
    """Give a stock filter a stable URL argument."""
    flt.url_key = url_key
    return flt


# --- appeals ------------------------------------------------------------------------------------


class EnumFilter(sqla_filters.FilterEqual):
    def __init__(self, column, name, enum_cls, url_key):
        super().__init__(column, name, options=enum_choices(enum_cls))
        self.enum_cls, self.url_key = enum_cls, url_key

    def validate(self, value) -> bool:
        return value in {m.value for m in self.enum_cls}

    def clean(self, value):
        return self.enum_cls(value)


class IdFilter(sqla_filters.FilterEqual):
    def __init__(self, column, name, options, url_key):
        super().__init__(column, name, options=options)
        self.url_key = url_key

    def clean(self, value) -> int:
        return int(value)


class ExecutorFilter(IdFilter):
    """Any assignment of the executor body (responsible, co-executor or informed).

    ``open_only`` (called per request): does the list hold open appeals only? Its assignments
    are then the body's open ones (``services.open_marks``): a few thousand, where the body
    has years of them.
    """

    def __init__(self, column, name, options, url_key, open_only: Callable[[], bool] | None = None):
        super().__init__(column, name, options, url_key)
        self.open_only = open_only

    def terms(self, value) -> list:
        terms = [Assignment.appeal_id == Appeal.id, Assignment.executor_id == value]
        return terms + [open_marks.open_clause()] if self.open_only is not None and self.open_only() else terms

    def apply(self, query, value, alias=None):
        # SELECT 1, not SELECT *: SQLite then answers the probe from an index alone (and picks the open one)
        return query.filter(sa.exists(sa.select(sa.literal_column("1")).where(*self.terms(value))))


class CoExecutorFilter(ExecutorFilter):
    """The executor body is a co-executor or informed (not the responsible one)."""

    def terms(self, value) -> list:
        return super().terms(value) + [Assignment.executor_role != ExecutorRole.RESPONSIBLE]


class FlagFilter(sqla_filters.BaseSQLAFilter, base_filters.BaseBooleanFilter):
    """Yes/no over a WHERE clause built at request time (e.g. overdue against today's date)."""

    def __init__(self, name, clause, url_key):
        super().__init__(Appeal.id, name)  # BaseBooleanFilter supplies the yes/no options
        self.clause, self.url_key = clause, url_key

    def apply(self, query, value, alias=None):
        clause = self.clause()
        return query.filter(clause if value == "1" else sa.not_(clause))

    def operation(self):
        return sqla_filters.FilterEqual.operation(self)


class KyivDateBetweenFilter(sqla_filters.DateBetweenFilter):
    """A range of Kyiv calendar days over a UTC timestamp column."""

    def __init__(self, column, name, url_key):
        super().__init__(column, name)
        self.url_key = url_key

    def apply(self, query, value, alias=None):
        start, end = value
        lower = datetime.combine(start, time.min, KYIV)
        upper = datetime.combine(end + timedelta(days=1), time.min, KYIV)
        column = self.get_column(alias)
        return query.filter(column >= lower, column < upper)


class DateRangeFilter(sqla_filters.DateBetweenFilter):
    def __init__(self, column, name, url_key):
        super().__init__(column, name)
        self.url_key = url_key


# --- organisation -------------------------------------------------------------------------------


class ExecutorTopicFilter(sqla_filters.BaseSQLAFilter):
    """Executors covering a topic whose code or name contains the text."""

    def apply(self, query, value, alias=None):
        like = f"%{value}%"
        return query.filter(
            sa.exists().where(
                executor_topic.c.executor_id == Executor.id,
                executor_topic.c.topic_id == Topic.id,
                sa.or_(Topic.code.ilike(like), Topic.name.ilike(like)),
            )
        )

    def operation(self):
        return _l("contains")


class VacancyFilter(sqla_filters.BaseSQLAFilter, base_filters.BaseBooleanFilter):
    """Positions with free posts (posts greater than the active employees' rates), or without."""

    def __init__(self, name):
        sqla_filters.BaseSQLAFilter.__init__(self, StaffPosition.posts, name)
        base_filters.BaseBooleanFilter.__init__(self, name)

    def apply(self, query, value, alias=None):
        clause = staff.vacancy_clause()
        return query.filter(clause if value == "1" else sa.not_(clause))

    def operation(self):
        return _l("has free posts")


class EmployeeStatusFilter(sqla_filters.BaseSQLAFilter, base_filters.BaseBooleanFilter):
    def __init__(self, name):
        sqla_filters.BaseSQLAFilter.__init__(self, Employee.dismissed_on, name)
        base_filters.BaseBooleanFilter.__init__(self, name)

    def apply(self, query, value, alias=None):
        return query.filter(Employee.dismissed_on.is_(None) if value == "1" else Employee.dismissed_on.isnot(None))

    def operation(self):
        return _l("works")


# --- audit log ----------------------------------------------------------------------------------


class AuditFilter(sqla_filters.BaseSQLAFilter):
    """One filter of the audit screen; the query itself is built by ``portal.services.history``."""

    def __init__(self, key: str, column, name, operation, options=None, data_type=None):
        super().__init__(column, name, options=options, data_type=data_type)
        self.audit_key = key
        self.operation_name = operation

    def clean(self, value):
        return history.clean_filter(self.audit_key, value)

    def apply(self, query, value, alias=None):
        return history.apply_filter(query, self.audit_key, value)

    def operation(self):
        return self.operation_name
