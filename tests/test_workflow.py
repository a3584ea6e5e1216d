"""The appeal state machine: who may take which step, from which state, and what each step records."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models import (
    Answer,
    Appeal,
    Assignment,
    Attachment,
    FeedbackProof,
    Resolution,
    StatusChange,
    TermExtension,
    User,
)
from portal.models.base import utcnow
from portal.models.enums import (
    AnswerKind,
    AppealStatus,
    AssignmentStatus,
    AttachmentKind,
    DeliveryStatus,
    ExecutorRole,
    FeedbackMethod,
    Role,
)
from portal.services import workflow
from portal.services.errors import DomainError
from tests.factories import (
    make_appeal,
    make_assignment,
    make_direction,
    make_executor,
    make_topic,
    make_user,
    result_code,
)

S = AppealStatus
AFTER_RESOLUTION = (S.ASSIGNED, S.IN_WORK, S.ANSWER_DRAFTED, S.ON_SIGNING, S.SIGNED, S.SENT, S.CLOSED)
DRAFTED = (S.ANSWER_DRAFTED, S.ON_SIGNING, S.SIGNED, S.SENT, S.CLOSED)


class World:
    """A direction with its signer, two executor bodies, and a user of every role."""

    def __init__(self):
        self.direction = make_direction()
        self.topic = make_topic(direction=self.direction)
        self.body = make_executor()
        self.other_body = make_executor()
        self.users = {
            role: make_user(
                role,
                **(
                    {"direction": self.direction}
                    if role == Role.SIGNER
                    else {"executor": self.body}
                    if role == Role.EXECUTOR
                    else {}
                ),
            )
            for role in Role
        }

    def appeal(self, status: AppealStatus, **kw):
        """An appeal in ``status`` with everything the earlier steps would have left behind."""
        appeal = make_appeal(status=status, topic=self.topic, direction_id=self.direction.id, **kw)
        if status not in (S.REGISTERED, S.RETURNED_TO_APPLICANT, S.NOT_CONSIDERED, S.FORWARDED):
            appeal.signer = self.users[Role.SIGNER]
        if status in AFTER_RESOLUTION:
            make_assignment(appeal, self.body)
            appeal.main_executor = self.body
        if status in DRAFTED:
            for kind in AnswerKind:
                db.session.add(Answer(appeal=appeal, kind=kind, body="Текст відповіді"))
            db.session.add(
                FeedbackProof(
                    appeal=appeal, method=FeedbackMethod.PHONE, contacted_at=utcnow(), result="Заявник задоволений"
                )
            )
        if status in (S.SENT, S.CLOSED):
            appeal.sent_at = utcnow()
        if status in (S.SIGNED, S.SENT, S.CLOSED):
            db.session.add(
                Attachment(
                    appeal=appeal,
                    kind=AttachmentKind.SCAN,
                    filename="scan.pdf",
                    storage_key=f"test/{appeal.id}",
                    size=10,
                )
            )
        db.session.flush()
        db.session.refresh(appeal)
        return appeal


@pytest.fixture
def world(app):
    # a request context: refusals carry translated messages, and the locale is chosen per request
    with app.test_request_context():
        yield World()


def params_for(action: str, world: World, appeal) -> dict:
    today = kyiv_today()
    return {
        "route": {},
        "return_to_applicant": {"reason": "Не зазначено місце проживання"},
        "not_consider": {"reason": "Анонімне звернення"},
        "forward": {"body": "Головне управління Держгеокадастру", "notified_on": today},
        "resolve": {"text": "Розглянути та надати відповідь", "executors": [world.body.id, world.other_body.id]},
        "accept": {},
        "draft": {
            "to_regional_center": "Додаток 1",
            "to_applicant": "Додаток 2",
            "feedback_method": "phone",
            "contacted_at": utcnow() - timedelta(minutes=5),
            "feedback_result": "Роз'яснено",
        },
        "submit": {},
        "sign": {},
        "rework": {"reason": "Уточнити строки ремонту"},
        "recall": {"reason": "Помилка в адресі заявника"},
        "dispatch": {"outgoing_number": "01-14/123"},
        "returned_by_center": {"reason": "Відповідь не по суті"},
        "close": {"result_code": result_code("positive")},
        "reopen": {"reason": "Заявник повідомив, що ремонт не виконано"},
        "cancel": {"reason": "Помилково зареєстровано двічі"},
        "paper_copy": {"sent_on": today},
        "extend_term": {
            "new_due_date": appeal.due_date + timedelta(days=10),
            "reason": "Потрібна перевірка",
            "notified_on": today,
        },
    }[action]


# --- the transition table itself ----------------------------------------------------------------

# The states that still await an answer: an answer sent or a forwarding finishes the term.
AWAITING_ANSWER = (S.REGISTERED, S.ON_RESOLUTION, S.ASSIGNED, S.IN_WORK, S.ANSWER_DRAFTED, S.ON_SIGNING, S.SIGNED)

EXPECTED_TABLE = {
    (S.REGISTERED, "route"): S.ON_RESOLUTION,
    (S.REGISTERED, "return_to_applicant"): S.RETURNED_TO_APPLICANT,
    (S.REGISTERED, "not_consider"): S.NOT_CONSIDERED,
    (S.REGISTERED, "forward"): S.FORWARDED,
    (S.ON_RESOLUTION, "forward"): S.FORWARDED,  # by competence, from the resolution stage too
    (S.ON_RESOLUTION, "resolve"): S.ASSIGNED,
    (S.ASSIGNED, "accept"): S.IN_WORK,
    (S.IN_WORK, "draft"): S.ANSWER_DRAFTED,
    (S.ANSWER_DRAFTED, "submit"): S.ON_SIGNING,
    (S.ON_SIGNING, "sign"): S.SIGNED,
    (S.ON_SIGNING, "rework"): S.IN_WORK,
    (S.SIGNED, "recall"): S.IN_WORK,  # the signer recalls a signed answer before dispatch (rework)
    (S.SIGNED, "dispatch"): S.SENT,
    (S.SENT, "returned_by_center"): S.IN_WORK,  # the regional center returned the answer (rework)
    (S.SENT, "close"): S.CLOSED,
    (S.FORWARDED, "close"): S.CLOSED,
    (S.CLOSED, "reopen"): S.SENT,  # sealed: only the director reopens, with a reason
    (S.SENT, "paper_copy"): S.SENT,
    **{(s, "extend_term"): s for s in AWAITING_ANSWER},
    **{(s, "cancel"): S.CANCELLED for s in AWAITING_ANSWER},  # a wrong registration, never deleted
}


def test_the_transition_table_is_the_design_diagram():
    assert {(f, a): t for f, a, t in workflow.transition_table()} == EXPECTED_TABLE


def _transient_appeal(status: AppealStatus) -> Appeal:
    """An appeal of direction 10 assigned to executor body 5: objects only, no database."""
    appeal = Appeal(status=status, direction_id=10, signer_id=None)
    appeal.assignments.append(Assignment(id=1, executor_id=5, executor_role=ExecutorRole.RESPONSIBLE))
    return appeal


def _transient_user(role: Role) -> User:
    return User(
        id=1,
        role=role,
        active=True,
        executor_id=5 if role == Role.EXECUTOR else None,
        direction_id=10 if role == Role.SIGNER else None,
    )


@pytest.mark.parametrize("status", list(AppealStatus))
@pytest.mark.parametrize("action", list(workflow.TRANSITIONS))
def test_state_by_action(status, action):
    """The director may do everything, so only the state decides: allowed or an invalid transition."""
    appeal, director = _transient_appeal(status), _transient_user(Role.DIRECTOR)
    if (status, action) in EXPECTED_TABLE:
        assert workflow.check(director, appeal, action).target in (EXPECTED_TABLE[(status, action)], None)
    else:
        with pytest.raises(workflow.WorkflowError) as excinfo:
            workflow.check(director, appeal, action)
        assert not isinstance(excinfo.value, workflow.NotAllowed)


# --- who may do what --------------------------------------------------------------------------------

ROLES_FOR = {
    "route": {Role.DIRECTOR, Role.CLERK},
    "return_to_applicant": {Role.DIRECTOR, Role.CLERK},
    "not_consider": {Role.DIRECTOR, Role.CLERK},
    "forward": {Role.DIRECTOR, Role.CLERK, Role.SIGNER},
    "resolve": {Role.DIRECTOR, Role.SIGNER},
    "accept": {Role.DIRECTOR, Role.EXECUTOR},
    "draft": {Role.DIRECTOR, Role.EXECUTOR},
    "submit": {Role.DIRECTOR, Role.EXECUTOR},
    "sign": {Role.DIRECTOR, Role.SIGNER},
    "rework": {Role.DIRECTOR, Role.SIGNER},
    "recall": {Role.DIRECTOR, Role.SIGNER},
    "dispatch": {Role.DIRECTOR, Role.CLERK},
    "returned_by_center": {Role.DIRECTOR, Role.CLERK},
    "close": {Role.DIRECTOR, Role.CLERK},
    "reopen": {Role.DIRECTOR},
    "cancel": {Role.DIRECTOR},
    "extend_term": {Role.DIRECTOR, Role.SIGNER},
    "paper_copy": {Role.DIRECTOR, Role.CLERK},
}
SOURCE = {action: min(t.sources, key=list(AppealStatus).index) for action, t in workflow.TRANSITIONS.items()}
SOURCE["extend_term"] = S.IN_WORK


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(workflow.TRANSITIONS))
def test_role_by_action(role, action):
    """In the right state and within scope, a step is allowed exactly for the roles that own it."""
    appeal, user = _transient_appeal(SOURCE[action]), _transient_user(role)
    if role in ROLES_FOR[action]:
        workflow.check(user, appeal, action)
    else:
        with pytest.raises(workflow.NotAllowed):
            workflow.check(user, appeal, action)


@pytest.mark.parametrize("action, role", [(action, sorted(roles)[-1]) for action, roles in ROLES_FOR.items()])
def test_each_step_succeeds_for_a_role_that_owns_it(world, action, role):
    appeal = world.appeal(SOURCE[action])
    workflow.perform(world.users[role], appeal, action, **params_for(action, world, appeal))
    db.session.flush()
    assert appeal.status == EXPECTED_TABLE[(SOURCE[action], action)]


@pytest.mark.parametrize("action", list(workflow.TRANSITIONS))
def test_a_refused_step_changes_nothing(world, action):
    appeal = world.appeal(SOURCE[action])
    with pytest.raises(workflow.NotAllowed):
        workflow.perform(world.users[Role.AUDITOR], appeal, action, **params_for(action, world, appeal))
    db.session.flush()
    assert appeal.status == SOURCE[action]
    assert db.session.execute(sa.select(sa.func.count()).select_from(StatusChange)).scalar_one() == 0


@pytest.mark.parametrize("action", ["accept", "draft", "submit"])
def test_an_executor_of_another_body_cannot_act(world, action):
    appeal = world.appeal(SOURCE[action])
    stranger = make_user(Role.EXECUTOR, executor=make_executor())
    with pytest.raises(workflow.NotAllowed):
        workflow.perform(stranger, appeal, action, **params_for(action, world, appeal))


def test_a_co_executor_body_sees_the_appeal_but_cannot_take_the_responsible_steps(world):
    appeal = world.appeal(S.ASSIGNED)
    make_assignment(appeal, world.other_body, executor_role=ExecutorRole.CO_EXECUTOR, position=2)
    db.session.refresh(appeal)
    co_executor = make_user(Role.EXECUTOR, executor=world.other_body)
    assert workflow.available_actions(co_executor, appeal) == []
    with pytest.raises(workflow.NotAllowed):
        workflow.accept(co_executor, appeal)


@pytest.mark.parametrize("action", ["resolve", "sign", "rework", "extend_term"])
def test_a_signer_of_another_direction_cannot_act(world, action):
    appeal = world.appeal(SOURCE[action])
    outsider = make_user(Role.SIGNER, direction=make_direction())
    with pytest.raises(workflow.NotAllowed):
        workflow.perform(outsider, appeal, action, **params_for(action, world, appeal))


def test_a_signer_acts_on_an_appeal_routed_to_them_outside_their_direction(world):
    other = make_user(Role.SIGNER, direction=make_direction())
    appeal = world.appeal(S.ON_RESOLUTION)
    appeal.signer = other
    workflow.resolve(other, appeal, **params_for("resolve", world, appeal))
    assert appeal.status == S.ASSIGNED


@pytest.mark.parametrize(
    "role, status, expected",
    [
        (Role.CLERK, S.REGISTERED, ["route", "return_to_applicant", "not_consider", "forward"]),
        (Role.SIGNER, S.REGISTERED, ["forward", "extend_term"]),
        (Role.SIGNER, S.ON_SIGNING, ["sign", "rework", "extend_term"]),
        (Role.EXECUTOR, S.ASSIGNED, ["accept"]),
        (Role.EXECUTOR, S.IN_WORK, ["draft"]),
        (Role.CLERK, S.SIGNED, ["dispatch"]),
        (Role.CLERK, S.FORWARDED, ["close"]),
        (Role.AUDITOR, S.REGISTERED, []),
        (Role.SIGNER, S.SIGNED, ["recall", "extend_term"]),
        (Role.CLERK, S.SENT, ["returned_by_center", "close", "paper_copy"]),
        (Role.DIRECTOR, S.CLOSED, ["reopen"]),
        (Role.CLERK, S.CLOSED, []),
    ],
)
def test_available_actions(world, role, status, expected):
    assert workflow.available_actions(world.users[role], world.appeal(status)) == expected


# --- what each step does ------------------------------------------------------------------------------


def test_every_step_records_who_when_and_the_comment(world):
    appeal = world.appeal(S.ON_SIGNING)
    signer = world.users[Role.SIGNER]
    workflow.rework(signer, appeal, reason="Додати графік робіт")
    db.session.flush()
    change = db.session.execute(sa.select(StatusChange).filter_by(appeal_id=appeal.id)).scalar_one()
    assert (change.from_status, change.to_status, change.user_id, change.comment) == (
        S.ON_SIGNING,
        S.IN_WORK,
        signer.id,
        "Додати графік робіт",
    )
    assert change.at is not None


def test_route_picks_the_signer_of_the_topics_direction(world):
    appeal = world.appeal(S.REGISTERED)
    workflow.route(world.users[Role.CLERK], appeal)
    db.session.flush()
    assert appeal.signer_id == world.users[Role.SIGNER].id


def test_route_without_a_signer_for_the_direction_is_refused(world):
    world.users[Role.SIGNER].active = False
    appeal = world.appeal(S.REGISTERED)
    with pytest.raises(workflow.WorkflowError):
        workflow.route(world.users[Role.CLERK], appeal)
    assert appeal.status == S.REGISTERED


def test_route_to_a_signer_of_another_direction_is_refused(world):
    appeal = world.appeal(S.REGISTERED)
    outsider = make_user(Role.SIGNER, direction=make_direction())
    with pytest.raises(workflow.WorkflowError):
        workflow.route(world.users[Role.CLERK], appeal, signer=outsider.id)


def test_resolve_names_executors_in_order_the_first_responsible(world):
    appeal = world.appeal(S.ON_RESOLUTION)
    third = make_executor()
    workflow.resolve(
        world.users[Role.SIGNER],
        appeal,
        text="Розглянути",
        executors=[world.body.id, world.other_body.id],
        for_information=[third.id],
        deadline=appeal.due_date - timedelta(days=5),
    )
    db.session.flush()
    rows = db.session.execute(sa.select(Assignment).filter_by(appeal_id=appeal.id).order_by(Assignment.position))
    assert [(a.position, a.executor_id, a.executor_role, a.status, a.due_date) for a in rows.scalars()] == [
        (1, world.body.id, ExecutorRole.RESPONSIBLE, AssignmentStatus.NEW, appeal.due_date - timedelta(days=5)),
        (2, world.other_body.id, ExecutorRole.CO_EXECUTOR, AssignmentStatus.NEW, appeal.due_date - timedelta(days=5)),
        (3, third.id, ExecutorRole.FOR_INFORMATION, AssignmentStatus.NEW, appeal.due_date - timedelta(days=5)),
    ]
    resolution = db.session.execute(sa.select(Resolution).filter_by(appeal_id=appeal.id)).scalar_one()
    assert resolution.signer_id == world.users[Role.SIGNER].id
    assert appeal.main_executor_id == world.body.id


@pytest.mark.parametrize(
    "case", ["deadline_after_due", "no_executors", "executor_twice", "no_text", "informed_is_also_executor"]
)
def test_resolve_is_refused(world, case):
    appeal = world.appeal(S.ON_RESOLUTION)
    kw = params_for("resolve", world, appeal)
    kw.update(
        {
            "deadline_after_due": {"deadline": appeal.due_date + timedelta(days=1)},
            "no_executors": {"executors": []},
            "executor_twice": {"executors": [world.body.id, world.body.id]},
            "no_text": {"text": " "},
            "informed_is_also_executor": {"for_information": [world.body.id]},
        }[case]
    )
    with pytest.raises(DomainError):
        workflow.resolve(world.users[Role.SIGNER], appeal, **kw)
    assert appeal.status == S.ON_RESOLUTION


def test_draft_writes_both_answers_and_the_proof_of_feedback(world):
    appeal = world.appeal(S.IN_WORK)
    workflow.draft(world.users[Role.EXECUTOR], appeal, **params_for("draft", world, appeal))
    db.session.flush()
    kinds = {a.kind: a.body for a in appeal.answers}
    assert kinds == {AnswerKind.TO_REGIONAL_CENTER: "Додаток 1", AnswerKind.TO_APPLICANT: "Додаток 2"}
    assert [(f.method, f.result) for f in appeal.feedback] == [(FeedbackMethod.PHONE, "Роз'яснено")]
    assert workflow.responsible_assignment(appeal).status == AssignmentStatus.ANSWERED


def test_draft_without_feedback_is_refused(world):
    appeal = world.appeal(S.IN_WORK)
    kw = params_for("draft", world, appeal) | {"feedback_result": ""}
    with pytest.raises(DomainError):
        workflow.draft(world.users[Role.EXECUTOR], appeal, **kw)


def test_rework_counts_and_returns_the_assignment_and_a_redraft_replaces_the_text(world):
    appeal = world.appeal(S.ON_SIGNING)
    workflow.rework(world.users[Role.SIGNER], appeal, reason="Уточнити")
    assert appeal.rework_count == 1
    assert workflow.responsible_assignment(appeal).status == AssignmentStatus.RETURNED
    kw = params_for("draft", world, appeal) | {"to_applicant": "Виправлена відповідь"}
    workflow.draft(world.users[Role.EXECUTOR], appeal, **kw)
    db.session.flush()
    to_applicant = [a.body for a in appeal.answers if a.kind == AnswerKind.TO_APPLICANT]
    assert to_applicant == ["Виправлена відповідь"]


def test_sign_signs_the_answers(world):
    appeal = world.appeal(S.ON_SIGNING)
    workflow.sign(world.users[Role.SIGNER], appeal)
    assert all(a.signed_by_id == world.users[Role.SIGNER].id and a.signed_at for a in appeal.answers)


def test_dispatch_records_the_outgoing_answer(world):
    appeal = world.appeal(S.SIGNED)
    workflow.dispatch(world.users[Role.CLERK], appeal, outgoing_number="01-14/77", paper_copy_sent=True)
    assert (appeal.outgoing_number, appeal.delivery_status, appeal.paper_copy_sent) == (
        "01-14/77",
        DeliveryStatus.PENDING,
        True,
    )
    assert appeal.sent_at is not None


def test_dispatch_needs_the_signed_scan(world):
    appeal = world.appeal(S.SIGNED)
    for attachment in list(appeal.attachments):
        db.session.delete(attachment)
    db.session.flush()
    db.session.refresh(appeal)
    with pytest.raises(DomainError):
        workflow.dispatch(world.users[Role.CLERK], appeal, outgoing_number="01-14/77")


def test_close_needs_a_result_except_after_forwarding(world):
    sent = world.appeal(S.SENT)
    with pytest.raises(DomainError):
        workflow.close(world.users[Role.CLERK], sent)
    forwarded = world.appeal(S.FORWARDED)
    workflow.close(world.users[Role.CLERK], forwarded)
    assert forwarded.result_code.code == "forwarded"
    assert forwarded.closed_at is not None


def test_forwarding_after_five_days_is_refused(world):
    appeal = world.appeal(S.REGISTERED, registered_at=utcnow() - timedelta(days=7))
    with pytest.raises(DomainError):
        workflow.forward(world.users[Role.CLERK], appeal, body="Інший орган", notified_on=kyiv_today())


def test_extension_keeps_the_state_and_records_the_extension(world):
    appeal = world.appeal(S.IN_WORK)
    old_due = appeal.due_date
    workflow.extend_term(world.users[Role.SIGNER], appeal, **params_for("extend_term", world, appeal))
    db.session.flush()
    assert appeal.status == S.IN_WORK
    assert appeal.due_date == old_due + timedelta(days=10)
    ext = db.session.execute(sa.select(TermExtension).filter_by(appeal_id=appeal.id)).scalar_one()
    assert (ext.old_due_date, ext.new_due_date) == (old_due, appeal.due_date)
    assert workflow.responsible_assignment(appeal).due_date == appeal.due_date
    change = db.session.execute(sa.select(StatusChange).filter_by(appeal_id=appeal.id)).scalar_one()
    assert change.from_status == change.to_status == S.IN_WORK


def test_extension_beyond_45_days_is_refused(world):
    appeal = world.appeal(S.IN_WORK)
    with pytest.raises(DomainError):
        workflow.extend_term(
            world.users[Role.SIGNER],
            appeal,
            new_due_date=appeal.due_date + timedelta(days=20),
            reason="Перевірка",
            notified_on=kyiv_today(),
        )


def test_the_whole_way_from_registration_to_closing(world):
    appeal = world.appeal(S.REGISTERED)
    steps = [
        ("route", Role.CLERK),
        ("resolve", Role.SIGNER),
        ("accept", Role.EXECUTOR),
        ("draft", Role.EXECUTOR),
        ("submit", Role.EXECUTOR),
        ("sign", Role.SIGNER),
        ("dispatch", Role.CLERK),
        ("close", Role.CLERK),
    ]
    for action, role in steps:
        if action == "dispatch":
            db.session.add(
                Attachment(
                    appeal=appeal, kind=AttachmentKind.SCAN, filename="scan.pdf", storage_key="test/walk", size=1
                )
            )
            db.session.flush()
        workflow.perform(world.users[role], appeal, action, **params_for(action, world, appeal))
        db.session.flush()
    history = (
        db.session.execute(
            sa.select(StatusChange.to_status).filter_by(appeal_id=appeal.id).order_by(StatusChange.at, StatusChange.id)
        )
        .scalars()
        .all()
    )
    assert history == [
        S.ON_RESOLUTION,
        S.ASSIGNED,
        S.IN_WORK,
        S.ANSWER_DRAFTED,
        S.ON_SIGNING,
        S.SIGNED,
        S.SENT,
        S.CLOSED,
    ]
