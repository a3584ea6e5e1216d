"""Terms of consideration (Art. 20): pure functions, no HTTP."""

from datetime import UTC, date, datetime

import pytest

from portal.models.enums import AppealStatus
from portal.services import deadlines
from portal.services.errors import DomainError

REG = date(2026, 3, 2)


def test_registration_date_is_the_kyiv_date_of_the_timestamp():
    late_evening_utc = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # 00:30 on 2 March in Kyiv
    assert deadlines.registration_date(late_evening_utc) == date(2026, 3, 2)


@pytest.mark.parametrize(
    "needs_study, requested, expected",
    [
        (True, None, 30),
        (False, None, 15),
        (True, 10, 10),
        (False, 7, 7),
        (True, 30, 30),
    ],
)
def test_term_days(needs_study, requested, expected):
    assert deadlines.term_days(needs_study=needs_study, requested_days=requested) == expected


@pytest.mark.parametrize("needs_study, requested", [(True, 31), (False, 16), (True, 0)])
def test_a_requested_term_can_only_be_shorter(needs_study, requested):
    with pytest.raises(DomainError):
        deadlines.term_days(needs_study=needs_study, requested_days=requested)


def test_due_date_counts_calendar_days_from_registration():
    assert deadlines.due_date(REG, 30) == date(2026, 4, 1)
    assert deadlines.due_date(REG, 15) == date(2026, 3, 17)


def test_latest_due_date_is_45_days_from_registration():
    assert deadlines.latest_due_date(REG) == date(2026, 4, 16)


def _extend(**kw):
    args = {
        "registered_on": REG,
        "current_due": date(2026, 4, 1),
        "new_due": date(2026, 4, 10),
        "reason": "Потрібен виїзд комісії",
        "notified_on": date(2026, 3, 20),
        "today": date(2026, 3, 25),
    }
    args.update(kw)
    return deadlines.check_extension(**args)


def test_extension_returns_the_new_term_in_days():
    assert _extend() == 39


def test_extension_up_to_exactly_45_days_is_allowed():
    assert _extend(new_due=date(2026, 4, 16)) == 45


@pytest.mark.parametrize(
    "override",
    [
        {"new_due": date(2026, 4, 17)},  # beyond 45 days
        {"new_due": date(2026, 4, 1)},  # not later than the current due date
        {"reason": "  "},  # no reason
        {"notified_on": None},  # applicant not notified
        {"notified_on": date(2026, 3, 26)},  # notified in the future
        {"notified_on": date(2026, 3, 1)},  # notified before registration
        {"today": date(2026, 4, 2)},  # the term has already run out
        {"new_due": None},
    ],
)
def test_extension_is_refused(override):
    with pytest.raises(DomainError):
        _extend(**override)


def test_forwarding_within_five_days_with_notice_is_allowed():
    deadlines.check_forwarding(registered_on=REG, notified_on=date(2026, 3, 7), today=date(2026, 3, 7))


@pytest.mark.parametrize(
    "notified_on, today",
    [
        (date(2026, 3, 8), date(2026, 3, 8)),  # sixth day
        (None, date(2026, 3, 3)),  # applicant not notified
        (date(2026, 3, 4), date(2026, 3, 3)),  # notice dated in the future
    ],
)
def test_forwarding_is_refused(notified_on, today):
    with pytest.raises(DomainError):
        deadlines.check_forwarding(registered_on=REG, notified_on=notified_on, today=today)


@pytest.mark.parametrize(
    "deadline, ok",
    [
        (date(2026, 4, 1), True),
        (date(2026, 3, 10), True),
        (date(2026, 4, 2), False),
        (date(2026, 3, 4), False),
        (None, False),
    ],
)
def test_executors_deadline_lies_between_resolution_and_legal_due_date(deadline, ok):
    call = lambda: deadlines.check_assignment_deadline(  # noqa: E731
        deadline, resolved_on=date(2026, 3, 5), legal_due=date(2026, 4, 1)
    )
    if ok:
        call()
    else:
        with pytest.raises(DomainError):
            call()


TODAY = date(2026, 3, 20)


@pytest.mark.parametrize(
    "due, status, overdue, near_due",
    [
        (date(2026, 3, 19), AppealStatus.IN_WORK, True, False),
        (date(2026, 3, 20), AppealStatus.IN_WORK, False, True),
        (date(2026, 3, 23), AppealStatus.IN_WORK, False, True),
        (date(2026, 3, 24), AppealStatus.IN_WORK, False, False),
        (date(2026, 3, 1), AppealStatus.CLOSED, False, False),
        (date(2026, 3, 1), AppealStatus.NOT_CONSIDERED, False, False),
        (date(2026, 3, 21), AppealStatus.RETURNED_TO_APPLICANT, False, False),
        (date(2026, 3, 1), AppealStatus.SENT, False, False),  # the answer sent ends the term, closed or not
        (date(2026, 3, 1), AppealStatus.FORWARDED, False, False),  # so does a forwarding by competence
        (date(2026, 3, 1), AppealStatus.CANCELLED, False, False),
    ],
)
def test_overdue_and_near_due(app, due, status, overdue, near_due):
    assert deadlines.is_overdue(due, status, TODAY) is overdue
    assert deadlines.is_near_due(due, status, TODAY) is near_due


def test_deadline_state_names_the_highlight(app):
    assert deadlines.deadline_state(date(2026, 3, 1), "in_work", TODAY) == "overdue"
    assert deadlines.deadline_state(date(2026, 3, 21), "in_work", TODAY) == "near_due"
    assert deadlines.deadline_state(date(2026, 4, 21), "in_work", TODAY) is None
