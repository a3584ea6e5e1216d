"""Budget screens: estimates, lines, expenditures."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from admin_views.base import PortalModelView
from portal.models.budget import BudgetEstimate, BudgetLine, Expenditure


class BudgetEstimateView(PortalModelView):
    area = "budget_estimate"
    column_list = ("year", "fund", "state", "approved_at")


class BudgetLineView(PortalModelView):
    area = "budget_line"
    column_list = ("estimate", "kekv", "annual_amount")


class ExpenditureView(PortalModelView):
    area = "expenditure"
    column_list = ("spent_on", "line", "amount", "description")


def register(admin) -> None:
    from admin_views import CATEGORY_BUDGET

    admin.add_view(BudgetEstimateView(BudgetEstimate, name=_l("Budget estimates"), category=CATEGORY_BUDGET))
    admin.add_view(BudgetLineView(BudgetLine, name=_l("Budget lines"), category=CATEGORY_BUDGET))
    admin.add_view(ExpenditureView(Expenditure, name=_l("Expenditures"), category=CATEGORY_BUDGET))
