"""Ajax pickers (``form_ajax_refs``): which rows a form's search offers; the rows come from services.

A submitted value is an integer primary key, parsed by :func:`parse_pk` for every picker
and for the views' own ``get_one``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.tools import iterdecode
from flask_admin.model.ajax import DEFAULT_PAGE_SIZE
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.extensions import db
from portal.i18n import format_date
from portal.models.appeals import Appeal, Applicant
from portal.models.budget import BudgetEstimate, BudgetLine
from portal.models.enums import DocumentState, OrderType
from portal.models.org import Order
from portal.models.reference import Kekv, Topic
from portal.services import registration
from portal.services.scope import scope_appeals


def parse_pk(value) -> int | None:
    """A submitted or URL primary key as an integer; None when it is not one.

    Flask-Admin passes ids as strings (``iterdecode`` splits a composite one); PostgreSQL
    will not compare a text value with an integer column.
    """
    pk = iterdecode(value) if isinstance(value, str) else value
    pk = pk[0] if isinstance(pk, tuple) and len(pk) == 1 else pk
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    # beyond a 64-bit id there is no row (and SQLite would raise OverflowError binding it)
    return pk if -(2**63) <= pk < 2**63 else None


class PortalAjaxLoader(QueryAjaxModelLoader):
    """An ajax picker with SQLAlchemy conditions and joins (Flask-Admin's own take raw SQL text)."""

    def __init__(self, name, model, *, fields, where=(), joins=(), label=None, order_by=None, **options):
        options.setdefault("minimum_input_length", 0)
        options.setdefault("placeholder", _l("Start typing to search"))
        super().__init__(name, db.session, model, fields=fields, order_by=order_by, **options)
        self.search_columns = [getattr(model, f) if isinstance(f, str) else f for f in fields]
        self.where = where
        self.joins = joins
        self.label = label

    def get_query(self):
        query = super().get_query()
        for join in self.joins:
            query = query.join(join)
        return query

    def get_list(self, term, offset=0, limit=DEFAULT_PAGE_SIZE):
        # the conditions narrow what a search offers, not what a submitted form may keep
        # (an order already bound to this employee must still load on the edit form)
        query = self.get_query()
        term = f"%{term or ''}%"
        query = query.filter(sa.or_(*(sa.cast(column, sa.String).ilike(term) for column in self.search_columns)))
        for condition in self.where:
            query = query.filter(condition() if callable(condition) else condition)
        if self.order_by is not None:
            order = self.order_by if isinstance(self.order_by, (tuple, list)) else (self.order_by,)
            query = query.order_by(*order)
        return query.offset(offset).limit(limit).all()

    def format(self, model):
        if model is None:
            return None
        return model.id, str(self.label(model) if self.label else model)


def orders_of(*types: OrderType, unused: bool = False):
    """Conditions of an order picker: these types, and (optionally) not yet bound to an employee."""
    conditions = [Order.order_type.in_([t.value for t in types])]
    if unused:
        conditions.append(Order.employee_id.is_(None))
    return conditions


def order_loader(name, *types: OrderType, unused: bool = False) -> PortalAjaxLoader:
    """A picker of the director's orders of these types."""
    return PortalAjaxLoader(
        name,
        Order,
        fields=["number", "title"],
        where=orders_of(*types, unused=unused),
        order_by=Order.issued_on.desc(),
        label=lambda o: f"{o} — {o.title}",
    )


def budget_line_label(line: BudgetLine) -> str:
    return f"{line.kekv} — {line.estimate}"


def budget_line_loader(name: str, *, approved_only: bool) -> PortalAjaxLoader:
    """A picker of budget lines by KEKV code or name or the estimate's year."""
    where = [BudgetEstimate.state == DocumentState.APPROVED.value] if approved_only else []
    return PortalAjaxLoader(
        name,
        BudgetLine,
        fields=[Kekv.code, Kekv.name, BudgetEstimate.year],
        joins=[BudgetLine.kekv, BudgetLine.estimate],
        where=where,
        order_by=(BudgetEstimate.year.desc(), Kekv.code),
        label=budget_line_label,
    )


# --- appeal registration: prefix and equality lookups that an index serves ----------------------


class PickerLoader(QueryAjaxModelLoader):
    """A picker that applies its own scope; a submitted id is an integer primary key."""

    _portal_scoped = True  # PortalModelView leaves its scoping to the loader

    def scoped(self, query):
        return query

    def get_one(self, pk):
        pk = parse_pk(pk)
        if pk is None:
            return None
        with db.session.no_autoflush:
            query = self.scoped(sa.select(self.model).where(self.model.id == pk))
            return db.session.execute(query).scalar_one_or_none()


class ApplicantLoader(PickerLoader):
    def __init__(self):
        super().__init__("applicant", db, Applicant, fields=["full_name"])

    def format(self, model):
        if model is None:
            return None
        extra = ", ".join(x for x in (model.phone, model.address) if x)
        return model.id, f"{model.full_name} ({extra})" if extra else model.full_name

    def get_list(self, term, offset=0, limit=10):
        return registration.find_applicants(term, offset=offset or 0, limit=limit)


class TopicLoader(PickerLoader):
    def __init__(self):
        super().__init__("topic", db, Topic, fields=["code", "name"])

    def get_list(self, term, offset=0, limit=10):
        return registration.find_topics(term, offset=offset or 0, limit=limit)


class AppealLoader(PickerLoader):
    def __init__(self):
        super().__init__("repeat_of", db, Appeal, fields=["reg_number"])

    def scoped(self, query):
        return scope_appeals(query, current_user)

    def format(self, model):
        if model is None:
            return None
        return model.id, f"{model.reg_number} {format_date(model.registered_at)} {model.applicant or ''}".strip()

    def get_list(self, term, offset=0, limit=10):
        return registration.find_appeals(term, current_user, offset=offset or 0, limit=limit)
