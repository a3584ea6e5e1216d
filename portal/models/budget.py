"""Budget estimate (кошторис): lines by КЕКВ with a 12-month plan, amendments, expenditures."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Money, TimestampMixin, UTCDateTime, enum_column
from portal.models.enums import DocumentState, Fund

MONTHS = tuple(range(1, 13))
MONTH_COLUMNS = tuple(f"m{m:02d}" for m in MONTHS)


class BudgetEstimate(TimestampMixin, db.Model):
    __tablename__ = "budget_estimate"
    __table_args__ = (sa.UniqueConstraint("year", "fund", name="uq_budget_estimate_year_fund"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column()
    fund: Mapped[Fund] = mapped_column(enum_column(Fund), default=Fund.GENERAL)
    state: Mapped[DocumentState] = mapped_column(enum_column(DocumentState), default=DocumentState.DRAFT)
    approved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    approved_by: Mapped[Optional["User"]] = relationship()  # noqa: F821
    lines: Mapped[list["BudgetLine"]] = relationship(back_populates="estimate", cascade="all, delete-orphan")
    amendments: Mapped[list["BudgetAmendment"]] = relationship(
        back_populates="estimate", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.year} — {self.fund}"


class BudgetLine(TimestampMixin, db.Model):
    """A line of the estimate: annual sum by КЕКВ and its allocation over 12 months."""

    __tablename__ = "budget_line"
    __table_args__ = (sa.UniqueConstraint("estimate_id", "kekv_id", name="uq_budget_line_estimate_kekv"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_estimate.id", ondelete="CASCADE"), index=True)
    kekv_id: Mapped[int] = mapped_column(sa.ForeignKey("kekv.id"))
    annual_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m01: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m02: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m03: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m04: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m05: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m06: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m07: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m08: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m09: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m10: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m11: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    m12: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))

    estimate: Mapped[BudgetEstimate] = relationship(back_populates="lines")
    kekv: Mapped["Kekv"] = relationship()  # noqa: F821
    expenditures: Mapped[list["Expenditure"]] = relationship(back_populates="line")

    def month_plan(self) -> list[Decimal]:
        return [getattr(self, c) or Decimal("0") for c in MONTH_COLUMNS]

    def __str__(self) -> str:
        return f"{self.kekv.code if self.kekv else '?'} / {self.estimate}" if self.estimate else f"#{self.id}"


class BudgetAmendment(TimestampMixin, db.Model):
    """A change to an approved estimate (довідка про зміни): applied only once approved."""

    __tablename__ = "budget_amendment"
    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_estimate.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(sa.String(32))
    dated: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[DocumentState] = mapped_column(enum_column(DocumentState), default=DocumentState.DRAFT)
    approved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))

    estimate: Mapped[BudgetEstimate] = relationship(back_populates="amendments")
    approved_by: Mapped[Optional["User"]] = relationship()  # noqa: F821
    changes: Mapped[list["AmendmentLine"]] = relationship(back_populates="amendment", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return f"№ {self.number} від {self.dated:%d.%m.%Y}" if self.dated else f"№ {self.number}"


class AmendmentLine(db.Model):
    """A change of one month of one line by ``delta`` (positive or negative)."""

    __tablename__ = "amendment_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    amendment_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_amendment.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_line.id"))
    month: Mapped[int] = mapped_column()
    delta: Mapped[Decimal] = mapped_column(Money)

    amendment: Mapped[BudgetAmendment] = relationship(back_populates="changes")
    line: Mapped[BudgetLine] = relationship()

    def __str__(self) -> str:
        return f"{self.line}: {self.month:02d} {self.delta:+}"


class Expenditure(TimestampMixin, db.Model):
    """Money spent against a line; refused beyond the cumulative plan to date."""

    __tablename__ = "expenditure"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_line.id"), index=True)
    spent_on: Mapped[date] = mapped_column(sa.Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str] = mapped_column(sa.String(500))
    document_ref: Mapped[str] = mapped_column(sa.String(100), default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))

    line: Mapped[BudgetLine] = relationship(back_populates="expenditures")
    created_by: Mapped[Optional["User"]] = relationship()  # noqa: F821

    def __str__(self) -> str:
        return f"{self.amount} — {self.description[:40]}"
