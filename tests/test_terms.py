"""The law's clock and intake rules (issue 10), each with its boundary, as tables."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.i18n import KYIV
from portal.models import Answer, CalendarDay, StatusChange
from portal.models.enums import (
    AnswerKind,
    AppealStatus,
    AppealSubject,
    AppealType,
    CalendarDayKind,
    Channel,
    ReceiptSign,
    Role,
)
from portal.services import calendar, deadlines, registration, workflow
from portal.services.errors import DomainError
from tests.factories import make_appeal, make_applicant, make_assignment, make_executor, make_topic, make_user

S = AppealStatus


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        calendar.forget()
        yield
        calendar.forget()


def kyiv(y, m, d, hh=12, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=KYIV)


def received(day: date, **kw):
    """An appeal received (and registered) at noon Kyiv time on ``day``, due 30 days later."""
    kw.setdefault("due_date", day + timedelta(days=30))
    return make_appeal(registered_at=kyiv(day.year, day.month, day.day), **kw)


# --- 1. the term runs from receipt: the Kyiv day of the receipt moment -------------------------


@pytest.mark.parametrize(
    "moment, term, due",
    [
        (kyiv(2026, 1, 31, 23, 59), 30, date(2026, 3, 2)),  # the 31st, one minute before midnight in Kyiv
        (kyiv(2026, 1, 31, 23, 59), 15, date(2026, 2, 15)),
        (datetime(2026, 1, 31, 21, 59, tzinfo=UTC), 30, date(2026, 3, 2)),  # 23:59 Kyiv, as stored in UTC
        (datetime(2026, 1, 31, 22, 0, tzinfo=UTC), 30, date(2026, 3, 3)),  # 00:00 Kyiv on the 1st
        (kyiv(2026, 3, 31, 9, 0), 30, date(2026, 4, 30)),
        (kyiv(2026, 10, 31, 23, 59), 30, date(2026, 11, 30)),  # after the switch to winter time
    ],
)
def test_the_due_date_counts_calendar_days_from_the_kyiv_day_of_receipt(ctx, moment, term, due):
    result = registration.register_appeal(
        registered_at=moment,
        needs_study=term == 30,
        channel=Channel.GOVERNMENT,
        appeal_type=AppealType.STATEMENT,
        summary="Відсутнє опалення",
        applicant=make_applicant(),
    )
    assert (result.appeal.term_days, result.appeal.due_date) == (term, due)
    assert deadlines.receipt_date(result.appeal) == deadlines.registration_date(moment)


def test_the_receipt_moment_is_received_at_where_the_appeal_records_it(ctx):
    appeal = make_appeal(registered_at=kyiv(2026, 3, 10))
    appeal.received_at = kyiv(2026, 3, 2, 23, 59)  # an e-mail received a week before registration
    assert deadlines.receipt_date(appeal) == date(2026, 3, 2)


# --- 2. the resolution decides 15 or 30 days -------------------------------------------------------


@pytest.mark.parametrize("proposed, decided, due", [(30, 15, date(2026, 3, 16)), (15, 30, date(2026, 3, 31))])
def test_the_signer_decides_the_term_in_the_resolution(ctx, proposed, decided, due):
    appeal = received(date(2026, 3, 1), status=S.ON_RESOLUTION, term_days=proposed)
    director = make_user(Role.DIRECTOR)
    workflow.resolve(
        director,
        appeal,
        text="Розглянути",
        executors=[make_executor().id],
        term_days=str(decided),
        resolved_on=date(2026, 3, 2),
        today=date(2026, 3, 2),
    )
    assert (appeal.term_days, appeal.due_date) == (decided, due)
    assert appeal.assignments[0].due_date == due


@pytest.mark.parametrize(
    "new_due, ok",
    [
        (date(2026, 4, 15), True),  # exactly 45 days from receipt on 1 March
        (date(2026, 4, 16), False),  # one day more
    ],
)
def test_a_15_day_term_extends_up_to_45_days_from_receipt(ctx, new_due, ok):
    appeal = received(date(2026, 3, 1), status=S.IN_WORK, term_days=15, due_date=date(2026, 3, 16))
    signer = make_user(Role.DIRECTOR)
    call = lambda: workflow.extend_term(  # noqa: E731
        signer,
        appeal,
        new_due_date=new_due,
        reason="Потрібна перевірка",
        notified_on=date(2026, 3, 10),
        today=date(2026, 3, 10),
    )
    if ok:
        call()
        assert (appeal.due_date, appeal.term_days) == (new_due, 45)
    else:
        with pytest.raises(DomainError, match="15.04.2026"):
            call()
        assert appeal.due_date == date(2026, 3, 16)


def test_an_extension_needs_the_notice_to_the_applicant(ctx):
    appeal = received(date(2026, 3, 1), status=S.IN_WORK)
    with pytest.raises(DomainError):
        workflow.extend_term(
            make_user(Role.DIRECTOR),
            appeal,
            new_due_date=date(2026, 4, 10),
            reason="Перевірка",
            notified_on=None,
            today=date(2026, 3, 10),
        )


# --- 3. the control date: the preceding working day --------------------------------------------------


def day_off(day: date, kind=CalendarDayKind.PUBLIC_HOLIDAY, name="День Незалежності"):
    db.session.add(CalendarDay(day=day, kind=kind, name=name))
    db.session.flush()
    calendar.forget()


@pytest.mark.parametrize(
    "due, holidays_off, control",
    [
        (date(2026, 3, 11), True, date(2026, 3, 11)),  # a Wednesday: itself
        (date(2026, 3, 8), True, date(2026, 3, 6)),  # a Sunday → Friday
        (date(2026, 3, 7), True, date(2026, 3, 6)),  # a Saturday → Friday
        (date(2026, 8, 24), True, date(2026, 8, 21)),  # a Monday holiday → Friday
        (date(2026, 8, 24), False, date(2026, 8, 24)),  # holidays switched off (martial law): Monday itself
        (date(2026, 8, 25), True, date(2026, 8, 25)),
    ],
)
def test_the_control_date_is_the_preceding_working_day(ctx, due, holidays_off, control):
    day_off(date(2026, 8, 24))
    calendar.set_public_holidays_off(holidays_off)
    assert deadlines.control_date(due) == control


def test_a_day_off_of_the_directors_calendar_moves_the_control_date_but_not_the_due_date(ctx):
    day_off(date(2026, 3, 13), kind=CalendarDayKind.DAY_OFF, name="Вихідний за рішенням")  # a Friday
    calendar.set_public_holidays_off(False)  # switching holidays off leaves declared days off alone
    appeal = received(date(2026, 2, 13), status=S.IN_WORK, due_date=date(2026, 3, 15))  # a Sunday
    assert deadlines.control_date(appeal.due_date) == date(2026, 3, 12)
    assert appeal.due_date == date(2026, 3, 15)


@pytest.mark.parametrize(
    "today, state",
    [
        (date(2026, 3, 2), "near_due"),  # Monday: 3 days to the control date (Thursday)
        (date(2026, 3, 1), None),  # 4 days to the control date
        (date(2026, 3, 7), "near_due"),  # Saturday: past the control date, the legal term still runs
        (date(2026, 3, 9), "overdue"),
    ],
)
def test_warnings_count_from_the_control_date(ctx, today, state):
    day_off(date(2026, 3, 6), name="Свято")  # Friday a holiday, due Sunday 8 March → control Thursday 5 March
    assert deadlines.control_date(date(2026, 3, 8)) == date(2026, 3, 5)
    assert deadlines.deadline_state(date(2026, 3, 8), S.IN_WORK, today) == state


def test_the_near_due_filter_uses_the_control_date(ctx):
    day_off(date(2026, 3, 6), name="Свято")
    due_sunday = received(date(2026, 2, 6), status=S.IN_WORK, due_date=date(2026, 3, 8))
    due_later = received(date(2026, 2, 8), status=S.IN_WORK, due_date=date(2026, 3, 10))
    found = set(
        db.session.execute(
            sa.select(sa.literal_column("appeal.id"))
            .select_from(type(due_sunday))
            .where(deadlines.near_due_clause(date(2026, 3, 2)))
        ).scalars()
    )
    assert due_sunday.id in found and due_later.id not in found


# --- 4. timeliness is by the answer, not by closing ---------------------------------------------------


@pytest.mark.parametrize(
    "sent_on, forwarded_on, on_time",
    [
        (date(2026, 3, 31), None, True),  # sent on the due date (and closed a week later)
        (date(2026, 4, 1), None, False),
        (None, date(2026, 3, 31), True),  # forwarded by competence by the due date
        (None, None, False),  # nothing by the due date, which has passed
    ],
)
def test_on_time_is_decided_by_the_answer(ctx, sent_on, forwarded_on, on_time):
    appeal = received(date(2026, 3, 1), status=S.CLOSED if (sent_on or forwarded_on) else S.IN_WORK)
    if sent_on:
        appeal.sent_at = kyiv(sent_on.year, sent_on.month, sent_on.day, 23, 30)
    if forwarded_on:
        appeal.forwarded_at = kyiv(forwarded_on.year, forwarded_on.month, forwarded_on.day, 18, 0)
    appeal.closed_at = kyiv(2026, 4, 7)  # a week after the due date: closing does not count
    assert deadlines.is_on_time(appeal, today=date(2026, 4, 10)) is on_time


@pytest.mark.parametrize("status", [S.SENT, S.FORWARDED])
def test_sent_and_forwarded_are_neither_open_nor_overdue(ctx, status):
    appeal = received(date(2026, 1, 1), status=status)
    assert not appeal.is_open
    assert deadlines.deadline_state(appeal.due_date, appeal.status, date(2026, 3, 1)) is None
    overdue = db.session.execute(
        sa.select(sa.func.count()).select_from(type(appeal)).where(deadlines.overdue_clause(date(2026, 3, 1)))
    ).scalar_one()
    assert overdue == 0


# --- 5. Art. 5 is a gate; the return within 10 days of receipt ----------------------------------------


@pytest.mark.parametrize(
    "applicant_kw, channel",
    [
        ({"address": "-"}, Channel.GOVERNMENT),  # a placeholder is not an address
        ({"address": "—"}, Channel.GOVERNMENT),
        ({"full_name": "Петренко"}, Channel.GOVERNMENT),
        ({"email": ""}, Channel.WEB),
    ],
)
def test_an_appeal_lacking_an_art5_item_cannot_be_routed(ctx, applicant_kw, channel):
    appeal = received(date(2026, 3, 1), applicant=make_applicant(**applicant_kw), channel=channel)
    with pytest.raises(workflow.WorkflowError, match="Art. 5|ст. 5"):
        workflow.route(make_user(Role.CLERK), appeal, signer=make_user(Role.SIGNER).id)
    assert appeal.status == S.REGISTERED


@pytest.mark.parametrize("today, ok", [(date(2026, 3, 11), True), (date(2026, 3, 12), False)])
def test_return_to_the_applicant_within_10_days_of_receipt(ctx, today, ok):
    appeal = received(date(2026, 3, 1), applicant=make_applicant(address="-"))
    clerk = make_user(Role.CLERK)
    if ok:
        workflow.return_to_applicant(clerk, appeal, reason="Не зазначено адресу", today=today)
        assert appeal.status == S.RETURNED_TO_APPLICANT
    else:
        with pytest.raises(DomainError, match="11.03.2026"):
            workflow.return_to_applicant(clerk, appeal, reason="Не зазначено адресу", today=today)
        assert appeal.status == S.REGISTERED
    assert deadlines.return_days_left(date(2026, 3, 1), today) == (0 if ok else -1)


# --- 6/7. Art. 8, repeated and duplicate appeals -----------------------------------------------------------


def _register(applicant, topic, at, **kw):
    result = registration.register_appeal(
        registered_at=at,
        channel=Channel.GOVERNMENT,
        appeal_type=AppealType.STATEMENT,
        summary="Відсутнє опалення",
        content="Прошу вжити заходів.",
        applicant=applicant,
        topic=topic,
        **kw,
    )
    db.session.flush()
    return result


def test_a_duplicate_joins_the_appeal_under_consideration(ctx):
    section = make_topic()
    earlier = _register(make_applicant(), make_topic(parent=section), kyiv(2026, 3, 1)).appeal
    earlier.status = S.IN_WORK
    body, co = make_executor(), make_executor()
    earlier.main_executor = body
    make_assignment(earlier, body)
    make_assignment(earlier, co, position=2, executor_role="co_executor")
    db.session.refresh(earlier)
    # the same person (another record: same name and address) on another subtopic of the same section
    same = make_applicant(full_name=earlier.applicant.full_name, phone="", email="", address=earlier.applicant.address)
    result = _register(same, make_topic(parent=section), kyiv(2026, 3, 5))
    appeal = result.appeal
    assert (appeal.sign, appeal.repeat_of) == (ReceiptSign.DUPLICATE, earlier)
    assert (appeal.due_date, appeal.term_days) == (earlier.due_date, earlier.term_days)
    assert [a.executor_id for a in appeal.assignments] == [body.id, co.id]
    assert appeal.main_executor_id == body.id
    assert result.not_considered_reason is None


@pytest.mark.parametrize(
    "result_code, proposed",
    [
        ("positive", True),  # answered on the merits: Art. 8
        ("explained", True),
        ("forwarded", False),  # not answered on the merits here: a repeat, considered
    ],
)
def test_a_repeat_after_an_answer_on_the_merits_is_proposed_for_art8(ctx, result_code, proposed):
    from tests.factories import result_code as code

    topic = make_topic()
    applicant = make_applicant()
    earlier = _register(applicant, topic, kyiv(2026, 1, 10)).appeal
    earlier.status, earlier.result_code = S.CLOSED, code(result_code)
    result = _register(applicant, topic, kyiv(2026, 3, 5))
    assert (result.appeal.sign, result.appeal.repeat_of) == (ReceiptSign.REPEATED, earlier)
    assert (result.not_considered_reason is not None) is proposed


def test_routing_an_art8_appeal_needs_a_reason_kept_in_history(ctx):
    appeal = received(date(2026, 3, 1), subject=AppealSubject.ANONYMOUS, applicant=None)
    clerk, signer = make_user(Role.CLERK), make_user(Role.SIGNER)
    with pytest.raises(workflow.WorkflowError):
        workflow.route(clerk, appeal, signer=signer.id)
    assert appeal.status == S.REGISTERED
    workflow.route(clerk, appeal, signer=signer.id, comment="Загроза життю: розглянути")
    db.session.flush()
    change = db.session.execute(sa.select(StatusChange).filter_by(appeal_id=appeal.id)).scalars().all()[-1]
    assert appeal.status == S.ON_RESOLUTION and "Загроза життю" in change.comment and "8" in change.comment


def test_a_registered_ukc_number_always_warns_and_links(ctx):
    first = _register(make_applicant(), make_topic(), kyiv(2026, 3, 1), ukc_number="1545-77").appeal
    second = _register(make_applicant(), make_topic(), kyiv(2026, 3, 2), ukc_number="1545-77")
    assert second.same_ukc_number == first


# --- 8. privileged applicants first, in every work list and queue --------------------------------------------


@pytest.mark.parametrize(
    "query, plain_due, privileged_due",
    [
        ("flt0_open=1", 2, 20),
        ("flt0_status=in_work", 2, 20),
        ("flt0_overdue=1", -10, -2),
        ("flt0_near_due=1", 0, 1),
    ],
)
def test_every_work_list_puts_privileged_appeals_first(client, auth, query, plain_due, privileged_due):
    from portal.i18n import kyiv_today

    auth.as_role(Role.CLERK)
    today = kyiv_today()
    now = datetime.now(UTC)
    # registered in the opposite order (the register's own order, newest first, would put them the other way)
    make_appeal(
        status=S.IN_WORK,
        due_date=today + timedelta(days=privileged_due),
        is_privileged=True,
        reg_number="P-2",
        registered_at=now - timedelta(hours=3),
    )
    make_appeal(
        status=S.IN_WORK,
        due_date=today + timedelta(days=plain_due + 1),
        reg_number="P-3",
        registered_at=now - timedelta(hours=2),
    )
    make_appeal(status=S.IN_WORK, due_date=today + timedelta(days=plain_due), reg_number="P-1", registered_at=now)
    db.session.commit()
    html = client.get(f"/admin/appeal/?{query}").get_data(as_text=True)
    shown = [reg for reg in ("P-1", "P-2", "P-3") if f">{reg}<" in html]
    expected = ["P-2", "P-1", "P-3"] if "P-3" in shown else ["P-2", "P-1"]
    assert sorted(shown, key=lambda reg: html.index(f">{reg}<")) == expected  # privileged, then the earliest term
    assert "portal-privileged" in html  # the flag is shown in the list


def test_the_home_pages_urgent_queue_puts_privileged_appeals_first(ctx):
    from portal.i18n import kyiv_today
    from portal.services import dashboard

    today = kyiv_today()
    plain = make_appeal(status=S.IN_WORK, due_date=today)
    first = make_appeal(status=S.IN_WORK, due_date=today + timedelta(days=1), is_privileged=True)
    db.session.flush()
    urgent = [a.id for a in dashboard.urgent_appeals(make_user(Role.DIRECTOR)) if a.id in (plain.id, first.id)]
    assert urgent == [first.id, plain.id]


# --- 9. forwarding by competence ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "today, reason, outcome",
    [
        (date(2026, 3, 6), "", "on_time"),  # day 5
        (date(2026, 3, 7), "", "refused"),  # day 6 without the reason of the delay
        (date(2026, 3, 7), "Не було відомостей про належний орган", "late"),
    ],
)
@pytest.mark.parametrize("status, role", [(S.REGISTERED, Role.CLERK), (S.ON_RESOLUTION, Role.SIGNER)])
def test_forwarding_by_competence(ctx, today, reason, outcome, status, role):
    user = make_user(role)
    appeal = received(date(2026, 3, 1), status=status, direction_id=user.direction_id)
    call = lambda: workflow.forward(  # noqa: E731
        user, appeal, body="Держгеокадастр", notified_on=today, comment=reason, today=today
    )
    if outcome == "refused":
        with pytest.raises(DomainError, match="06.03.2026"):
            call()
        assert appeal.status == status
        return
    change = call()
    assert appeal.status == S.FORWARDED and appeal.forwarded_at is not None
    assert (str(change.comment).startswith(str(workflow._l("Forwarded late")))) is (outcome == "late")
    assert deadlines.is_on_time(appeal) is True  # forwarding finishes the appeal for timeliness


# --- 10. returns between the ends: rework, counted, due date kept ----------------------------------------------


@pytest.mark.parametrize(
    "action, status, role", [("recall", S.SIGNED, Role.SIGNER), ("returned_by_center", S.SENT, Role.CLERK)]
)
def test_returns_after_signing_go_back_to_the_executor_as_rework(ctx, action, status, role):
    user = make_user(role)
    appeal = received(
        date(2026, 3, 1), status=status, direction_id=user.direction_id, signer=user if role == Role.SIGNER else None
    )
    make_assignment(appeal, make_executor())
    db.session.add(Answer(appeal=appeal, kind=AnswerKind.TO_APPLICANT, body="Відповідь", signed_at=kyiv(2026, 3, 20)))
    if status == S.SENT:
        appeal.sent_at = kyiv(2026, 3, 21)
    db.session.flush()
    db.session.refresh(appeal)
    due = appeal.due_date
    workflow.perform(user, appeal, action, reason="Відповідь не по суті")
    assert (appeal.status, appeal.rework_count, appeal.due_date) == (S.IN_WORK, 1, due)
    assert appeal.sent_at is None
