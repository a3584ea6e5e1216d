"""Terms of consideration (Law "Про звернення громадян", Art. 20): pure functions over dates.

Terms run in calendar days from the day of registration, which is the registration
timestamp's date in Europe/Kyiv. Nothing here touches the database except the SQL
clauses at the end, which lists and the home page use for "overdue" and "near-due".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.i18n import kyiv_today, to_kyiv
from portal.models.appeals import Appeal
from portal.models.enums import OPEN_STATUSES, AppealStatus
from portal.services.errors import DomainError

DEFAULT_TERM_DAYS = 30  # "не більше одного місяця"
SHORT_TERM_DAYS = 15  # when no additional study is needed
MAX_TERM_DAYS = 45  # with an extension, never beyond
FORWARD_WITHIN_DAYS = 5  # forwarding by competence to another body
RETURN_WITHIN_DAYS = 10  # an incomplete appeal goes back to the applicant (Art. 5)
NEAR_DUE_DAYS = 3


def registration_date(registered_at: datetime | date) -> date:
    """The day of registration: the Kyiv date of the registration timestamp."""
    if isinstance(registered_at, datetime):
        return to_kyiv(registered_at).date()
    return registered_at


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
    """The last day of a term of ``days`` calendar days from registration."""
    return registration_date(registered_on) + timedelta(days=days)


def latest_due_date(registered_on: date | datetime) -> date:
    """The latest possible due date: 45 days from registration, extensions included."""
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
    """Validate a term extension; returns the new term in days from registration.

    The head sets it with a reason and the date the applicant was notified, before the
    current term runs out, and never beyond 45 days in total.
    """
    today = today or kyiv_today()
    reg = registration_date(registered_on)
    if not (reason or "").strip():
        raise DomainError(_l("State the reason for extending the term."), field="reason")
    if notified_on is None:
        raise DomainError(_l("State the date the applicant was notified of the extension."), field="notified_on")
    if notified_on < reg or notified_on > today:
        raise DomainError(
            _l("The date the applicant was notified must be between the registration date and today."),
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
                "The term cannot exceed %(days)s days from registration (at most until %(date)s).",
                days=MAX_TERM_DAYS,
                date=limit.strftime("%d.%m.%Y"),
            ),
            field="new_due",
        )
    return (new_due - reg).days


def forward_deadline(registered_on: date | datetime) -> date:
    """The last day to forward an appeal to the competent body."""
    return due_date(registered_on, FORWARD_WITHIN_DAYS)


def check_forwarding(*, registered_on: date | datetime, notified_on: date | None, today: date | None = None) -> None:
    """Forwarding by competence: within 5 days of registration, with the applicant notified."""
    today = today or kyiv_today()
    reg = registration_date(registered_on)
    limit = forward_deadline(reg)
    if today > limit:
        raise DomainError(
            _l(
                "An appeal can be forwarded by competence only within %(days)s days of registration (until %(date)s).",
                days=FORWARD_WITHIN_DAYS,
                date=limit.strftime("%d.%m.%Y"),
            )
        )
    if notified_on is None:
        raise DomainError(_l("State the date the applicant was notified of the forwarding."), field="notified_on")
    if notified_on < reg or notified_on > today:
        raise DomainError(
            _l("The date the applicant was notified must be between the registration date and today."),
            field="notified_on",
        )


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


def is_overdue(due: date | None, status, today: date | None = None) -> bool:
    """Open and its due date has passed (in Kyiv)."""
    return due is not None and _is_open(status) and due < (today or kyiv_today())


def is_near_due(due: date | None, status, today: date | None = None) -> bool:
    """Open and due today or within the next 3 days."""
    if due is None or not _is_open(status):
        return False
    left = days_left(due, today)
    return 0 <= left <= NEAR_DUE_DAYS


def deadline_state(due: date | None, status, today: date | None = None) -> str | None:
    """ "overdue", "near_due" or None: for highlighting in lists and on the home page."""
    today = today or kyiv_today()
    if is_overdue(due, status, today):
        return "overdue"
    if is_near_due(due, status, today):
        return "near_due"
    return None


# --- SQL clauses (lists, filters, home page) -------------------------------------------

FINISHED_STATUSES = frozenset(AppealStatus) - OPEN_STATUSES


def open_clause(by_exclusion: bool = False):
    """WHERE: the appeal is open (not closed, returned or refused consideration).

    Counting wants ``status IN (open states)``: an index range per state. A sorted, limited
    list wants ``by_exclusion`` (``status NOT IN (finished states)``), which lets the
    database walk the registration-date index from the newest row — open appeals are the
    recent ones — instead of sorting every open appeal before taking a page.
    """
    if by_exclusion:
        return Appeal.status.not_in(sorted(s.value for s in FINISHED_STATUSES))
    return Appeal.status.in_(sorted(s.value for s in OPEN_STATUSES))


def overdue_clause(today: date | None = None, by_exclusion: bool = False):
    """WHERE: open appeals whose due date has passed."""
    return sa.and_(open_clause(by_exclusion), Appeal.due_date < (today or kyiv_today()))


def near_due_clause(today: date | None = None, by_exclusion: bool = False):
    """WHERE: open appeals due today or within the next 3 days."""
    today = today or kyiv_today()
    return sa.and_(
        open_clause(by_exclusion), Appeal.due_date >= today, Appeal.due_date <= today + timedelta(days=NEAR_DUE_DAYS)
    )
