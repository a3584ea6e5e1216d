"""The director's working-day calendar: days off beyond weekends, and public holidays."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Model, TimestampMixin, enum_column
from portal.models.enums import CalendarDayKind


class CalendarDay(TimestampMixin, Model):
    """A day that is not a working day (a public holiday or a day off the director declared)."""

    __tablename__ = "calendar_day"
    id: Mapped[int] = mapped_column(primary_key=True)
    # the control date looks up the days before a due date: a range on this unique index
    day: Mapped[date] = mapped_column(sa.Date, unique=True, info={"label": _l("Day")})
    kind: Mapped[CalendarDayKind] = mapped_column(
        enum_column(CalendarDayKind), default=CalendarDayKind.DAY_OFF, info={"label": _l("Kind of day")}
    )
    name: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("Name")})

    def __str__(self) -> str:
        return f"{self.day:%d.%m.%Y} {self.name}".strip() if self.day else self.name


class CalendarSetting(Model):
    """The calendar's switches (one row): public holidays are days off unless switched off (martial law)."""

    __tablename__ = "calendar_setting"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_holidays_off: Mapped[bool] = mapped_column(
        default=True, server_default=sa.true(), info={"label": _l("Public holidays are days off")}
    )

    def __str__(self) -> str:
        return str(_l("Working-day calendar"))
