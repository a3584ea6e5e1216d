"""Terms of consideration (Law "Про звернення громадян", Art. 20): pure functions over dates.

Terms run in calendar days from the day of receipt («від дня їх надходження»), which is the
receipt timestamp's date in Europe/Kyiv (:func:`receipt_date`). The legal due date never
shifts; warnings count from the control date (``portal.services.calendar``). An appeal is
answered on time when its answer was sent, or it was forwarded by competence, by the due
date (:func:`is_on_time`). Nothing here touches the database except the calendar lookups
and the SQL clauses at the end, which lists and the home page use for "overdue" and "near-due".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.i18n import kyiv_today, to_kyiv
from portal.models.appeals import Appeal
from portal.models.enums import OPEN_STATUSES, AppealStatus
from portal.services import calendar
from portal.services.errors import DomainError

DEFAULT_TERM_DAYS = 30  # "не більше одного місяця"
SHORT_TERM_DAYS = 15  # when no additional study is needed
MAX_TERM_DAYS = 45  # with an extension, never beyond
FORWARD_WITHIN_DAYS = 5  # forwarding by competence to another body
RETURN_WITHIN_DAYS = 10  # an incomplete appeal goes back to the applicant (Art. 5)
NEAR_DUE_DAYS = 3


def registration_date(registered_at: datetime | date) -> date:
    """The Kyiv date of a timestamp (of receipt or of registration)."""
    if isinstance(registered_at, datetime):
        return to_kyiv(registered_at).date()
    return registered_at


def received_at(appeal: Appeal) -> datetime:
    """The moment of receipt: ``received_at`` where the appeal records it, else the registration."""
    return getattr(appeal, "received_at", None) or appeal.registered_at


def receipt_date(appeal: Appeal) -> date:
    """The day of receipt in Kyiv: every term of the law runs from it."""
    return registration_date(received_at(appeal))


def term_days(*, needs_study: bool = True, requested_days: int | None = None) -> int:
    """The term in days: 30, or 15 without additional study, or shorter at the applicant's request."""
    term = DEFAULT_TERM_DAYS if needs_study else SHORT_TERM_DAYS
    if requested_days is None:
        return term
    if requested_days < 1:
        raise DomainError(_l("A term requested by the applicant must be at least one day."), field="term")
    if requested_days > term:
        raise DomainError(
            _l("A term requested by the applicant can only be shorter than the legal %(days)s days.", days=term),
            field="term",
        )
    return requested_days


def due_date(registered_on: date | datetime, days: int) -> date:
    """The last day of a term of ``days`` calendar days from receipt."""
    return registration_date(registered_on) + timedelta(days=days)


def latest_due_date(registered_on: date | datetime) -> date:
    """The latest possible due date: 45 days from receipt, extensions included."""
    return due_date(registered_on, MAX_TERM_DAYS)


def check_extension(
    *,
    registered_on: date | datetime,
    current_due: date,
    new_due: date | None,
    reason: str,
    notified_on: date | None,
    today: date | None = None,
) -> int:
    """Validate a term extension; returns the new term in days from receipt.

    The head sets it with a reason and the date the applicant was notified, before the
    current term runs out, and never beyond 45 days from receipt in total.
    """
    today = today or kyiv_today()
    reg = registration_date(registered_on)
    if not (reason or "").strip():
        raise DomainError(_l("State the reason for extending the term."), field="reason")
    if notified_on is None:
        raise DomainError(_l("State the date the applicant was notified of the extension."), field="notified_on")
    if notified_on < reg or notified_on > today:
        raise DomainError(
            _l("The date the applicant was notified must be between the receipt date and today."),
            field="notified_on",
        )
    if new_due is None:
        raise DomainError(_l("State the new due date."), field="new_due")
    if current_due < today:
        raise DomainError(_l("The term has already run out; an expired term cannot be extended."), field="new_due")
    if new_due <= current_due:
        raise DomainError(_l("The new due date must be later than the current one."), field="new_due")
    limit = latest_due_date(reg)
    if new_due > limit:
        raise DomainError(
            _l(
                "The term cannot exceed %(days)s days from receipt (at most until %(date)s).",
                days=MAX_TERM_DAYS,
                date=limit.strftime("%d.%m.%Y"),
            ),
            field="new_due",
        )
    return (new_due - reg).days


def forward_deadline(registered_on: date | datetime) -> date:
    """The last day to forward an appeal to the competent body."""
    return due_date(registered_on, FORWARD_WITHIN_DAYS)


def check_forwarding(
    *, registered_on: date | datetime, notified_on: date | None, today: date | None = None, reason: str = ""
) -> bool:
    """Forwarding by competence, with the applicant notified; returns whether it is late.

    The law wants it within 5 days of receipt. Later it is still done (the appeal must reach
    the competent body) but only with the reason of the delay, and it is marked late.
    """
    today = today or kyiv_today()
    reg = registration_date(registered_on)
    limit = forward_deadline(reg)
    late = today > limit
    if late and not (reason or "").strip():
        raise DomainError(
            _l(
                "The %(days)s days for forwarding by competence ended on %(date)s: state the reason of the delay.",
                days=FORWARD_WITHIN_DAYS,
                date=limit.strftime("%d.%m.%Y"),
            ),
            field="comment",
        )
    if notified_on is None:
        raise DomainError(_l("State the date the applicant was notified of the forwarding."), field="notified_on")
    if notified_on < reg or notified_on > today:
        raise DomainError(
            _l("The date the applicant was notified must be between the receipt date and today."),
            field="notified_on",
        )
    return late


def return_deadline(received_on: date | datetime) -> date:
    """The last day to return an incomplete appeal to the applicant (Art. 5)."""
    return due_date(received_on, RETURN_WITHIN_DAYS)


def check_return(*, received_on: date | datetime, today: date | None = None) -> None:
    """An appeal lacking Art. 5 items goes back to the applicant within 10 days of receipt."""
    today = today or kyiv_today()
    limit = return_deadline(received_on)
    if today > limit:
        raise DomainError(
            _l(
                "An appeal can be returned to the applicant only within %(days)s days of receipt (until %(date)s).",
                days=RETURN_WITHIN_DAYS,
                date=limit.strftime("%d.%m.%Y"),
            )
        )


def return_days_left(received_on: date | datetime, today: date | None = None) -> int:
    """Days left to return an incomplete appeal (negative once the 10 days are over)."""
    return (return_deadline(received_on) - (today or kyiv_today())).days


def check_assignment_deadline(deadline: date | None, *, resolved_on: date, legal_due: date) -> None:
    """A resolution's deadline lies between the resolution date and the legal due date."""
    if deadline is None:
        raise DomainError(_l("State the deadline for the executors."), field="deadline")
    if deadline > legal_due:
        raise DomainError(
            _l(
                "The executors' deadline cannot be later than the legal due date %(date)s.",
                date=legal_due.strftime("%d.%m.%Y"),
            ),
            field="deadline",
        )
    if deadline < resolved_on:
        raise DomainError(_l("The executors' deadline cannot be earlier than the resolution date."), field="deadline")


def _is_open(status) -> bool:
    return AppealStatus(status) in OPEN_STATUSES


def days_left(due: date, today: date | None = None) -> int:
    """Days until the due date (negative when it has passed)."""
    return (due - (today or kyiv_today())).days


def control_date(due: date | None) -> date | None:
    """The preceding working day when the due date is a day off; the due date otherwise."""
    return calendar.control_date(due)


def answered_on(appeal: Appeal) -> date | None:
    """The Kyiv day the answer was sent, or the appeal forwarded by competence (None: neither yet)."""
    moments = [m for m in (appeal.sent_at, getattr(appeal, "forwarded_at", None)) if m is not None]
    return registration_date(min(moments)) if moments else None


def is_on_time(appeal: Appeal, today: date | None = None) -> bool | None:
    """Answered (sent or forwarded) by the due date? None while it is still open and within term."""
    answered = answered_on(appeal)
    if answered is not None:
        return answered <= appeal.due_date
    if _is_open(appeal.status) and appeal.due_date < (today or kyiv_today()):
        return False
    return None


def is_overdue(due: date | None, status, today: date | None = None) -> bool:
    """Still awaiting an answer and its legal due date has passed (in Kyiv)."""
    return due is not None and _is_open(status) and due < (today or kyiv_today())


def is_near_due(due: date | None, status, today: date | None = None) -> bool:
    """Still awaiting an answer, not overdue, and at most 3 days to the control date (or past it)."""
    if due is None or not _is_open(status):
        return False
    today = today or kyiv_today()
    if due < today:
        return False
    return (cast(date, control_date(due)) - today).days <= NEAR_DUE_DAYS  # not None: due is a date here


def deadline_state(due: date | None, status, today: date | None = None) -> str | None:
    """ "overdue", "near_due" or None: for highlighting in lists and on the home page."""
    today = today or kyiv_today()
    if is_overdue(due, status, today):
        return "overdue"
    if is_near_due(due, status, today):
        return "near_due"
    return None


# --- SQL clauses (lists, filters, home page) -------------------------------------------


def open_clause():
    """WHERE: the appeal still awaits its answer (not sent, forwarded, closed, returned, refused, cancelled).

    Spelled ``status IN (open states)``, never ``NOT IN (finished states)``: open appeals are a
    small part of the register, so a count is a few index ranges (``ix_appeal_status_due``) and
    a page in any order sorts at most the open ones (``ix_appeal_status_registered`` for the
    default one), where the exclusion made a count read every appeal of a due-date range.
    """
    return Appeal.status.in_(sorted(s.value for s in OPEN_STATUSES))


def overdue_clause(today: date | None = None):
    """WHERE: open appeals whose due date has passed."""
    return sa.and_(open_clause(), Appeal.due_date < (today or kyiv_today()))


def near_due_clause(today: date | None = None):
    """WHERE: open appeals not yet overdue whose control date is at most 3 days away."""
    today = today or kyiv_today()
    last_due = calendar.last_due_with_control_by(today + timedelta(days=NEAR_DUE_DAYS))
    return sa.and_(open_clause(), Appeal.due_date >= today, Appeal.due_date <= last_due)
