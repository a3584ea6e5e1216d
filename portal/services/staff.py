"""Organisation rules: structural units, the staff list, employees, the director's orders, executors.

The director appoints and dismisses staff and approves the units' regulations by orders
(statute, items 2, 3, 5), so:
- an employee takes a position (or another share of one) only with a new order of type
  appointment (or transfer, when moving between positions), and never beyond the
  position's free posts;
- an employee leaves only by a dismissal order, which sets the dismissal date;
- a unit's regulation changes only with an order of type regulation;
- the staff list's annual pay fund fits line 2111 of the approved estimate (see budget).

Validation functions raise :class:`DomainError`; the caller rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.enums import ExecutorKind, OrderType
from portal.models.org import Employee, Executor, Order, StaffPosition, StructuralUnit
from portal.services import budget
from portal.services.budget import ZERO, check_money, format_money, staff_annual_fund
from portal.services.changes import column_change, reference_change
from portal.services.errors import DomainError

APPOINTING = frozenset({OrderType.APPOINTMENT, OrderType.TRANSFER})
POSITION_AMOUNTS = ("posts", "salary", "allowances", "supplements")


def _is_new(obj) -> bool:
    state = sa_inspect(obj)
    return state.transient or state.pending


def _type_label(order_type) -> str:
    return str(OrderType(order_type))


# --- occupancy and vacancies -----------------------------------------------------------
def occupied_subquery():
    """SQL: the sum of active employees' rates on a position (correlated to StaffPosition)."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(Employee.rate), 0))
        .where(Employee.position_id == StaffPosition.id, Employee.dismissed_on.is_(None))
        .correlate(StaffPosition)
        .scalar_subquery()
    )


def vacancy_clause():
    """SQL: the position has free posts."""
    return StaffPosition.posts > occupied_subquery()


def occupied_rates(position_ids: Iterable[int]) -> dict[int, Decimal]:
    """Occupied posts (sum of active employees' rates) per position id."""
    ids = [i for i in position_ids if i is not None]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Employee.position_id, sa.func.sum(Employee.rate))
        .where(Employee.position_id.in_(ids), Employee.dismissed_on.is_(None))
        .group_by(Employee.position_id)
    )
    occupied = dict.fromkeys(ids, ZERO)
    occupied.update({pid: Decimal(total).quantize(Decimal("0.01")) for pid, total in rows if pid is not None})
    return occupied


def occupied_rate(position: StaffPosition, exclude_employee_id: int | None = None) -> Decimal:
    if position.id is None:
        return ZERO
    query = sa.select(sa.func.coalesce(sa.func.sum(Employee.rate), 0)).where(
        Employee.position_id == position.id, Employee.dismissed_on.is_(None)
    )
    if exclude_employee_id is not None:
        query = query.where(Employee.id != exclude_employee_id)
    with db.session.no_autoflush:
        return Decimal(db.session.execute(query).scalar_one()).quantize(Decimal("0.01"))


def free_posts(position: StaffPosition) -> Decimal:
    """Posts minus the rates of the active employees on them."""
    return Decimal(position.posts or 0) - occupied_rate(position)


# --- the staff list and its pay fund ----------------------------------------------------
def unit_totals(unit_ids: Iterable[int] | None = None) -> dict:
    """Per unit: posts, occupied and free posts, monthly and annual pay fund; plus the grand total."""
    query = sa.select(StaffPosition).order_by(StaffPosition.unit_id, StaffPosition.id)
    if unit_ids is not None:
        query = query.where(StaffPosition.unit_id.in_(list(unit_ids)))
    positions = list(db.session.execute(query).scalars())
    occupied = occupied_rates(p.id for p in positions)
    rows: dict[int, dict] = {}
    total = {"posts": ZERO, "occupied": ZERO, "free": ZERO, "monthly": ZERO, "annual": ZERO}
    for p in positions:
        row = rows.setdefault(
            p.unit_id,
            {
                "unit": p.unit,
                "path": unit_path(p.unit),
                "posts": ZERO,
                "occupied": ZERO,
                "free": ZERO,
                "monthly": ZERO,
                "annual": ZERO,
            },
        )
        values = {
            "posts": Decimal(p.posts or 0),
            "occupied": occupied.get(p.id, ZERO),
            "monthly": p.monthly_fund,
            "annual": p.annual_fund,
        }
        values["free"] = values["posts"] - values["occupied"]
        for key, value in values.items():
            row[key] += value
            total[key] += value
    return {"units": sorted(rows.values(), key=lambda r: r["path"]), "total": total}


def validate_position(position: StaffPosition) -> None:
    """Create or edit a line of the staff list."""
    with db.session.no_autoflush:
        if position.unit is None and position.unit_id is None:
            raise DomainError(_l("Choose the structural unit."))
        if not (position.title or "").strip():
            raise DomainError(_l("Enter the position title."))
        for key in POSITION_AMOUNTS:
            value = getattr(position, key)
            setattr(position, key, check_money(ZERO if value is None else value, StaffPosition, key))
        if not _is_new(position):
            occupied = occupied_rate(position)
            if position.posts < occupied:
                raise DomainError(
                    _l(
                        "%(occupied)s posts of this position are occupied; the number of posts cannot be lower. "
                        "Dismiss or transfer employees first.",
                        occupied=occupied,
                    )
                )
        if _is_new(position) or any(column_change(position, key)[2] for key in POSITION_AMOUNTS):
            before = staff_annual_fund()
            after = staff_annual_fund(exclude_position_id=position.id) + position.annual_fund
            if after > before:
                budget.check_staff_fund(after)


def check_position_deletable(position: StaffPosition) -> None:
    if position.id is None:
        return
    with db.session.no_autoflush:
        count = db.session.execute(sa.select(sa.func.count()).where(Employee.position_id == position.id)).scalar()
    if count:
        raise DomainError(
            _l(
                "Employees were appointed to this position (their history refers to it); it cannot be "
                "deleted. Set its number of posts to 0 instead."
            )
        )


# --- employees: appointment and dismissal only by an order -----------------------------
def _bind_order(order: Order, employee: Employee, position: StaffPosition | None) -> None:
    """An order concerns one employee (and position); link it, or refuse if it is another's."""
    if order.employee is not None and order.employee is not employee:
        raise DomainError(
            _l(
                "The order %(order)s concerns another employee (%(employee)s).",
                order=str(order),
                employee=str(order.employee),
            )
        )
    if position is not None and order.position is not None and order.position is not position:
        raise DomainError(
            _l(
                "The order %(order)s concerns another position (%(position)s).",
                order=str(order),
                position=str(order.position),
            )
        )
    order.employee = employee
    if position is not None:
        order.position = position


def _check_rate(rate) -> Decimal:
    rate = Decimal(rate if rate is not None else 0)
    if not ZERO < rate <= Decimal("1") or rate != rate.quantize(Decimal("0.01")):
        raise DomainError(_l("The rate is a share of a post: more than 0 and at most 1 (e.g. 0.5)."))
    return rate


def _check_capacity(employee: Employee, position: StaffPosition, rate: Decimal) -> None:
    occupied = occupied_rate(position, exclude_employee_id=employee.id)
    posts = Decimal(position.posts or 0)
    if occupied + rate > posts:
        raise DomainError(
            _l(
                "The position %(position)s has %(posts)s posts, %(occupied)s of them occupied: %(free)s free, "
                "but the appointment needs %(rate)s.",
                position=str(position),
                posts=posts,
                occupied=occupied,
                free=max(posts - occupied, ZERO),
                rate=rate,
            )
        )


def validate_employee(employee: Employee) -> None:
    """Any change of an employee: placement changes need the director's order (see module doc)."""
    with db.session.no_autoflush:
        if not (employee.full_name or "").strip():
            raise DomainError(_l("Enter the employee's full name."))
        is_new = _is_new(employee)
        old_pos, new_pos, pos_changed = reference_change(employee, "position", "position_id")
        _, new_app, app_changed = reference_change(employee, "appointment_order", "appointment_order_id")
        _, new_dis, dis_changed = reference_change(employee, "dismissal_order", "dismissal_order_id")
        _, _, rate_changed = column_change(employee, "rate")
        old_dd, new_dd, dd_changed = column_change(employee, "dismissed_on")
        was_dismissed = not is_new and old_dd is not None

        # a dismissal order chosen without a date: the employee is dismissed on the order's date
        if dis_changed and new_dis is not None and new_dd is None and not was_dismissed:
            employee.dismissed_on = new_dd = new_dis.issued_on
            dd_changed = True

        rehired = was_dismissed and dd_changed and new_dd is None
        if rehired:
            if not (app_changed and new_app is not None and new_pos is not None):
                raise DomainError(
                    _l(
                        "A dismissed employee returns only by a new appointment order: choose the position "
                        "and the appointment order."
                    )
                )
            employee.dismissal_order = None
        elif was_dismissed and (pos_changed or rate_changed or app_changed):
            raise DomainError(
                _l(
                    "The employee is dismissed: to appoint them again, clear the dismissal date and give a new "
                    "appointment order."
                )
            )

        if pos_changed and new_pos is None and old_pos is not None:
            raise DomainError(_l("An employee leaves a position only by a dismissal order."))

        first_appointment = is_new or old_pos is None or rehired
        if new_pos is not None and (pos_changed or rate_changed or rehired):
            rate = _check_rate(employee.rate)
            if not app_changed or new_app is None:
                raise DomainError(
                    _l(
                        "Appointment to a position (or a change of the rate) is made only by a new order of the "
                        "director: choose it in «%(field)s».",
                        field=_field("appointment_order"),
                    )
                )
            allowed = {OrderType.APPOINTMENT} if first_appointment else APPOINTING
            if new_app.order_type not in allowed:
                raise DomainError(
                    _l(
                        "The order %(order)s is of type «%(type)s»; this needs an order of type «%(needed)s».",
                        order=str(new_app),
                        type=_type_label(new_app.order_type),
                        needed=" / ".join(_type_label(t) for t in sorted(allowed)),
                    )
                )
            _check_capacity(employee, new_pos, rate)
            _bind_order(new_app, employee, new_pos)
            if first_appointment and (employee.hired_on is None or not column_change(employee, "hired_on")[2]):
                employee.hired_on = new_app.issued_on
        elif app_changed:
            if new_app is None and new_pos is not None:
                raise DomainError(_l("The appointment order of an appointed employee cannot be removed."))
            if new_app is not None:
                if new_pos is None:
                    raise DomainError(_l("Choose the position the order appoints to."))
                if new_app.order_type not in APPOINTING:
                    raise DomainError(
                        _l(
                            "The order %(order)s is of type «%(type)s»; this needs an order of type «%(needed)s».",
                            order=str(new_app),
                            type=_type_label(new_app.order_type),
                            needed=" / ".join(_type_label(t) for t in sorted(APPOINTING)),
                        )
                    )
                _bind_order(new_app, employee, new_pos)

        if dd_changed and new_dd is not None:
            if new_pos is None:
                raise DomainError(_l("The employee holds no position to be dismissed from."))
            if new_dis is None:
                raise DomainError(
                    _l(
                        "Dismissal is made only by an order of the director: choose it in «%(field)s».",
                        field=_field("dismissal_order"),
                    )
                )
            _check_dismissal_order(new_dis)
            if employee.hired_on is not None and new_dd < employee.hired_on:
                raise DomainError(_l("The dismissal date is earlier than the appointment date."))
            _bind_order(new_dis, employee, None)
        elif dis_changed and not rehired:
            if new_dis is None and new_dd is not None:
                raise DomainError(_l("The dismissal order of a dismissed employee cannot be removed."))
            if new_dis is not None:
                _check_dismissal_order(new_dis)
                _bind_order(new_dis, employee, None)


def _check_dismissal_order(order: Order) -> None:
    if order.order_type != OrderType.DISMISSAL:
        raise DomainError(
            _l(
                "The order %(order)s is of type «%(type)s»; this needs an order of type «%(needed)s».",
                order=str(order),
                type=_type_label(order.order_type),
                needed=_type_label(OrderType.DISMISSAL),
            )
        )


def _field(key: str) -> str:
    from portal.labels import field_label

    return str(field_label(Employee, key))


def appoint(
    employee: Employee, position: StaffPosition, order: Order, rate=Decimal("1"), hired_on: date | None = None
) -> Employee:
    """Appoint (or transfer) an employee to a position by the director's order."""
    employee.position = position
    employee.rate = Decimal(rate)
    employee.appointment_order = order
    if hired_on is not None:
        employee.hired_on = hired_on
    if employee.dismissed_on is not None and order is not None:
        employee.dismissed_on = None
    if _is_new(employee):
        db.session.add(employee)
    validate_employee(employee)
    return employee


def dismiss(employee: Employee, order: Order, dismissed_on: date | None = None) -> Employee:
    """Dismiss an employee by the director's order; the date defaults to the order's."""
    if employee.dismissed_on is not None:
        raise DomainError(_l("%(employee)s is already dismissed.", employee=str(employee)))
    employee.dismissal_order = order
    employee.dismissed_on = dismissed_on or (order.issued_on if order is not None else None)
    validate_employee(employee)
    return employee


def check_employee_deletable(employee: Employee) -> None:
    """Staff records are history: a person who held a post is dismissed, not deleted."""
    if employee.position_id is not None or employee.appointment_order_id is not None:
        raise DomainError(
            _l(
                "%(employee)s was appointed by an order; the record is kept as history. Dismiss by an order instead.",
                employee=str(employee),
            )
        )
    if employee.id is not None:
        with db.session.no_autoflush:
            heads = db.session.execute(sa.select(sa.func.count()).where(StructuralUnit.head_id == employee.id)).scalar()
        if heads:
            raise DomainError(_l("%(employee)s heads a structural unit.", employee=str(employee)))


# --- structural units ---------------------------------------------------------------------
def unit_path(unit: StructuralUnit | None) -> str:
    """'Center / Department / Sector': the unit's place in the tree."""
    names: list[str] = []
    seen = set()
    while unit is not None and id(unit) not in seen and len(names) < 50:
        seen.add(id(unit))
        names.append(unit.name or "")
        unit = unit.parent
    return " / ".join(reversed(names))


def validate_unit(unit: StructuralUnit) -> None:
    """Create or edit a unit: no cycles in the tree, active head, regulation only by an order."""
    with db.session.no_autoflush:
        if not (unit.name or "").strip() or not (unit.code or "").strip():
            raise DomainError(_l("Enter the unit's name and code."))
        duplicate = db.session.execute(
            sa.select(StructuralUnit.id).where(StructuralUnit.code == unit.code, StructuralUnit.id != (unit.id or 0))
        ).first()
        if duplicate:
            raise DomainError(_l("A unit with the code %(code)s already exists.", code=unit.code))
        _, parent, _ = reference_change(unit, "parent", "parent_id")
        ancestor, depth = parent, 0
        while ancestor is not None and depth < 100:
            if ancestor is unit:
                raise DomainError(_l("A unit cannot be placed under itself or under one of its own subunits."))
            ancestor, depth = ancestor.parent, depth + 1
        _, head, head_changed = reference_change(unit, "head", "head_id")
        if head_changed and head is not None and not head.is_active:
            raise DomainError(_l("%(employee)s is dismissed and cannot head a unit.", employee=str(head)))
        _, text, text_changed = column_change(unit, "regulation")
        _, order, order_changed = reference_change(unit, "regulation_order", "regulation_order_id")
        if order is not None and order.order_type != OrderType.REGULATION:
            raise DomainError(
                _l(
                    "The order %(order)s is of type «%(type)s»; this needs an order of type «%(needed)s».",
                    order=str(order),
                    type=_type_label(order.order_type),
                    needed=_type_label(OrderType.REGULATION),
                )
            )
        if text_changed and (text or "").strip() and not (order_changed and order is not None):
            raise DomainError(
                _l(
                    "A unit's regulation takes effect only by the director's order: choose a new order of type "
                    "«%(needed)s» in «%(field)s».",
                    needed=_type_label(OrderType.REGULATION),
                    field=_unit_field("regulation_order"),
                )
            )
        if order_changed and order is not None and not (text or "").strip():
            raise DomainError(_l("Enter the text of the regulation the order approves."))


def _unit_field(key: str) -> str:
    from portal.labels import field_label

    return str(field_label(StructuralUnit, key))


def approve_regulation(unit: StructuralUnit, order: Order, text: str) -> StructuralUnit:
    """The director approves a unit's regulation by an order of type regulation."""
    unit.regulation = text
    unit.regulation_order = order
    validate_unit(unit)
    return unit


def check_unit_deletable(unit: StructuralUnit) -> None:
    if unit.id is None:
        return
    with db.session.no_autoflush:

        def count(query):
            return db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar()

        if count(sa.select(StructuralUnit.id).where(StructuralUnit.parent_id == unit.id)):
            raise DomainError(_l("The unit has subunits; move or delete them first."))
        if count(sa.select(StaffPosition.id).where(StaffPosition.unit_id == unit.id)):
            raise DomainError(_l("The unit has positions in the staff list; it cannot be deleted."))
        if count(sa.select(Executor.id).where(Executor.unit_id == unit.id)):
            raise DomainError(_l("An executor refers to this unit; it cannot be deleted."))


# --- orders -----------------------------------------------------------------------------
def order_usage(order: Order) -> int:
    """How many staff records and regulations refer to the order."""
    if order.id is None:
        return 0
    with db.session.no_autoflush:
        employees = db.session.execute(
            sa.select(sa.func.count()).where(
                sa.or_(Employee.appointment_order_id == order.id, Employee.dismissal_order_id == order.id)
            )
        ).scalar_one()
        units = db.session.execute(
            sa.select(sa.func.count()).where(StructuralUnit.regulation_order_id == order.id)
        ).scalar_one()
    return employees + units


def validate_order(order: Order) -> None:
    with db.session.no_autoflush:
        if not (order.number or "").strip() or order.issued_on is None or order.order_type is None:
            raise DomainError(_l("Enter the order's number, date and type."))
        duplicate = db.session.execute(
            sa.select(Order.id).where(
                Order.number == order.number, Order.issued_on == order.issued_on, Order.id != (order.id or 0)
            )
        ).first()
        if duplicate:
            raise DomainError(_l("An order № %(number)s of this date already exists.", number=order.number))
        if not _is_new(order) and order.is_signed and _signed_before(order):
            raise DomainError(_l("The order %(order)s is signed; a signed order is final.", order=str(order)))
        if order.position is not None and order.order_type not in APPOINTING:
            raise DomainError(_l("Only an appointment or transfer order names a staff position: clear it."))
        if order.order_type in APPOINTING:
            order.rate = _check_rate(order.rate)
        if not _is_new(order) and column_change(order, "order_type")[2] and order_usage(order):
            raise DomainError(_l("The order is already used in staff records or regulations; its type cannot change."))


def _signed_before(order: Order) -> bool:
    """Was the order signed before this change (a signature being added now is not an edit)?"""
    return column_change(order, "signed_at")[0] is not None


def order_frozen_reason(order: Order):
    """Why an order cannot be edited (None: it can)."""
    if order.is_signed:
        return _l("The order %(order)s is signed; a signed order is final and cannot be edited.", order=str(order))
    return None


def _check_free_rate(employee: Employee, position: StaffPosition, rate: Decimal) -> None:
    occupied = occupied_rate(position, exclude_employee_id=employee.id)
    posts = Decimal(position.posts or 0)
    if occupied + rate > posts:
        raise DomainError(
            _l(
                "The order cannot be signed: the position %(position)s has no free rate for it "
                "(%(free)s of %(posts)s posts free, the order needs %(rate)s). Free a post or change the staff list "
                "first.",
                position=str(position),
                free=format_money(max(posts - occupied, ZERO)),
                posts=format_money(posts),
                rate=format_money(rate),
            )
        )


def sign_order(order: Order, user) -> Order:
    """The director signs an order and it takes effect: an appointment or dismissal it names happens now.

    An appointment (or transfer) order names the employee, the position and the rate; a dismissal
    order names the employee. An order whose effect was already entered on the employee's record
    (the employee form) is only marked signed. The caller commits.
    """
    if order.is_signed:
        raise DomainError(_l("The order %(order)s is signed already.", order=str(order)))
    kind = OrderType(order.order_type)
    employee = order.employee
    if kind in APPOINTING:
        if employee is None or order.position is None:
            raise DomainError(
                _l(
                    "An order of type «%(type)s» names the employee and the staff position: fill them in, then sign.",
                    type=_type_label(kind),
                )
            )
        if employee.appointment_order is not order:
            rate = _check_rate(order.rate)
            _check_free_rate(employee, order.position, rate)
            appoint(employee, order.position, order, rate=rate, hired_on=order.issued_on)
    elif kind == OrderType.DISMISSAL:
        if employee is None:
            raise DomainError(_l("A dismissal order names the employee: fill it in, then sign."))
        if employee.dismissal_order is not order:
            dismiss(employee, order)
    order.signed_at = utcnow()
    order.signed_by_id = getattr(user, "id", None)
    return order


def check_order_deletable(order: Order) -> None:
    if order.is_signed:
        raise DomainError(
            _l("The order %(order)s is signed; a signed order is kept and cannot be deleted.", order=str(order))
        )
    if order_usage(order):
        raise DomainError(_l("The order is used in staff records or regulations; it cannot be deleted."))


# --- executors --------------------------------------------------------------------------
def validate_executor(executor: Executor) -> None:
    """An internal executor is a unit of the center; an external body is not."""
    with db.session.no_autoflush:
        if not (executor.name or "").strip():
            raise DomainError(_l("Enter the executor's name."))
        duplicate = db.session.execute(
            sa.select(Executor.id).where(Executor.name == executor.name, Executor.id != (executor.id or 0))
        ).first()
        if duplicate:
            raise DomainError(_l("An executor named %(name)s already exists.", name=executor.name))
        has_unit = executor.unit is not None or executor.unit_id is not None
        if executor.kind == ExecutorKind.INTERNAL and not has_unit:
            raise DomainError(_l("An internal executor is a structural unit of the center: choose the unit."))
        if executor.kind == ExecutorKind.EXTERNAL and has_unit:
            raise DomainError(_l("An external body is not a unit of the center: clear the structural unit."))


def position_label(position: StaffPosition, free: Decimal | None = None) -> str:
    """'Title (unit) — free 0.50 of 2.00' for pickers."""
    free = free_posts(position) if free is None else free
    return str(
        _l(
            "%(position)s — free %(free)s of %(posts)s",
            position=str(position),
            free=format_money(free),
            posts=format_money(position.posts),
        )
    )
