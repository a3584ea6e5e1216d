"""Factories: each builds a valid row with sensible defaults; keyword arguments override.

They add to the session and flush (so ids exist) but never commit.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from portal.extensions import db
from portal.models import (
    Appeal,
    Applicant,
    Assignment,
    BudgetEstimate,
    BudgetLine,
    Direction,
    Employee,
    Executor,
    Expenditure,
    Kekv,
    Order,
    ResultCode,
    StaffPosition,
    StructuralUnit,
    Topic,
    User,
)
from portal.models.enums import (
    AppealStatus,
    AppealType,
    Channel,
    ExecutorKind,
    ExecutorRole,
    Fund,
    OrderType,
    Role,
)

PASSWORD = "Passw0rd-2026"
_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def make_direction(**kw) -> Direction:
    n = _n()
    return _add(Direction(**{"name": f"Напрям {n}", "signer_title": "Заступник", **kw}))


def make_topic(**kw) -> Topic:
    n = _n()
    return _add(Topic(**{"code": f"T{n}", "name": f"Тема {n}", **kw}))


def make_executor(**kw) -> Executor:
    n = _n()
    return _add(
        Executor(
            **{
                "name": f"Департамент {n}",
                "short_name": f"Деп {n}",
                "kind": ExecutorKind.EXTERNAL,
                "email": f"dep{n}@example.gov.ua",
                **kw,
            }
        )
    )


def make_user(role=Role.CLERK, password: str = PASSWORD, **kw) -> User:
    role = Role(role)
    n = _n()
    if role == Role.EXECUTOR and "executor" not in kw and "executor_id" not in kw:
        kw["executor"] = make_executor()
    if role == Role.SIGNER and "direction" not in kw and "direction_id" not in kw:
        kw["direction"] = make_direction()
    user = User(
        **{"username": f"{role.value}{n}", "full_name": f"Користувач {n}", "role": role, "session_version": 1, **kw}
    )
    user.set_password(password)
    return _add(user)


def make_applicant(**kw) -> Applicant:
    n = _n()
    return _add(
        Applicant(
            **{
                "full_name": f"Петренко Петро Петрович {n}",
                "address": "м. Дніпро, вул. Шевченка, 1",
                "phone": f"+38067{n:07d}",
                "email": f"p{n}@example.com",
                **kw,
            }
        )
    )


def make_appeal(**kw) -> Appeal:
    """An appeal registered today (due in 30 days) unless overridden."""
    n = _n()
    registered = kw.pop("registered_at", datetime.now(UTC))
    if "applicant" not in kw and "applicant_id" not in kw:
        kw["applicant"] = make_applicant()
    defaults = {
        "reg_number": f"T-{n}/26",
        "registered_at": registered,
        "channel": Channel.GOVERNMENT,
        "appeal_type": AppealType.STATEMENT,
        "summary": f"Звернення {n}: відсутність опалення",
        "content": "Прошу вжити заходів.",
        "status": AppealStatus.REGISTERED,
        "due_date": registered.date() + timedelta(days=30),
    }
    return _add(Appeal(**{**defaults, **kw}))


def make_assignment(appeal: Appeal, executor: Executor | None = None, **kw) -> Assignment:
    return _add(
        Assignment(
            **{
                "appeal": appeal,
                "executor": executor or make_executor(),
                "executor_role": ExecutorRole.RESPONSIBLE,
                "position": 1,
                "due_date": appeal.due_date,
                **kw,
            }
        )
    )


def make_unit(**kw) -> StructuralUnit:
    n = _n()
    return _add(StructuralUnit(**{"name": f"Відділ {n}", "code": f"U{n}", **kw}))


def make_position(**kw) -> StaffPosition:
    if "unit" not in kw and "unit_id" not in kw:
        kw["unit"] = make_unit()
    return _add(
        StaffPosition(**{"title": "Головний спеціаліст", "posts": Decimal("1"), "salary": Decimal("12000"), **kw})
    )


def make_order(**kw) -> Order:
    n = _n()
    return _add(
        Order(
            **{
                "number": f"{n}-к",
                "issued_on": date.today(),
                "order_type": OrderType.GENERAL,
                "title": f"Наказ {n}",
                **kw,
            }
        )
    )


def make_employee(**kw) -> Employee:
    n = _n()
    return _add(Employee(**{"full_name": f"Іваненко Іван {n}", **kw}))


def kekv(code: str) -> Kekv:
    return db.session.execute(db.select(Kekv).filter_by(code=code)).scalar_one()


def result_code(code: str) -> ResultCode:
    return db.session.execute(db.select(ResultCode).filter_by(code=code)).scalar_one()


def make_estimate(**kw) -> BudgetEstimate:
    return _add(BudgetEstimate(**{"year": date.today().year, "fund": Fund.GENERAL, **kw}))


def make_line(
    estimate: BudgetEstimate | None = None, code: str = "2210", monthly: Decimal = Decimal("1000"), **kw
) -> BudgetLine:
    months = {f"m{m:02d}": monthly for m in range(1, 13)}
    return _add(
        BudgetLine(
            **{
                "estimate": estimate or make_estimate(),
                "kekv": kekv(code),
                "annual_amount": monthly * 12,
                **months,
                **kw,
            }
        )
    )


def make_expenditure(line: BudgetLine, **kw) -> Expenditure:
    return _add(
        Expenditure(
            **{"line": line, "spent_on": date.today(), "amount": Decimal("100"), "description": "Папір офісний", **kw}
        )
    )
