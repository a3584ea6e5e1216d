"""Organisation screens: executors, structural units, staff list, employees, orders."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from admin_views.base import PortalModelView
from portal.models.org import Employee, Executor, Order, StaffPosition, StructuralUnit


class ExecutorView(PortalModelView):
    area = "executor"
    column_list = ("name", "kind", "head_name", "phone", "email", "is_active")
    column_searchable_list = ("name", "short_name")


class StructuralUnitView(PortalModelView):
    area = "structural_unit"
    column_list = ("code", "name", "parent", "head")


class StaffPositionView(PortalModelView):
    area = "staff_position"
    column_list = ("unit", "title", "posts", "salary", "allowances", "supplements")


class EmployeeView(PortalModelView):
    area = "employee"
    column_list = ("full_name", "position", "rate", "hired_on", "dismissed_on")
    column_searchable_list = ("full_name",)


class OrderView(PortalModelView):
    area = "order"
    column_list = ("number", "issued_on", "order_type", "title")
    column_default_sort = ("issued_on", True)


def register(admin) -> None:
    from admin_views import CATEGORY_APPEALS, CATEGORY_ORG

    admin.add_view(ExecutorView(Executor, name=_l("Executors"), category=CATEGORY_APPEALS))
    admin.add_view(StructuralUnitView(StructuralUnit, name=_l("Structural units"), category=CATEGORY_ORG))
    admin.add_view(StaffPositionView(StaffPosition, name=_l("Staff list"), category=CATEGORY_ORG))
    admin.add_view(EmployeeView(Employee, name=_l("Employees"), category=CATEGORY_ORG))
    admin.add_view(OrderView(Order, name=_l("Orders"), category=CATEGORY_ORG))
