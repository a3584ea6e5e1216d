"""Budget screens: estimates, lines, amendments, expenditures.

Every rule is in ``portal.services.budget`` and is called from the hooks and the approve
routes, so the form, delete, bulk delete and approval all go through it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike, IntEqualFilter
from flask_admin.form import rules
from flask_admin.helpers import get_redirect_target
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from admin_views.base import PortalModelView, money
from admin_views.forms.fields import CsrfTokenRule, MonthSelectField, enum_select
from admin_views.forms.pickers import budget_line_loader
from portal.extensions import db
from portal.i18n import format_money
from portal.labels import enum_choices, field_labels
from portal.models.budget import (
    MONTH_COLUMNS,
    MONTH_NAMES,
    MONTHS,
    AmendmentLine,
    BudgetAmendment,
    BudgetEstimate,
    BudgetLine,
    Expenditure,
)
from portal.models.enums import DocumentState, Fund
from portal.models.reference import Kekv
from portal.services import budget
from portal.services.errors import DomainError


def _approved_estimates():
    return (
        db.session.execute(
            sa.select(BudgetEstimate)
            .where(BudgetEstimate.state == DocumentState.APPROVED)
            .order_by(BudgetEstimate.year.desc(), BudgetEstimate.fund)
        )
        .scalars()
        .all()
    )


class _ApprovingView(PortalModelView):
    """An approve route (POST, CSRF-checked): the director's ``approve`` action on estimates."""

    extra_view_actions = {"approve_view": "approve"}
    approve_service: Callable[..., Any] | None = None

    @expose("/approve/", methods=("POST",))
    def approve_view(self):
        return_url = get_redirect_target() or self.get_url(".index_view")
        model = self.get_one(request.args.get("id", ""))
        if model is None:
            flash(_l("Record does not exist."), "error")
            return redirect(return_url)
        self._approve(model)
        return redirect(return_url)

    def _approve(self, model) -> bool:
        try:
            service = type(self).approve_service
            assert service is not None  # every approving view names its service
            service(model, current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False
        flash(_l("%(record)s is approved.", record=str(model)), "success")
        return True

    def bulk_approve(self, ids):
        for record_id in ids:
            model = self.get_one(record_id)
            if model is not None:
                self._approve(model)


# --- estimates ------------------------------------------------------------------------------
def _estimate_total(view, context, model, name):
    return format_money(sum((line.annual_amount or Decimal("0") for line in model.lines), Decimal("0")))


class BudgetEstimateView(_ApprovingView):
    area = "budget_estimate"
    details_template = "admin/budget_estimate_details.html"
    approve_service = budget.approve_estimate
    action_permissions = {"delete": "delete", "approve": "approve"}
    column_list = ("year", "fund", "state", "total", "approved_at", "approved_by", "note")
    column_details_list = ("year", "fund", "state", "total", "approved_at", "approved_by", "note")
    column_labels = {"total": _l("Total, UAH")}
    column_formatters = {"total": _estimate_total}
    column_sortable_list = ("year", "fund", "state", "approved_at")
    column_default_sort = [("year", True), ("fund", False)]
    column_filters = (
        "year",
        FilterEqual(BudgetEstimate.fund, _l("Fund"), options=enum_choices(Fund)),
        FilterEqual(BudgetEstimate.state, _l("State"), options=enum_choices(DocumentState)),
    )
    form_columns = ("year", "fund", "note")
    form_overrides = {"fund": enum_select(Fund)}

    @action("approve", _l("Approve"), _l("Approve the selected estimates?"))
    def action_approve(self, ids):
        self.bulk_approve(ids)

    def on_model_change(self, form, model, is_created):
        budget.validate_estimate(model)

    def on_model_delete(self, model):
        budget.check_estimate_deletable(model)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            rows = budget.execution(model)
            kwargs.update(
                execution=rows,
                months=MONTHS,
                month_names=MONTH_NAMES,
                format_money=format_money,
                plan_by_month=[sum((r["plan"][m - 1] for r in rows), Decimal("0")) for m in MONTHS],
                spent_by_month=[sum((r["spent"][m - 1] for r in rows), Decimal("0")) for m in MONTHS],
                annual_total=sum((r["annual"] for r in rows), Decimal("0")),
                spent_total=sum((r["spent_total"] for r in rows), Decimal("0")),
                amendments=sorted(model.amendments, key=lambda a: (a.dated, a.id)),
                can_approve=self.allowed("approve") and not model.is_approved,
            )
        return super().render(template, **kwargs)


# --- lines ----------------------------------------------------------------------------------
def _spent(view, context, model, name):
    totals = getattr(model, "_spent", None)
    value = totals if totals is not None else budget.spent_totals([model.id]).get(model.id, Decimal("0"))
    return format_money(value)


def _remaining(view, context, model, name):
    spent = getattr(model, "_spent", None)
    if spent is None:
        spent = budget.spent_totals([model.id]).get(model.id, Decimal("0"))
    return format_money((model.annual_amount or Decimal("0")) - spent)


class BudgetLineView(PortalModelView):
    area = "budget_line"

    def frozen_reason(self, model):
        if model.estimate is not None and model.estimate.is_approved:
            return _l(
                "The estimate %(estimate)s is approved: its lines change only through an approved amendment.",
                estimate=str(model.estimate),
            )
        return None

    details_template = "admin/budget_line_details.html"
    column_list = ("estimate", "kekv", "annual_amount", "spent", "remaining") + MONTH_COLUMNS
    column_searchable_list = ("kekv.code", "kekv.name")
    column_details_list = ("estimate", "kekv", "annual_amount", "spent", "remaining")
    column_labels = {
        "spent": _l("Spent, UAH"),
        "remaining": _l("Remaining, UAH"),
        "kekv.code": _l("KEKV code"),
        "kekv.name": _l("KEKV name"),
    }
    column_formatters = {
        "annual_amount": money,
        "spent": _spent,
        "remaining": _remaining,
        **dict.fromkeys(MONTH_COLUMNS, money),
    }
    column_sortable_list = (("estimate", "estimate.year"), ("kekv", "kekv.code"), "annual_amount")
    column_default_sort = [("estimate.year", True), ("kekv.code", False)]
    column_filters = (
        IntEqualFilter("estimate.year", _l("Budget year")),
        FilterEqual("estimate.fund", _l("Fund"), options=enum_choices(Fund)),
        FilterEqual("estimate.state", _l("State"), options=enum_choices(DocumentState)),
        FilterLike("kekv.code", _l("KEKV")),
    )
    form_columns = ("estimate", "kekv", "annual_amount") + MONTH_COLUMNS
    form_rules = (
        CsrfTokenRule(),
        "estimate",
        "kekv",
        "annual_amount",
        rules.FieldSet(MONTH_COLUMNS, _l("Monthly plan (must add up to the annual sum)")),
    )
    form_args = {
        "estimate": {
            "query_factory": lambda: (
                db.session.execute(sa.select(BudgetEstimate).order_by(BudgetEstimate.year.desc(), BudgetEstimate.fund))
                .scalars()
                .all()
            )
        },
        "kekv": {"query_factory": lambda: db.session.execute(sa.select(Kekv).order_by(Kekv.code)).scalars().all()},
    }

    def get_list(self, *args, **kwargs):
        count, data = super().get_list(*args, **kwargs)
        if not kwargs.get("execute", True):
            return count, data  # a query for an export to stream; its cells compute row by row
        totals = budget.spent_totals(line.id for line in data)
        for line in data:
            line._spent = totals.get(line.id, Decimal("0"))
        return count, data

    def on_model_change(self, form, model, is_created):
        budget.validate_line(model)

    def on_model_delete(self, model):
        budget.check_line_deletable(model)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            plan, spent = model.month_plan(), budget.spent_by_month(model.id)
            rows, plan_cum, spent_cum = [], Decimal("0"), Decimal("0")
            for m in MONTHS:
                plan_cum += plan[m - 1]
                spent_cum += spent[m - 1]
                rows.append(
                    {
                        "month": MONTH_NAMES[m - 1],
                        "plan": plan[m - 1],
                        "spent": spent[m - 1],
                        "plan_cum": plan_cum,
                        "spent_cum": spent_cum,
                        "room": plan_cum - spent_cum,
                    }
                )
            kwargs.update(months_table=rows, format_money=format_money)
        return super().render(template, **kwargs)


# --- amendments -----------------------------------------------------------------------------
def _amendment_total(view, context, model, name):
    return format_money(sum((c.delta or Decimal("0") for c in model.changes), Decimal("0")))


class BudgetAmendmentView(_ApprovingView):
    """Amendments (довідки про зміни): accountant drafts, director approves; kept as history."""

    area = "budget_amendment"
    details_template = "admin/budget_amendment_details.html"
    approve_service = budget.approve_amendment
    action_permissions = {"delete": "delete"}
    column_list = ("estimate", "number", "dated", "reason", "total", "state", "approved_at", "approved_by")
    column_details_list = ("estimate", "number", "dated", "reason", "total", "state", "approved_at", "approved_by")
    column_labels = {"total": _l("Total change, UAH")}
    column_formatters = {"total": _amendment_total}
    column_searchable_list = ("number", "reason")
    column_sortable_list = ("number", "dated", "state", ("estimate", "estimate.year"))
    column_default_sort = [("dated", True), ("id", True)]
    column_filters = (
        FilterEqual(BudgetAmendment.state, _l("State"), options=enum_choices(DocumentState)),
        IntEqualFilter("estimate.year", _l("Budget year")),
        "dated",
    )
    form_columns = ("estimate", "number", "dated", "reason", "changes")
    form_args = {"estimate": {"query_factory": _approved_estimates}}

    def frozen_reason(self, model):
        if model.is_approved:
            return _l("An approved amendment is history and cannot change.")
        return None

    inline_models = (
        (
            AmendmentLine,
            {
                "form_columns": ("id", "line", "month", "delta"),
                "form_ajax_refs": {"line": budget_line_loader("line", approved_only=True)},
                "form_overrides": {"month": MonthSelectField},
                "form_args": {"delta": {"description": _l("Positive adds, negative takes away.")}},
                "form_label": _l("Changes"),
                "column_labels": field_labels(AmendmentLine, explicit_only=True),
            },
        ),
    )

    def on_model_change(self, form, model, is_created):
        budget.validate_amendment(model)

    def on_model_delete(self, model):
        budget.check_amendment_deletable(model)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs.update(
                changes=sorted(model.changes, key=lambda c: (c.line.kekv.code, c.month)),
                month_names=MONTH_NAMES,
                format_money=format_money,
                can_approve=self.allowed("approve") and not model.is_approved,
            )
        return super().render(template, **kwargs)


# --- expenditures ---------------------------------------------------------------------------
class ExpenditureView(PortalModelView):
    area = "expenditure"
    column_list = ("spent_on", "line", "amount", "description", "document_ref", "created_by")
    column_searchable_list = ("description", "document_ref")
    column_sortable_list = ("spent_on", "amount", "description")
    column_default_sort = [("spent_on", True), ("id", True)]
    column_formatters = {"amount": money}
    column_filters = (
        "spent_on",
        IntEqualFilter("line.estimate.year", _l("Budget year")),
        FilterLike("line.kekv.code", _l("KEKV")),
        "amount",
    )
    form_columns = ("line", "spent_on", "amount", "description", "document_ref")
    form_ajax_refs = {"line": budget_line_loader("line", approved_only=True)}
    form_args = {"line": {"description": _l("Lines of approved estimates only.")}}

    def on_model_change(self, form, model, is_created):
        if is_created and current_user.is_authenticated:
            model.created_by_id = current_user.id
        budget.validate_expenditure(model)


def register(admin) -> None:
    from admin_views.menu import CATEGORY_BUDGET

    admin.add_view(BudgetEstimateView(BudgetEstimate, name=_l("Budget estimates"), category=CATEGORY_BUDGET))
    admin.add_view(BudgetLineView(BudgetLine, name=_l("Budget lines"), category=CATEGORY_BUDGET))
    admin.add_view(BudgetAmendmentView(BudgetAmendment, name=_l("Amendments"), category=CATEGORY_BUDGET))
    admin.add_view(ExpenditureView(Expenditure, name=_l("Expenditures"), category=CATEGORY_BUDGET))
