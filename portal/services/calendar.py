"""Working days and the control date (DESIGN §1): the director's calendar over Saturdays and Sundays.

The law counts calendar days and never shifts a due date; the portal also shows a
**control date**, the last working day on or before the due date, and warns from it. A day
is not a working day when it is a Saturday or Sunday, a non-working day of the director's
calendar, or a public holiday while public holidays are days off (they are switched off
under martial law).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import g, has_app_context

from portal.extensions import db
from portal.models.calendar import CalendarDay, CalendarSetting
from portal.models.enums import CalendarDayKind

# Looking further than this for a working day means the calendar is wrong, not the date.
MAX_DAYS_OFF_IN_A_ROW = 60


# public holidays are days off until the director switches them off (martial law); also before the row exists
PUBLIC_HOLIDAYS_OFF = True


def _the_row(*what) -> sa.Select:
    """SELECT ``what`` of the settings row: the first, should there ever be more than one."""
    return sa.select(*what).order_by(CalendarSetting.id).limit(1)


def settings() -> CalendarSetting:
    """The calendar's switches (the one row, created on first use)."""
    row = db.session.execute(_the_row(CalendarSetting)).scalar_one_or_none()
    if row is None:
        row = CalendarSetting(public_holidays_off=PUBLIC_HOLIDAYS_OFF)
        db.session.add(row)
        db.session.flush()
    return row


def _holidays_off_clause() -> sa.ColumnElement[bool]:
    """SQL: are public holidays days off (the settings row's switch, else the default)."""
    switch = _the_row(CalendarSetting.public_holidays_off).scalar_subquery()
    return sa.func.coalesce(switch, sa.literal(PUBLIC_HOLIDAYS_OFF))


def public_holidays_off() -> bool:
    return bool(db.session.execute(sa.select(_holidays_off_clause())).scalar_one())


def set_public_holidays_off(value: bool) -> CalendarSetting:
    """Switch public holidays on or off as days off (the caller commits; the change is audited)."""
    row = settings()
    row.public_holidays_off = bool(value)
    forget()
    return row


def days_off() -> frozenset[date]:
    """The calendar's non-working days, weekends not included (one statement: the days and the switch)."""
    query = sa.select(CalendarDay.day).where(
        sa.or_(CalendarDay.kind != CalendarDayKind.PUBLIC_HOLIDAY, _holidays_off_clause())
    )
    return frozenset(db.session.execute(query).scalars())


class Calendar:
    """The non-working days, loaded once (a list page asks for the control dates of due dates years apart)."""

    def __init__(self):
        self.off = days_off()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.off


def _calendar() -> Calendar:
    # the whole calendar (a few dozen rows a year), loaded once for the request (or app context)
    cal = g.get("_work_calendar") if has_app_context() else None
    if cal is None:
        cal = Calendar()
        if has_app_context():
            g._work_calendar = cal
    return cal


def forget() -> None:
    """Drop the calendars cached for this request (after the calendar changed)."""
    if has_app_context():
        g.pop("_work_calendar", None)
        g.pop("_control_dates", None)


def is_working_day(day: date) -> bool:
    return _calendar().is_working_day(day)


def control_date(due: date | None) -> date | None:
    """The last working day on or before ``due`` (``due`` itself when it is a working day)."""
    if due is None:
        return None
    known = g.setdefault("_control_dates", {}) if has_app_context() else {}
    if due not in known:
        known[due] = _control_date(due)
    return known[due]


def _control_date(due: date) -> date:
    cal = _calendar()
    day = due
    for _ in range(MAX_DAYS_OFF_IN_A_ROW):
        if cal.is_working_day(day):
            return day
        day -= timedelta(days=1)
    return due


def next_working_day(after: date) -> date:
    """The first working day after ``after``."""
    cal = _calendar()
    day = after + timedelta(days=1)
    for _ in range(MAX_DAYS_OFF_IN_A_ROW):
        if cal.is_working_day(day):
            return day
        day += timedelta(days=1)
    return after + timedelta(days=1)


def last_due_with_control_by(day: date) -> date:
    """The latest due date whose control date is on or before ``day`` (for SQL range filters).

    The control date never decreases as the due date grows, so ``control(due) <= day`` holds
    exactly for ``due`` before the next working day after ``day``.
    """
    return next_working_day(day) - timedelta(days=1)
