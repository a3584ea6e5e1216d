"""Organisation screens: executors, structural units, staff list, employees, orders.

Views stay declarative; every rule is in ``portal.services.staff`` and is called from the
hooks, so the form, inline edit, delete and bulk delete all go through it.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import url_for
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual, FilterLike
from flask_admin.form import rules
from flask_admin.model.ajax import DEFAULT_PAGE_SIZE
from flask_admin.model.filters import BaseBooleanFilter
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from admin_views.base import PortalModelView
from portal.extensions import db
from portal.labels import enum_choices
from portal.models.enums import ExecutorKind, OrderType
from portal.models.org import Employee, Executor, ExecutorContact, Order, StaffPosition, StructuralUnit, executor_topic
from portal.models.reference import Topic
from portal.services import budget, staff
from portal.services.budget import format_money


# --- shared helpers (budget views use them too) -----------------------------------------
def enum_select(enum_cls):
    """A select field of a LabeledEnum: Ukrainian labels, values stored, members in ``data``."""

    def coerce(value):
        if value in (None, ""):
            return None
        return enum_cls(value.value if isinstance(value, enum_cls) else value)

    class EnumSelectField(SelectField):
        def __init__(self, label=None, validators=None, **kwargs):
            kwargs.pop("allow_blank", None)
            choices = [SelectChoice(value, label) for value, label in enum_choices(enum_cls)]
            super().__init__(label, validators, choices=choices, coerce=coerce, **kwargs)

    return EnumSelectField


class CsrfTokenRule(rules.BaseRule):
    """Keeps the form's hidden CSRF token in a custom layout (``form_rules`` drop unlisted fields)."""

    @property
    def visible_fields(self):
        return ["csrf_token"]

    def __call__(self, form, form_opts=None, field_args=None):
        return Markup(form.csrf_token()) if "csrf_token" in form else ""


def model_labels(model) -> dict:
    """The ``info`` labels of a model's fields, untranslated until shown (safe at import time)."""
    labels = {}
    for prop in sa.inspect(model).attrs:
        info = prop.info
        if "label" not in info and hasattr(prop, "columns"):
            info = prop.columns[0].info
        if info.get("label") is not None:
            labels[prop.key] = info["label"]
    return labels


def money(view, context, model, name):
    value = getattr(model, name)
    return "" if value is None else format_money(value)


class PortalAjaxLoader(QueryAjaxModelLoader):
    """An ajax picker with SQLAlchemy conditions and joins (Flask-Admin's own take raw SQL text)."""

    def __init__(self, name, model, *, fields, where=(), joins=(), label=None, order_by=None, **options):
        options.setdefault("minimum_input_length", 0)
        options.setdefault("placeholder", _l("Start typing to search"))
        super().__init__(name, db.session, model, fields=fields, order_by=order_by, **options)
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
        query = query.filter(sa.or_(*(sa.cast(field, sa.String).ilike(term) for field in self._cached_fields)))
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


def order_loader(name, *types: OrderType, unused: bool = False):
    return PortalAjaxLoader(
        name,
        Order,
        fields=["number", "title"],
        where=orders_of(*types, unused=unused),
        order_by=Order.issued_on.desc(),
        label=lambda o: f"{o} — {o.title}",
    )


# --- executors --------------------------------------------------------------------------
class ExecutorTopicFilter(BaseSQLAFilter):
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


def _contacts(view, context, model, name):
    items = []
    for c in model.contacts:
        details = ", ".join(x for x in (c.position, c.phone, c.email) if x)
        items.append(f"{escape(c.full_name)}" + (f" ({escape(details)})" if details else ""))
    return Markup("<br>".join(items))


class ExecutorView(PortalModelView):
    area = "executor"
    column_list = ("name", "short_name", "kind", "unit", "head_name", "phone", "email", "is_active")
    column_details_list = (
        "name",
        "short_name",
        "kind",
        "unit",
        "head_name",
        "phone",
        "email",
        "address",
        "is_active",
        "topics",
        "contacts",
    )
    column_searchable_list = ("name", "short_name", "email", "head_name")
    column_sortable_list = ("name", "short_name", "kind", "head_name", "is_active", ("unit", "unit.name"))
    column_default_sort = "name"
    column_editable_list = ("is_active",)
    column_formatters_detail = {"contacts": _contacts}
    column_filters = (
        FilterEqual(Executor.kind, _l("Executor kind"), options=enum_choices(ExecutorKind)),
        "is_active",
        FilterLike("unit.name", _l("Structural unit")),
        ExecutorTopicFilter(Executor.id, _l("Topics covered")),
    )
    form_columns = (
        "name",
        "short_name",
        "kind",
        "unit",
        "head_name",
        "phone",
        "email",
        "address",
        "is_active",
        "topics",
        "contacts",
    )
    form_overrides = {"kind": enum_select(ExecutorKind)}
    form_ajax_refs = {
        "unit": PortalAjaxLoader("unit", StructuralUnit, fields=["name", "code"], order_by=StructuralUnit.code),
        "topics": PortalAjaxLoader("topics", Topic, fields=["code", "name"], order_by=Topic.code),
    }
    form_args = {"unit": {"description": _l("Only for an internal executor: the unit of the center it is.")}}
    inline_models = (
        (
            ExecutorContact,
            {
                "form_columns": ("id", "full_name", "position", "phone", "email"),
                "column_labels": model_labels(ExecutorContact),
                "form_label": _l("Contact persons"),
            },
        ),
    )

    def on_model_change(self, form, model, is_created):
        staff.validate_executor(model)


# --- structural units -------------------------------------------------------------------
def _unit_path(view, context, model, name):
    return staff.unit_path(model)


class StructuralUnitView(PortalModelView):
    area = "structural_unit"
    details_template = "admin/org_unit_details.html"
    column_list = ("code", "name", "path", "head", "regulation_order")
    column_details_list = ("code", "name", "path", "parent", "head", "regulation_order", "regulation")
    column_labels = {"path": _l("Place in the structure")}
    column_formatters = {"path": _unit_path}
    column_searchable_list = ("code", "name")
    column_sortable_list = ("code", "name", ("head", "head.full_name"))
    column_default_sort = "code"
    column_filters = (FilterLike("parent.name", _l("Parent unit")), "name", "code")
    form_columns = ("code", "name", "parent", "head", "regulation", "regulation_order")
    form_ajax_refs = {
        "parent": PortalAjaxLoader("parent", StructuralUnit, fields=["name", "code"], order_by=StructuralUnit.code),
        "head": PortalAjaxLoader(
            "head", Employee, fields=["full_name"], where=[Employee.dismissed_on.is_(None)], order_by=Employee.full_name
        ),
        "regulation_order": order_loader("regulation_order", OrderType.REGULATION),
    }
    form_args = {
        "regulation_order": {
            "description": _l(
                "A new or changed regulation takes effect by the director's order of type «Approval of a regulation»."
            )
        },
    }

    def on_model_change(self, form, model, is_created):
        staff.validate_unit(model)

    def on_model_delete(self, model):
        staff.check_unit_deletable(model)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs["unit_positions"] = _positions_with_occupancy(
                db.session.execute(
                    sa.select(StaffPosition).where(StaffPosition.unit_id == model.id).order_by(StaffPosition.id)
                ).scalars()
            )
            kwargs["unit_totals"] = staff.unit_totals([model.id])["total"]
            kwargs["subunits"] = sorted(model.children, key=lambda u: u.code)
            kwargs["format_money"] = format_money
        return super().render(template, **kwargs)


# --- staff list ---------------------------------------------------------------------------
class VacancyFilter(BaseSQLAFilter, BaseBooleanFilter):
    """Positions with free posts (posts greater than the active employees' rates), or without."""

    def __init__(self, name):
        BaseSQLAFilter.__init__(self, StaffPosition.posts, name)
        BaseBooleanFilter.__init__(self, name)

    def apply(self, query, value, alias=None):
        clause = staff.vacancy_clause()
        return query.filter(clause if value == "1" else sa.not_(clause))

    def operation(self):
        return _l("has free posts")


def _positions_with_occupancy(positions):
    positions = list(positions)
    occupied = staff.occupied_rates(p.id for p in positions)
    for p in positions:
        p._occupied = occupied.get(p.id, Decimal("0"))
    return positions


def _occupied(position) -> Decimal:
    value = getattr(position, "_occupied", None)
    return staff.occupied_rate(position) if value is None else value


def _fmt_occupied(view, context, model, name):
    return format_money(_occupied(model))


def _fmt_free(view, context, model, name):
    free = Decimal(model.posts or 0) - _occupied(model)
    text = format_money(free)
    return Markup(f'<span class="badge badge-warning">{text}</span>') if free > 0 else text


class StaffPositionView(PortalModelView):
    area = "staff_position"
    list_template = "admin/org_staff_list.html"
    column_list = (
        "unit",
        "title",
        "posts",
        "salary",
        "allowances",
        "supplements",
        "monthly_fund",
        "annual_fund",
        "occupied",
        "free",
    )
    column_details_list = column_list + ("employees",)
    column_labels = {
        "monthly_fund": _l("Monthly pay fund"),
        "annual_fund": _l("Annual pay fund"),
        "occupied": _l("Occupied posts"),
        "free": _l("Vacancies"),
    }
    column_descriptions = {
        "monthly_fund": _l("Posts × (salary + allowances + supplements); computed, not stored."),
        "free": _l("Posts minus the rates of the active employees."),
    }
    column_formatters = {
        "salary": money,
        "allowances": money,
        "supplements": money,
        "monthly_fund": money,
        "annual_fund": money,
        "occupied": _fmt_occupied,
        "free": _fmt_free,
    }
    column_formatters_export = {
        "occupied": lambda v, c, m, n: str(_occupied(m)),
        "free": lambda v, c, m, n: str(Decimal(m.posts or 0) - _occupied(m)),
    }
    column_searchable_list = ("title",)
    column_sortable_list = (("unit", "unit.code"), "title", "posts", "salary", "allowances", "supplements")
    column_default_sort = [("unit.code", False), ("id", False)]
    column_filters = (
        VacancyFilter(_l("Vacancies")),
        FilterLike("unit.name", _l("Structural unit")),
        "title",
        "posts",
        "salary",
    )
    column_editable_list = ("posts", "salary", "allowances", "supplements")
    form_columns = ("unit", "title", "posts", "salary", "allowances", "supplements")
    form_ajax_refs = {
        "unit": PortalAjaxLoader("unit", StructuralUnit, fields=["name", "code"], order_by=StructuralUnit.code),
    }
    form_args = {
        "posts": {"description": _l("Fractions allowed, e.g. 0.5.")},
        "salary": {"description": _l("Per post per month, UAH.")},
        "allowances": {"description": _l("Per post per month, UAH.")},
        "supplements": {"description": _l("Per post per month, UAH.")},
    }

    def get_list(self, *args, **kwargs):
        count, data = super().get_list(*args, **kwargs)
        return count, _positions_with_occupancy(data)

    def on_model_change(self, form, model, is_created):
        staff.validate_position(model)

    def on_model_delete(self, model):
        staff.check_position_deletable(model)

    def vacancy_url(self) -> str:
        """The list filtered to positions with free posts."""
        for key, (_index, flt) in self._filter_args.items():
            if isinstance(flt, VacancyFilter):
                return url_for(f"{self.endpoint}.index_view", **{f"flt0_{key}": "1"})
        return url_for(f"{self.endpoint}.index_view")

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["staff_totals"] = staff.unit_totals()
            kwargs["salary_checks"] = [
                (estimate, budget.salary_allocation(estimate)) for estimate in budget.binding_estimates()
            ]
            kwargs["format_money"] = format_money
            kwargs["vacancy_url"] = self.vacancy_url()
        return super().render(template, **kwargs)


# --- employees ----------------------------------------------------------------------------
class EmployeeStatusFilter(BaseSQLAFilter, BaseBooleanFilter):
    def __init__(self, name):
        BaseSQLAFilter.__init__(self, Employee.dismissed_on, name)
        BaseBooleanFilter.__init__(self, name)

    def apply(self, query, value, alias=None):
        return query.filter(Employee.dismissed_on.is_(None) if value == "1" else Employee.dismissed_on.isnot(None))

    def operation(self):
        return _l("works")


class EmployeeView(PortalModelView):
    area = "employee"
    list_template = "admin/org_employee_list.html"
    column_list = (
        "full_name",
        "position",
        "rate",
        "hired_on",
        "appointment_order",
        "dismissed_on",
        "dismissal_order",
        "phone",
    )
    column_details_list = (
        "full_name",
        "position",
        "rate",
        "hired_on",
        "appointment_order",
        "dismissed_on",
        "dismissal_order",
        "phone",
        "email",
    )
    column_searchable_list = ("full_name", "phone", "email")
    column_sortable_list = ("full_name", "rate", "hired_on", "dismissed_on", ("position", "position.title"))
    column_default_sort = "full_name"
    column_filters = (
        EmployeeStatusFilter(_l("Works")),
        FilterLike("position.unit.name", _l("Structural unit")),
        FilterLike("position.title", _l("Staff position")),
        "hired_on",
        "dismissed_on",
    )
    form_columns = (
        "full_name",
        "phone",
        "email",
        "position",
        "rate",
        "appointment_order",
        "hired_on",
        "dismissal_order",
        "dismissed_on",
    )
    form_rules = (
        CsrfTokenRule(),
        "full_name",
        "phone",
        "email",
        rules.FieldSet(("position", "rate", "appointment_order", "hired_on"), _l("Appointment by order")),
        rules.FieldSet(("dismissal_order", "dismissed_on"), _l("Dismissal by order")),
    )
    form_ajax_refs = {
        "position": PortalAjaxLoader(
            "position",
            StaffPosition,
            fields=["title", StructuralUnit.name],
            joins=[StaffPosition.unit],
            order_by=StaffPosition.title,
            label=staff.position_label,
        ),
        "appointment_order": order_loader("appointment_order", OrderType.APPOINTMENT, OrderType.TRANSFER, unused=True),
        "dismissal_order": order_loader("dismissal_order", OrderType.DISMISSAL, unused=True),
    }
    form_args = {
        "position": {
            "description": _l("The picker shows free posts; the staff list's «Vacancies» filter lists them all.")
        },
        "rate": {"description": _l("Share of a post, e.g. 0.5.")},
        "appointment_order": {
            "description": _l("Appointment, transfer or a change of the rate needs a new order of the director.")
        },
        "hired_on": {"description": _l("Defaults to the order's date.")},
        "dismissed_on": {"description": _l("Defaults to the dismissal order's date.")},
    }

    def on_model_change(self, form, model, is_created):
        staff.validate_employee(model)

    def on_model_delete(self, model):
        staff.check_employee_deletable(model)

    def render(self, template, **kwargs):
        if template == self.list_template:
            positions = next((v for v in self.admin._views if isinstance(v, StaffPositionView)), None)
            kwargs["vacancy_url"] = positions.vacancy_url() if positions else None
            kwargs["vacancy_count"] = db.session.execute(
                sa.select(sa.func.count()).where(staff.vacancy_clause())
            ).scalar()
        return super().render(template, **kwargs)


# --- orders -------------------------------------------------------------------------------
class OrderView(PortalModelView):
    area = "order"
    column_list = ("number", "issued_on", "order_type", "title", "employee", "position")
    column_details_list = ("number", "issued_on", "order_type", "title", "text", "employee", "position")
    column_searchable_list = ("number", "title")
    column_sortable_list = ("number", "issued_on", "order_type", "title")
    column_default_sort = [("issued_on", True), ("id", True)]
    column_filters = (
        FilterEqual(Order.order_type, _l("Order type"), options=enum_choices(OrderType)),
        "issued_on",
        "number",
    )
    form_columns = ("number", "issued_on", "order_type", "title", "text")
    form_overrides = {"order_type": enum_select(OrderType)}

    def on_model_change(self, form, model, is_created):
        staff.validate_order(model)

    def on_model_delete(self, model):
        staff.check_order_deletable(model)


def register(admin) -> None:
    from admin_views.menu import CATEGORY_APPEALS, CATEGORY_ORG

    admin.add_view(ExecutorView(Executor, name=_l("Executors"), category=CATEGORY_APPEALS))
    admin.add_view(StructuralUnitView(StructuralUnit, name=_l("Structural units"), category=CATEGORY_ORG))
    admin.add_view(StaffPositionView(StaffPosition, name=_l("Staff list"), category=CATEGORY_ORG))
    admin.add_view(EmployeeView(Employee, name=_l("Employees"), category=CATEGORY_ORG))
    admin.add_view(OrderView(Order, name=_l("Orders"), category=CATEGORY_ORG))
