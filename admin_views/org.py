"""Organisation screens: executors, structural units, staff list, employees, orders.

Views stay declarative; every rule is in ``portal.services.staff`` and is called from the
hooks, so the form, inline edit, delete and bulk delete all go through it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_admin.form import rules
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from admin_views.base import PortalModelView, money
from admin_views.filters import EmployeeStatusFilter, ExecutorTopicFilter, VacancyFilter, filter_args
from admin_views.forms.fields import CsrfTokenRule, enum_select
from admin_views.forms.pickers import PortalAjaxLoader, order_loader
from portal.extensions import db
from portal.i18n import format_money
from portal.labels import enum_choices, field_labels
from portal.models.enums import ExecutorKind, OrderType
from portal.models.org import Employee, Executor, ExecutorContact, Order, StaffPosition, StructuralUnit
from portal.models.reference import Topic
from portal.models.users import User
from portal.services import budget, staff
from portal.services.errors import DomainError


# --- executors --------------------------------------------------------------------------
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
                "column_labels": field_labels(ExecutorContact, explicit_only=True),
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
        if not kwargs.get("execute", True):
            return count, data  # a query for an export to stream; its cells compute row by row
        return count, _positions_with_occupancy(data)

    def on_model_change(self, form, model, is_created):
        staff.validate_position(model)

    def on_model_delete(self, model):
        staff.check_position_deletable(model)

    def vacancy_url(self) -> str:
        """The list filtered to positions with free posts."""
        for key, flt in filter_args(self).items():
            if isinstance(flt, VacancyFilter):
                args: dict[str, Any] = {f"flt0_{key}": "1"}
                return url_for(f"{self.endpoint}.index_view", **args)
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
            positions = self.admin.registry.get("staff_position")
            kwargs["vacancy_url"] = positions.vacancy_url() if positions else None
            kwargs["vacancy_count"] = db.session.execute(
                sa.select(sa.func.count()).where(staff.vacancy_clause())
            ).scalar()
        return super().render(template, **kwargs)


# --- orders -------------------------------------------------------------------------------
def _signer(view, context, model, name):
    user = db.session.get(User, model.signed_by_id) if model.signed_by_id else None
    return str(user) if user is not None else "—"


class OrderView(PortalModelView):
    area = "order"
    details_template = "admin/order_details.html"
    extra_view_actions = {"sign_view": "sign"}
    column_list = ("number", "issued_on", "order_type", "title", "employee", "position", "signed_at")
    column_details_list = (
        "number",
        "issued_on",
        "order_type",
        "title",
        "text",
        "employee",
        "position",
        "rate",
        "signed_at",
        "signed_by_id",
    )
    column_searchable_list = ("number", "title")
    column_sortable_list = ("number", "issued_on", "order_type", "title", "signed_at")
    column_default_sort = [("issued_on", True), ("id", True)]
    column_filters = (
        FilterEqual(Order.order_type, _l("Order type"), options=enum_choices(OrderType)),
        "issued_on",
        "number",
    )
    form_columns = ("number", "issued_on", "order_type", "title", "text", "employee", "position", "rate")
    form_rules = (
        CsrfTokenRule(),
        "number",
        "issued_on",
        "order_type",
        "title",
        "text",
        rules.FieldSet(("employee", "position", "rate"), _l("Whom the order appoints or dismisses")),
    )
    form_overrides = {"order_type": enum_select(OrderType)}
    form_ajax_refs = {
        "employee": PortalAjaxLoader("employee", Employee, fields=["full_name"], order_by=Employee.full_name),
        "position": PortalAjaxLoader(
            "position",
            StaffPosition,
            fields=["title", StructuralUnit.name],
            joins=[StaffPosition.unit],
            order_by=StaffPosition.title,
            label=staff.position_label,
        ),
    }
    form_args = {
        "employee": {"description": _l("An appointment, transfer or dismissal order names the employee.")},
        "position": {
            "description": _l("An appointment or transfer order names the position; the picker shows free posts.")
        },
        "rate": {"description": _l("Share of a post the appointment gives, e.g. 0.5.")},
    }

    column_formatters_detail = {"signed_by_id": _signer}

    def frozen_reason(self, model):
        return staff.order_frozen_reason(model)

    def on_model_change(self, form, model, is_created):
        staff.validate_order(model)

    def on_model_delete(self, model):
        staff.check_order_deletable(model)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs["can_sign"] = self.allowed("sign") and not model.is_signed
        return super().render(template, **kwargs)

    @expose("/sign/", methods=("POST",))
    def sign_view(self):
        order = self.get_one(request.args.get("id", "") or request.form.get("id", ""))
        if order is None:
            flash(_l("Record does not exist."), "error")
            return redirect(self.get_url(".index_view"))
        try:
            staff.sign_order(order, current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_l("The order %(order)s is signed and has taken effect.", order=str(order)), "success")
        return redirect(self.get_url(".details_view", id=order.id))


def register(admin) -> None:
    from admin_views.menu import CATEGORY_APPEALS, CATEGORY_ORG

    admin.add_view(ExecutorView(Executor, name=_l("Executors"), category=CATEGORY_APPEALS))
    admin.add_view(StructuralUnitView(StructuralUnit, name=_l("Structural units"), category=CATEGORY_ORG))
    admin.add_view(StaffPositionView(StaffPosition, name=_l("Staff list"), category=CATEGORY_ORG))
    admin.add_view(EmployeeView(Employee, name=_l("Employees"), category=CATEGORY_ORG))
    admin.add_view(OrderView(Order, name=_l("Orders"), category=CATEGORY_ORG))
