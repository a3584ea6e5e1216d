"""Budget estimate (кошторис): lines by КЕКВ with a 12-month plan, amendments, expenditures."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Model, Money, TimestampMixin, UTCDateTime, enum_column
from portal.models.enums import DocumentState, Fund

if TYPE_CHECKING:
    from portal.models.reference import Kekv
    from portal.models.users import User

MONTHS = tuple(range(1, 13))
MONTH_COLUMNS = tuple(f"m{m:02d}" for m in MONTHS)
MONTH_NAMES = (
    _l("January"),
    _l("February"),
    _l("March"),
    _l("April"),
    _l("May"),
    _l("June"),
    _l("July"),
    _l("August"),
    _l("September"),
    _l("October"),
    _l("November"),
    _l("December"),
)


def _month(m: int):
    return mapped_column(Money, default=Decimal("0"), active_history=True, info={"label": MONTH_NAMES[m - 1]})


class BudgetEstimate(TimestampMixin, Model):
    __tablename__ = "budget_estimate"
    __table_args__ = (sa.UniqueConstraint("year", "fund", name="uq_budget_estimate_year_fund"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(active_history=True, info={"label": _l("Budget year")})
    fund: Mapped[Fund] = mapped_column(
        enum_column(Fund), default=Fund.GENERAL, active_history=True, info={"label": _l("Fund")}
    )
    state: Mapped[DocumentState] = mapped_column(
        enum_column(DocumentState), default=DocumentState.DRAFT, active_history=True, info={"label": _l("State")}
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Approved at")})
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Approved by")})
    note: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Note")})

    approved_by: Mapped[User | None] = relationship(info={"label": _l("Approved by")})
    lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="estimate", cascade="all, delete-orphan", info={"label": _l("Budget lines")}
    )
    amendments: Mapped[list[BudgetAmendment]] = relationship(
        back_populates="estimate", cascade="all, delete-orphan", info={"label": _l("Amendments")}
    )

    @property
    def is_approved(self) -> bool:
        return self.state == DocumentState.APPROVED

    def __str__(self) -> str:
        return f"{self.year} — {self.fund}"


class BudgetLine(TimestampMixin, Model):
    """A line of the estimate: annual sum by КЕКВ and its allocation over 12 months."""

    __tablename__ = "budget_line"
    __table_args__ = (sa.UniqueConstraint("estimate_id", "kekv_id", name="uq_budget_line_estimate_kekv"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("budget_estimate.id", ondelete="CASCADE"), index=True, info={"label": _l("Budget estimate")}
    )
    kekv_id: Mapped[int] = mapped_column(sa.ForeignKey("kekv.id"), info={"label": _l("KEKV")})
    annual_amount: Mapped[Decimal] = mapped_column(
        Money, default=Decimal("0"), active_history=True, info={"label": _l("Annual sum")}
    )
    m01: Mapped[Decimal] = _month(1)
    m02: Mapped[Decimal] = _month(2)
    m03: Mapped[Decimal] = _month(3)
    m04: Mapped[Decimal] = _month(4)
    m05: Mapped[Decimal] = _month(5)
    m06: Mapped[Decimal] = _month(6)
    m07: Mapped[Decimal] = _month(7)
    m08: Mapped[Decimal] = _month(8)
    m09: Mapped[Decimal] = _month(9)
    m10: Mapped[Decimal] = _month(10)
    m11: Mapped[Decimal] = _month(11)
    m12: Mapped[Decimal] = _month(12)

    estimate: Mapped[BudgetEstimate] = relationship(
        back_populates="lines", active_history=True, info={"label": _l("Budget estimate")}
    )
    kekv: Mapped[Kekv] = relationship(info={"label": _l("KEKV")})
    expenditures: Mapped[list[Expenditure]] = relationship(back_populates="line", info={"label": _l("Expenditures")})

    def month_plan(self) -> list[Decimal]:
        return [getattr(self, c) or Decimal("0") for c in MONTH_COLUMNS]

    def __str__(self) -> str:
        return f"{self.kekv.code if self.kekv else '?'} / {self.estimate}" if self.estimate else f"#{self.id}"


class BudgetAmendment(TimestampMixin, Model):
    """A change to an approved estimate (довідка про зміни): applied only once approved."""

    __tablename__ = "budget_amendment"
    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("budget_estimate.id", ondelete="CASCADE"), index=True, info={"label": _l("Budget estimate")}
    )
    number: Mapped[str] = mapped_column(sa.String(32), info={"label": _l("Amendment No.")})
    dated: Mapped[date] = mapped_column(sa.Date, info={"label": _l("Amendment date")})
    reason: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Reason")})
    state: Mapped[DocumentState] = mapped_column(
        enum_column(DocumentState), default=DocumentState.DRAFT, active_history=True, info={"label": _l("State")}
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Approved at")})
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Approved by")})

    estimate: Mapped[BudgetEstimate] = relationship(
        back_populates="amendments", active_history=True, info={"label": _l("Budget estimate")}
    )
    approved_by: Mapped[User | None] = relationship(info={"label": _l("Approved by")})
    changes: Mapped[list[AmendmentLine]] = relationship(
        back_populates="amendment", cascade="all, delete-orphan", info={"label": _l("Changes")}
    )

    @property
    def is_approved(self) -> bool:
        return self.state == DocumentState.APPROVED

    def __str__(self) -> str:
        return f"№ {self.number} від {self.dated:%d.%m.%Y}" if self.dated else f"№ {self.number}"


class AmendmentLine(Model):
    """A change of one month of one line by ``delta`` (positive or negative)."""

    __tablename__ = "amendment_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    amendment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("budget_amendment.id", ondelete="CASCADE"), index=True, info={"label": _l("Amendment")}
    )
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_line.id"), info={"label": _l("Budget line")})
    month: Mapped[int] = mapped_column(info={"label": _l("Month")})
    delta: Mapped[Decimal] = mapped_column(Money, info={"label": _l("Change, UAH")})

    amendment: Mapped[BudgetAmendment] = relationship(back_populates="changes", info={"label": _l("Amendment")})
    line: Mapped[BudgetLine] = relationship(info={"label": _l("Budget line")})

    def __str__(self) -> str:
        return f"{self.line}: {self.month:02d} {self.delta:+}"


class Expenditure(TimestampMixin, Model):
    """Money spent against a line; refused beyond the cumulative plan to date."""

    __tablename__ = "expenditure"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_line.id"), index=True, info={"label": _l("Budget line")})
    spent_on: Mapped[date] = mapped_column(sa.Date, index=True, active_history=True, info={"label": _l("Spent on")})
    amount: Mapped[Decimal] = mapped_column(Money, active_history=True, info={"label": _l("Amount, UAH")})
    description: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Description")})
    document_ref: Mapped[str] = mapped_column(sa.String(100), default="", info={"label": _l("Supporting document")})
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Recorded by")})

    line: Mapped[BudgetLine] = relationship(
        back_populates="expenditures", active_history=True, info={"label": _l("Budget line")}
    )
    created_by: Mapped[User | None] = relationship(info={"label": _l("Recorded by")})

    def __str__(self) -> str:
        return f"{self.amount} — {self.description[:40]}"
