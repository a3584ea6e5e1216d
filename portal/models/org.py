"""The organisation: structural units, staff list, employees, orders, executors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Model, Money, TimestampMixin, UTCDateTime, enum_column
from portal.models.enums import ExecutorKind, OrderType

if TYPE_CHECKING:
    from portal.models.reference import Topic

executor_topic = sa.Table(
    "executor_topic",
    db.metadata,
    sa.Column("executor_id", sa.ForeignKey("executor.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)


class Order(TimestampMixin, Model):
    """An order (наказ) of the director; appointments, dismissals and approvals go through one."""

    __tablename__ = "order"
    __table_args__ = (sa.UniqueConstraint("number", "issued_on", name="uq_order_number_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), info={"label": _l("Order No.")})
    issued_on: Mapped[date] = mapped_column(sa.Date, index=True, info={"label": _l("Order date")})
    order_type: Mapped[OrderType] = mapped_column(
        enum_column(OrderType), active_history=True, info={"label": _l("Order type")}
    )
    title: Mapped[str] = mapped_column(sa.String(300), info={"label": _l("Order title")})
    text: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Order text")})
    employee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("employee.id", use_alter=True), info={"label": _l("Employee")}
    )
    position_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_position.id", use_alter=True), info={"label": _l("Staff position")}
    )
    rate: Mapped[Decimal] = mapped_column(  # the share of a post an appointment order gives
        sa.Numeric(4, 2), default=Decimal("1"), server_default="1", info={"label": _l("Rate (share of a post)")}
    )
    # signing makes the order take effect (an appointment or dismissal happens then); a signed order is final.
    # No relationship to User: the user model refers to the organisation's, not the other way round.
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Signed at")})
    signed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", use_alter=True), info={"label": _l("Signed by")}
    )

    # post_update: an employee row refers to its orders and an order to its employee; the
    # order's side is written after both rows exist
    employee: Mapped[Employee | None] = relationship(
        foreign_keys=[employee_id], post_update=True, info={"label": _l("Employee")}
    )
    position: Mapped[StaffPosition | None] = relationship(
        foreign_keys=[position_id], post_update=True, info={"label": _l("Staff position")}
    )

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def __str__(self) -> str:
        return f"№ {self.number} від {self.issued_on:%d.%m.%Y}" if self.issued_on else f"№ {self.number}"


class StructuralUnit(TimestampMixin, Model):
    """A structural unit of the center (a tree); its regulation is approved by an order."""

    __tablename__ = "structural_unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), info={"label": _l("Unit name")})
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, info={"label": _l("Code")})
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("structural_unit.id"), info={"label": _l("Parent unit")}
    )
    head_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("employee.id", use_alter=True), info={"label": _l("Head")}
    )
    regulation_order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("order.id"), info={"label": _l("Regulation approved by order")}
    )
    regulation: Mapped[str] = mapped_column(sa.Text, default="", active_history=True, info={"label": _l("Regulation")})

    parent: Mapped[StructuralUnit | None] = relationship(
        remote_side=[id], back_populates="children", info={"label": _l("Parent unit")}
    )
    children: Mapped[list[StructuralUnit]] = relationship(back_populates="parent", info={"label": _l("Subunits")})
    head: Mapped[Employee | None] = relationship(foreign_keys=[head_id], post_update=True, info={"label": _l("Head")})
    regulation_order: Mapped[Order | None] = relationship(
        foreign_keys=[regulation_order_id],
        active_history=True,
        info={"label": _l("Regulation approved by order")},
    )
    positions: Mapped[list[StaffPosition]] = relationship(back_populates="unit", info={"label": _l("Staff positions")})

    def __str__(self) -> str:
        return self.name


class StaffPosition(TimestampMixin, Model):
    """A line of the staff list (штатний розпис): a position in a unit with its posts and pay."""

    __tablename__ = "staff_position"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("structural_unit.id"), index=True, info={"label": _l("Structural unit")}
    )
    title: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Position title")})
    posts: Mapped[Decimal] = mapped_column(  # fractions allowed
        sa.Numeric(6, 2), default=Decimal("1"), active_history=True, info={"label": _l("Posts")}
    )
    salary: Mapped[Decimal] = mapped_column(  # посадовий оклад, per post per month
        Money, active_history=True, info={"label": _l("Salary")}
    )
    allowances: Mapped[Decimal] = mapped_column(  # надбавки, per post per month
        Money, default=Decimal("0"), active_history=True, info={"label": _l("Allowances")}
    )
    supplements: Mapped[Decimal] = mapped_column(  # доплати, per post per month
        Money, default=Decimal("0"), active_history=True, info={"label": _l("Supplements")}
    )

    unit: Mapped[StructuralUnit] = relationship(back_populates="positions", info={"label": _l("Structural unit")})
    employees: Mapped[list[Employee]] = relationship(
        back_populates="position", foreign_keys="Employee.position_id", info={"label": _l("Employees")}
    )

    @property
    def monthly_pay(self) -> Decimal | int:
        """Pay of one post per month: salary, allowances and supplements."""
        return (self.salary or 0) + (self.allowances or 0) + (self.supplements or 0)

    @property
    def monthly_fund(self) -> Decimal:
        return Decimal(self.posts or 0) * self.monthly_pay

    @property
    def annual_fund(self) -> Decimal:
        return self.monthly_fund * 12

    def __str__(self) -> str:
        return f"{self.title} ({self.unit})" if self.unit else self.title


class Employee(TimestampMixin, Model):
    """A person on the staff; appointed and dismissed only through an order."""

    __tablename__ = "employee"
    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), index=True, info={"label": _l("Full name")})
    position_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_position.id"), index=True, info={"label": _l("Staff position")}
    )
    rate: Mapped[Decimal] = mapped_column(  # share of a post
        sa.Numeric(4, 2), default=Decimal("1"), active_history=True, info={"label": _l("Rate (share of a post)")}
    )
    phone: Mapped[str] = mapped_column(sa.String(50), default="", info={"label": _l("Phone")})
    email: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("E-mail")})
    hired_on: Mapped[date | None] = mapped_column(sa.Date, active_history=True, info={"label": _l("Appointed on")})
    dismissed_on: Mapped[date | None] = mapped_column(sa.Date, active_history=True, info={"label": _l("Dismissed on")})
    appointment_order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("order.id"), info={"label": _l("Appointment order")}
    )
    dismissal_order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("order.id"), info={"label": _l("Dismissal order")}
    )

    # active_history: the staff service compares old and new placement before the flush
    position: Mapped[StaffPosition | None] = relationship(
        back_populates="employees",
        foreign_keys=[position_id],
        active_history=True,
        info={"label": _l("Staff position")},
    )
    appointment_order: Mapped[Order | None] = relationship(
        foreign_keys=[appointment_order_id], active_history=True, info={"label": _l("Appointment order")}
    )
    dismissal_order: Mapped[Order | None] = relationship(
        foreign_keys=[dismissal_order_id], active_history=True, info={"label": _l("Dismissal order")}
    )

    @property
    def is_active(self) -> bool:
        return self.dismissed_on is None

    def __str__(self) -> str:
        return self.full_name


class Executor(TimestampMixin, Model):
    """A body that resolves appeals: an internal unit or an external executive body."""

    __tablename__ = "executor"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), unique=True, info={"label": _l("Executor name")})
    short_name: Mapped[str] = mapped_column(sa.String(100), default="", info={"label": _l("Short name")})
    kind: Mapped[ExecutorKind] = mapped_column(
        enum_column(ExecutorKind), default=ExecutorKind.EXTERNAL, info={"label": _l("Executor kind")}
    )
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("structural_unit.id"), info={"label": _l("Structural unit")}
    )
    head_name: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("Head of the body")})
    email: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("E-mail")})
    phone: Mapped[str] = mapped_column(sa.String(50), default="", info={"label": _l("Phone")})
    address: Mapped[str] = mapped_column(sa.String(300), default="", info={"label": _l("Address")})
    is_active: Mapped[bool] = mapped_column(default=True, info={"label": _l("Active")})

    unit: Mapped[StructuralUnit | None] = relationship(info={"label": _l("Structural unit")})
    topics: Mapped[list[Topic]] = relationship(secondary=executor_topic, info={"label": _l("Topics covered")})
    contacts: Mapped[list[ExecutorContact]] = relationship(
        back_populates="executor", cascade="all, delete-orphan", info={"label": _l("Contact persons")}
    )

    def __str__(self) -> str:
        return self.short_name or self.name


class ExecutorContact(TimestampMixin, Model):
    """A contact person of an executor body."""

    __tablename__ = "executor_contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    executor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("executor.id", ondelete="CASCADE"), index=True, info={"label": _l("Executor")}
    )
    full_name: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Full name")})
    position: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("Job title")})
    phone: Mapped[str] = mapped_column(sa.String(50), default="", info={"label": _l("Phone")})
    email: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("E-mail")})

    executor: Mapped[Executor] = relationship(back_populates="contacts", info={"label": _l("Executor")})

    def __str__(self) -> str:
        return self.full_name
