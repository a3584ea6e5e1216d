"""What a workflow step's form starts with, and what it offers, is decided by the workflow service."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.extensions import db
from portal.i18n import KYIV
from portal.models.enums import AppealStatus, Role
from portal.services import deadlines, registration, workflow
from tests import factories as f

NOW = datetime(2026, 3, 10, 9, 41, 27, tzinfo=KYIV)
TODAY = NOW.date()


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _appeal(**kw):
    kw.setdefault("registered_at", datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    kw.setdefault("due_date", date(2026, 4, 1))
    appeal = f.make_appeal(**kw)
    db.session.flush()
    return appeal


def test_a_resolution_starts_today_with_the_appeals_term(ctx):
    appeal = _appeal(status=AppealStatus.ON_RESOLUTION)
    # the term the registration proposed (30 days): the resolution confirms or shortens it to 15
    assert workflow.default_params("resolve", appeal, now=NOW) == {
        "resolved_on": TODAY,
        "deadline": date(2026, 4, 1),
        "term_days": "30",
    }


def test_forwarding_suggests_the_applicant_was_notified_today(ctx):
    assert workflow.default_params("forward", _appeal(), now=NOW) == {"notified_on": TODAY}


def test_an_extension_suggests_fifteen_more_days(ctx):
    appeal = _appeal(status=AppealStatus.IN_WORK, due_date=date(2026, 3, 20))
    params = workflow.default_params("extend_term", appeal, now=NOW)
    assert params == {"notified_on": TODAY, "new_due_date": date(2026, 4, 4)}


def test_an_extension_counts_from_today_when_the_term_has_passed(ctx):
    appeal = _appeal(status=AppealStatus.IN_WORK, due_date=date(2026, 3, 5))
    assert workflow.suggested_due_date(appeal, TODAY) == TODAY + timedelta(days=15)


def test_an_extension_never_suggests_more_than_the_legal_maximum(ctx):
    appeal = _appeal(status=AppealStatus.IN_WORK, due_date=date(2026, 4, 10))
    latest = deadlines.latest_due_date(appeal.registered_at)
    assert latest < date(2026, 4, 10) + timedelta(days=15)
    assert workflow.default_params("extend_term", appeal, now=NOW)["new_due_date"] == latest


def test_closing_a_forwarded_appeal_suggests_the_forwarded_result(ctx):
    appeal = _appeal(status=AppealStatus.FORWARDED)
    assert workflow.default_params("close", appeal, now=NOW) == {"result_code": f.result_code("forwarded").id}


def test_closing_a_sent_appeal_suggests_no_result(ctx):
    assert workflow.default_params("close", _appeal(status=AppealStatus.SENT), now=NOW) == {}
    assert workflow.default_result_code(_appeal(status=AppealStatus.SENT)) is None


def test_returning_to_the_applicant_explains_what_art_5_items_are_missing(ctx):
    appeal = _appeal(applicant=f.make_applicant(full_name="Петренко", address=""))
    reason = workflow.default_params("return_to_applicant", appeal, now=NOW)["reason"]
    for label in registration.describe_missing(["name", "address"]):
        assert str(label) in reason


def test_returning_a_complete_appeal_suggests_no_reason(ctx):
    appeal = _appeal(
        applicant=f.make_applicant(full_name="Петренко Петро Петрович", address="м. Київ", email="p@example.com"),
        signed_by_applicant=True,
    )
    assert workflow.default_params("return_to_applicant", appeal, now=NOW) == {}


def test_a_draft_suggests_the_current_minute_in_kyiv(ctx):
    contacted = workflow.default_params("draft", _appeal(status=AppealStatus.IN_WORK), now=NOW)["contacted_at"]
    assert contacted == datetime(2026, 3, 10, 9, 41, tzinfo=KYIV)


@pytest.mark.parametrize("action", ["route", "accept", "submit", "sign", "rework", "dispatch"])
def test_other_steps_start_empty(ctx, action):
    assert workflow.default_params(action, _appeal(), now=NOW) == {}


def test_choices_offer_active_signers_and_executors_and_every_result(ctx):
    direction = f.make_direction()
    signer = f.make_user(Role.SIGNER, direction=direction)
    f.make_user(Role.SIGNER, active=False)
    active, inactive = f.make_executor(), f.make_executor(is_active=False)
    db.session.flush()
    assert (str(signer.id), f"{signer} ({direction})") in workflow.signer_choices()
    assert len(workflow.signer_choices()) == 1
    executors = dict(workflow.executor_choices())
    assert str(active.id) in executors and str(inactive.id) not in executors
    assert (str(f.result_code("forwarded").id), f.result_code("forwarded").name) in workflow.result_code_choices()
