"""The organisation: structural units, staff list, employees, orders, executors."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Money, TimestampMixin, enum_column
from portal.models.enums import ExecutorKind, OrderType

executor_topic = sa.Table(
    "executor_topic",
    db.metadata,
    sa.Column("executor_id", sa.ForeignKey("executor.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)


class Order(TimestampMixin, db.Model):
    """An order (наказ) of the director; appointments, dismissals and approvals go through one."""

    __tablename__ = "order"
    __table_args__ = (sa.UniqueConstraint("number", "issued_on", name="uq_order_number_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32))
    issued_on: Mapped[date] = mapped_column(sa.Date, index=True)
    order_type: Mapped[OrderType] = mapped_column(enum_column(OrderType))
    title: Mapped[str] = mapped_column(sa.String(300))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    employee_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("employee.id", use_alter=True))
    position_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_position.id", use_alter=True))

    employee: Mapped[Optional["Employee"]] = relationship(foreign_keys=[employee_id])
    position: Mapped[Optional["StaffPosition"]] = relationship(foreign_keys=[position_id])

    def __str__(self) -> str:
        return f"№ {self.number} від {self.issued_on:%d.%m.%Y}" if self.issued_on else f"№ {self.number}"


class StructuralUnit(TimestampMixin, db.Model):
    """A structural unit of the center (a tree); its regulation is approved by an order."""

    __tablename__ = "structural_unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    parent_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("structural_unit.id"))
    head_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("employee.id", use_alter=True))
    regulation_order_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("order.id"))
    regulation: Mapped[str] = mapped_column(sa.Text, default="")

    parent: Mapped[Optional["StructuralUnit"]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["StructuralUnit"]] = relationship(back_populates="parent")
    head: Mapped[Optional["Employee"]] = relationship(foreign_keys=[head_id])
    regulation_order: Mapped[Optional[Order]] = relationship(foreign_keys=[regulation_order_id])
    positions: Mapped[list["StaffPosition"]] = relationship(back_populates="unit")

    def __str__(self) -> str:
        return self.name


class StaffPosition(TimestampMixin, db.Model):
    """A line of the staff list (штатний розпис): a position in a unit with its posts and pay."""

    __tablename__ = "staff_position"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("structural_unit.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    posts: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal("1"))  # fractions allowed
    salary: Mapped[Decimal] = mapped_column(Money)  # посадовий оклад, per post per month
    allowances: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # надбавки, per post per month
    supplements: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # доплати, per post per month

    unit: Mapped[StructuralUnit] = relationship(back_populates="positions")
    employees: Mapped[list["Employee"]] = relationship(back_populates="position", foreign_keys="Employee.position_id")

    @property
    def monthly_fund(self) -> Decimal:
        return (self.posts or 0) * ((self.salary or 0) + (self.allowances or 0) + (self.supplements or 0))

    @property
    def annual_fund(self) -> Decimal:
        return self.monthly_fund * 12

    def __str__(self) -> str:
        return f"{self.title} ({self.unit})" if self.unit else self.title


class Employee(TimestampMixin, db.Model):
    """A person on the staff; appointed and dismissed only through an order."""

    __tablename__ = "employee"
    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), index=True)
    position_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_position.id"), index=True)
    rate: Mapped[Decimal] = mapped_column(sa.Numeric(4, 2), default=Decimal("1"))  # share of a post
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    hired_on: Mapped[Optional[date]] = mapped_column(sa.Date)
    dismissed_on: Mapped[Optional[date]] = mapped_column(sa.Date)
    appointment_order_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("order.id"))
    dismissal_order_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("order.id"))

    position: Mapped[Optional[StaffPosition]] = relationship(back_populates="employees", foreign_keys=[position_id])
    appointment_order: Mapped[Optional[Order]] = relationship(foreign_keys=[appointment_order_id])
    dismissal_order: Mapped[Optional[Order]] = relationship(foreign_keys=[dismissal_order_id])

    @property
    def is_active(self) -> bool:
        return self.dismissed_on is None

    def __str__(self) -> str:
        return self.full_name


class Executor(TimestampMixin, db.Model):
    """A body that resolves appeals: an internal unit or an external executive body."""

    __tablename__ = "executor"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), unique=True)
    short_name: Mapped[str] = mapped_column(sa.String(100), default="")
    kind: Mapped[ExecutorKind] = mapped_column(enum_column(ExecutorKind), default=ExecutorKind.EXTERNAL)
    unit_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("structural_unit.id"))
    head_name: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    is_active: Mapped[bool] = mapped_column(default=True)

    unit: Mapped[Optional[StructuralUnit]] = relationship()
    topics: Mapped[list["Topic"]] = relationship(secondary=executor_topic)  # noqa: F821
    contacts: Mapped[list["ExecutorContact"]] = relationship(
        back_populates="executor", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.short_name or self.name


class ExecutorContact(TimestampMixin, db.Model):
    """A contact person of an executor body."""

    __tablename__ = "executor_contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    executor_id: Mapped[int] = mapped_column(sa.ForeignKey("executor.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[str] = mapped_column(sa.String(200), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    email: Mapped[str] = mapped_column(sa.String(200), default="")

    executor: Mapped[Executor] = relationship(back_populates="contacts")

    def __str__(self) -> str:
        return self.full_name
