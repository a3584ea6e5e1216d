"""The appeal workflow (DESIGN §2): one transition table, enforced for every caller.

Every transition checks, in this order: the permission table (role may do the action),
the row scope (the user may see the appeal; an executor acts only for the responsible
executor body), the current state, then the inputs. It changes the appeal and writes a
StatusChange (who, when, comment). The caller commits. The appeal's ``status`` is never
set anywhere else: the admin forms exclude it and refuse a change to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.auth.permissions import can
from portal.extensions import db
from portal.i18n import KYIV, format_date, kyiv_today, to_kyiv
from portal.labels import enum_label
from portal.models.appeals import Answer, Appeal, Assignment, FeedbackProof, Resolution, StatusChange, TermExtension
from portal.models.base import utcnow
from portal.models.enums import (
    OPEN_STATUSES,
    AnswerKind,
    AppealStatus,
    AssignmentStatus,
    AttachmentKind,
    ExecutorRole,
    FeedbackMethod,
    Role,
)
from portal.models.org import Executor
from portal.models.reference import ResultCode
from portal.models.users import User
from portal.services import deadlines, notifications, outgoing, registration
from portal.services import dispatch as exchange_dispatch
from portal.services.errors import DomainError
from portal.services.scope import can_see_appeal

S = AppealStatus


class WorkflowError(DomainError):
    """A workflow rule refused the step (wrong state, missing or invalid input)."""


class NotAllowed(WorkflowError):
    """The user may not take this step on this appeal (role, scope or executor body)."""


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[AppealStatus]
    target: AppealStatus | None  # None: the state stays (a term extension)
    label: object


# The one transition table: action → (from-states, to-state).
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("route", frozenset({S.REGISTERED}), S.ON_RESOLUTION, _l("Route to signer")),
        Transition(
            "return_to_applicant",
            frozenset({S.REGISTERED}),
            S.RETURNED_TO_APPLICANT,
            _l("Return to applicant (Art. 5)"),
        ),
        Transition("not_consider", frozenset({S.REGISTERED}), S.NOT_CONSIDERED, _l("Do not consider (Art. 8)")),
        Transition("forward", frozenset({S.REGISTERED, S.ON_RESOLUTION}), S.FORWARDED, _l("Forward by competence")),
        Transition("resolve", frozenset({S.ON_RESOLUTION}), S.ASSIGNED, _l("Resolution")),
        Transition("accept", frozenset({S.ASSIGNED}), S.IN_WORK, _l("Accept for work")),
        Transition("draft", frozenset({S.IN_WORK}), S.ANSWER_DRAFTED, _l("Draft the answers")),
        Transition("submit", frozenset({S.ANSWER_DRAFTED}), S.ON_SIGNING, _l("Submit for signing")),
        Transition("sign", frozenset({S.ON_SIGNING}), S.SIGNED, _l("Sign")),
        Transition("rework", frozenset({S.ON_SIGNING}), S.IN_WORK, _l("Return for rework")),
        Transition("recall", frozenset({S.SIGNED}), S.IN_WORK, _l("Recall the signed answer")),
        Transition("dispatch", frozenset({S.SIGNED}), S.SENT, _l("Dispatch")),
        Transition("returned_by_center", frozenset({S.SENT}), S.IN_WORK, _l("Returned by the regional center")),
        Transition("close", frozenset({S.SENT, S.FORWARDED}), S.CLOSED, _l("Close")),
        Transition("reopen", frozenset({S.CLOSED}), S.SENT, _l("Reopen")),
        Transition("cancel", frozenset(OPEN_STATUSES), S.CANCELLED, _l("Cancel the registration")),
        Transition("paper_copy", frozenset({S.SENT}), None, _l("Mark the paper copy sent")),
        Transition("extend_term", frozenset(OPEN_STATUSES), None, _l("Extend the term")),
    )
}

# Steps that only the responsible (first) executor's body takes among executor users.
RESPONSIBLE_EXECUTOR_ACTIONS = frozenset({"accept", "draft", "submit"})


def transition_table() -> list[tuple[AppealStatus, str, AppealStatus]]:
    """(from-state, action, to-state) rows, sorted: the state machine as data."""
    rows = []
    for t in TRANSITIONS.values():
        for source in t.sources:
            rows.append((source, t.action, t.target or source))
    return sorted(rows, key=lambda r: (list(AppealStatus).index(r[0]), r[1]))


def action_label(action: str):
    return TRANSITIONS[action].label


# --- checks ------------------------------------------------------------------------------------


def responsible_assignment(appeal: Appeal) -> Assignment | None:
    """The current resolution's responsible assignment (the latest one)."""
    found = [a for a in appeal.assignments if ExecutorRole(a.executor_role) == ExecutorRole.RESPONSIBLE]
    return max(found, key=lambda a: a.id or 0) if found else None


def _permission_problem(user, appeal: Appeal, action: str):
    """Why ``user`` may not take ``action`` on ``appeal`` regardless of its state (None if they may)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return _l("Log in first.")
    if not can(user, "appeal", action):
        return _l("Your role may not do this: %(action)s.", action=action_label(action))
    if not can_see_appeal(user, appeal):
        return _l("This appeal is outside your area.")
    if Role(user.role) == Role.EXECUTOR and action in RESPONSIBLE_EXECUTOR_ACTIONS:
        main = responsible_assignment(appeal)
        if main is None or main.executor_id != user.executor_id:
            return _l("Only the responsible executor's body can do this.")
    return None


def check(user, appeal: Appeal, action: str) -> Transition:
    """Raise NotAllowed or WorkflowError unless ``user`` may take ``action`` now."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowError(_l("Unknown workflow action."))
    problem = _permission_problem(user, appeal, action)
    if problem is not None:
        raise NotAllowed(problem)
    if AppealStatus(appeal.status) not in transition.sources:
        raise WorkflowError(
            _l(
                "“%(action)s” is not possible while the appeal is “%(status)s”.",
                action=transition.label,
                status=enum_label(AppealStatus(appeal.status)),
            )
        )
    return transition


def is_allowed(user, appeal: Appeal, action: str) -> bool:
    try:
        check(user, appeal, action)
    except WorkflowError:
        return False
    return True


def available_actions(user, appeal: Appeal) -> list[str]:
    """The workflow actions ``user`` may take on ``appeal`` now, in table order (for the UI)."""
    return [action for action in TRANSITIONS if is_allowed(user, appeal, action)]


def can_attach(user, appeal: Appeal) -> bool:
    return bool(user) and can(user, "appeal", "attach") and can_see_appeal(user, appeal) and not is_sealed(appeal)


def _move(appeal: Appeal, transition: Transition, user, comment: str = "") -> StatusChange:
    old = AppealStatus(appeal.status)
    new = transition.target or old
    appeal.status = new
    change = StatusChange(
        appeal=appeal,
        from_status=old,
        to_status=new,
        at=utcnow(),
        user_id=getattr(user, "id", None),
        comment=str(comment or "").strip(),
    )
    db.session.add(change)
    notifications.on_step(appeal, transition.action, user)
    return change


def _required_text(value, message, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise WorkflowError(message, field=field)
    return text


def _registered_on(appeal: Appeal) -> date:
    """The day of receipt: every term and every date check of the workflow starts there."""
    return deadlines.receipt_date(appeal)


def _get(model, value, message):
    if value is None or value == "":
        raise WorkflowError(message)
    if isinstance(value, model):
        return value
    try:
        obj = db.session.get(model, int(value))
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise WorkflowError(message)
    return obj


# --- transitions -----------------------------------------------------------------------------------


def signers_for(appeal: Appeal) -> list[User]:
    """Active signers whose direction covers the appeal's topic."""
    if appeal.direction_id is None:
        return []
    query = (
        sa.select(User)
        .where(User.role == Role.SIGNER, User.active.is_(True), User.direction_id == appeal.direction_id)
        .order_by(User.id)
    )
    return list(db.session.execute(query).scalars())


def route(user, appeal: Appeal, *, signer=None, comment: str = "") -> StatusChange:
    """registered → on_resolution: to the signer whose direction covers the topic.

    Art. 5 is a gate: an appeal lacking a required item cannot be routed (it goes back to the
    applicant). Art. 8 is a gate too: an appeal proposed as not considered (anonymous, a repeat
    of a question answered on the merits) is routed only with the reason, kept in its history.
    """
    t = check(user, appeal, "route")
    missing = registration.completeness_problems(appeal)
    if missing:
        raise WorkflowError(
            _l(
                "The appeal lacks (Art. 5): %(items)s. Return it to the applicant with an explanation.",
                items=", ".join(str(m) for m in registration.describe_missing(missing)),
            )
        )
    art8 = registration.not_considered_reason(appeal)
    if art8 is not None and not (comment or "").strip():
        raise WorkflowError(
            _l("%(ground)s To consider it all the same, state the reason in the comment.", ground=art8),
            field="comment",
        )
    if signer is None or signer == "":
        if appeal.direction_id is None:
            raise WorkflowError(_l("The appeal's topic belongs to no direction: choose the signer."))
        candidates = signers_for(appeal)
        if not candidates:
            raise WorkflowError(_l("No active signer oversees this direction: choose the signer."))
        signer = candidates[0]
    else:
        signer = _get(User, signer, _l("Choose the signer."))
        if Role(signer.role) != Role.SIGNER or not signer.active:
            raise WorkflowError(_l("The chosen user is not an active signer."))
        if appeal.direction_id is not None and signer.direction_id not in (None, appeal.direction_id):
            raise WorkflowError(_l("The chosen signer does not oversee the appeal's direction."))
    appeal.signer = signer
    if art8 is not None:
        return _move(appeal, t, user, f"{art8} {_l('Considered all the same')}: {comment.strip()} ({signer})")
    return _move(appeal, t, user, comment or str(signer))


def return_to_applicant(user, appeal: Appeal, *, reason: str, today: date | None = None) -> StatusChange:
    """registered → returned_to_applicant: Art. 5 items lacking, within 10 days of receipt; the reason explains."""
    t = check(user, appeal, "return_to_applicant")
    deadlines.check_return(received_on=_registered_on(appeal), today=today)
    appeal.decision_reason = _required_text(reason, _l("Explain to the applicant what the appeal lacks."), "reason")
    return _move(appeal, t, user, appeal.decision_reason)


def not_consider(user, appeal: Appeal, *, reason: str) -> StatusChange:
    """registered → not_considered: an Art. 8 ground (anonymous, no substance, repeated and resolved)."""
    t = check(user, appeal, "not_consider")
    appeal.decision_reason = _required_text(reason, _l("State the Art. 8 ground for not considering it."), "reason")
    return _move(appeal, t, user, appeal.decision_reason)


def forward(
    user, appeal: Appeal, *, body: str, notified_on: date | None, comment: str = "", today: date | None = None
) -> StatusChange:
    """registered or on_resolution → forwarded: to the competent body, the applicant notified.

    Within 5 days of receipt; later only with the reason of the delay, and marked late.
    Forwarding finishes the appeal for timeliness.
    """
    t = check(user, appeal, "forward")
    body = _required_text(body, _l("State the body the appeal is forwarded to."), "body")
    late = deadlines.check_forwarding(
        registered_on=_registered_on(appeal), notified_on=notified_on, today=today, reason=comment
    )
    appeal.forwarded_to = body[:300]
    appeal.applicant_notified_on = notified_on
    # the day of the act: now, or the day given (a back-dated entry of a paper forwarding)
    appeal.forwarded_at = utcnow() if today is None else datetime.combine(today, time(12), KYIV)
    appeal.decision_reason = (comment or "").strip()
    text = f"{body}: {comment.strip()}" if (comment or "").strip() else body
    if late:
        text = f"{_l('Forwarded late')} — {text}"
    return _move(appeal, t, user, text)


def resolve(
    user,
    appeal: Appeal,
    *,
    text: str,
    executors,
    for_information=(),
    deadline: date | None = None,
    resolved_on: date | None = None,
    term_days: int | str | None = None,
    today: date | None = None,
) -> Resolution:
    """on_resolution → assigned: the resolution names executors in order; the first is responsible.

    The signer decides the term here: 30 days, or 15 when no additional study is needed
    (``term_days``; the clerk's choice at registration was only a proposal). A shorter term
    the applicant asked for stays.
    """
    t = check(user, appeal, "resolve")
    if term_days not in (None, ""):
        _set_term(appeal, term_days)
    today = today or kyiv_today()
    text = _required_text(text, _l("Write the text of the resolution."), "text")
    chosen = [_get(Executor, e, _l("Unknown executor.")) for e in (executors or []) if e not in (None, "")]
    informed = [_get(Executor, e, _l("Unknown executor.")) for e in (for_information or []) if e not in (None, "")]
    if not chosen:
        raise WorkflowError(_l("Name at least one executor; the first one is responsible."), field="executors")
    ids = [e.id for e in chosen + informed]
    if len(ids) != len(set(ids)):
        raise WorkflowError(_l("Each executor can be named only once in a resolution."), field="executors")
    inactive = [str(e) for e in chosen + informed if not e.is_active]
    if inactive:
        raise WorkflowError(_l("These executors are inactive: %(names)s.", names=", ".join(inactive)))
    resolved_on = resolved_on or today
    if resolved_on < _registered_on(appeal) or resolved_on > today:
        raise WorkflowError(
            _l("The resolution date must be between the registration date and today."), field="resolved_on"
        )
    deadline = deadline or appeal.due_date
    deadlines.check_assignment_deadline(deadline, resolved_on=resolved_on, legal_due=appeal.due_date)

    resolution = Resolution(appeal=appeal, signer_id=user.id, text=text, resolved_on=resolved_on, deadline=deadline)
    db.session.add(resolution)
    position = 0
    for index, executor in enumerate(chosen):
        position += 1
        role = ExecutorRole.RESPONSIBLE if index == 0 else ExecutorRole.CO_EXECUTOR
        db.session.add(
            Assignment(
                appeal=appeal,
                resolution=resolution,
                executor=executor,
                position=position,
                executor_role=role,
                status=AssignmentStatus.NEW,
                due_date=deadline,
            )
        )
    for executor in informed:
        position += 1
        db.session.add(
            Assignment(
                appeal=appeal,
                resolution=resolution,
                executor=executor,
                position=position,
                executor_role=ExecutorRole.FOR_INFORMATION,
                status=AssignmentStatus.NEW,
                due_date=deadline,
            )
        )
    appeal.main_executor = chosen[0]
    if appeal.signer_id is None and Role(user.role) == Role.SIGNER:
        appeal.signer_id = user.id
    _move(appeal, t, user, text)
    return resolution


def _set_term(appeal: Appeal, term_days) -> None:
    try:
        days = int(term_days)
    except (TypeError, ValueError):
        days = 0
    if days not in (deadlines.SHORT_TERM_DAYS, deadlines.DEFAULT_TERM_DAYS):
        raise WorkflowError(_l("The term is 30 days, or 15 when no additional study is needed."), field="term_days")
    if appeal.extensions:
        return  # an extended term is the head's later decision; the resolution does not undo it
    current = appeal.term_days or deadlines.DEFAULT_TERM_DAYS
    if current not in (deadlines.SHORT_TERM_DAYS, deadlines.DEFAULT_TERM_DAYS):
        days = min(days, current)  # the applicant asked for a shorter term
    appeal.term_days = days
    appeal.due_date = deadlines.due_date(_registered_on(appeal), days)


def accept(user, appeal: Appeal, *, comment: str = "") -> StatusChange:
    """assigned → in_work: the responsible executor takes the appeal."""
    t = check(user, appeal, "accept")
    main = responsible_assignment(appeal)
    if main is None:
        raise WorkflowError(_l("The appeal has no responsible executor."))
    main.status = AssignmentStatus.ACCEPTED
    main.accepted_at = utcnow()
    return _move(appeal, t, user, comment)


def _upsert_answer(appeal: Appeal, kind: AnswerKind, body: str, user, assignment) -> Answer:
    # a redraft after rework replaces the unsigned text; the audit log keeps the earlier one
    for answer in appeal.answers:
        if AnswerKind(answer.kind) == kind and answer.signed_at is None:
            answer.body, answer.drafted_by_id, answer.assignment = body, getattr(user, "id", None), assignment
            return answer
    answer = Answer(appeal=appeal, kind=kind, body=body, drafted_by_id=getattr(user, "id", None), assignment=assignment)
    db.session.add(answer)
    return answer


def draft(
    user,
    appeal: Appeal,
    *,
    to_regional_center: str,
    to_applicant: str,
    feedback_method,
    contacted_at: datetime | None,
    feedback_result: str,
    feedback_attachment=None,
) -> StatusChange:
    """in_work → answer_drafted: answers (appendices 1 and 2) and the proof of feedback."""
    t = check(user, appeal, "draft")
    center = _required_text(to_regional_center, _l("Write the answer to the regional center."), "to_regional_center")
    applicant = _required_text(to_applicant, _l("Write the answer to the applicant."), "to_applicant")
    if not feedback_method:
        raise WorkflowError(_l("State how the applicant was contacted."), field="feedback_method")
    method = FeedbackMethod(feedback_method)
    if contacted_at is None:
        raise WorkflowError(_l("State when the applicant was contacted."), field="contacted_at")
    if contacted_at.tzinfo is None:
        raise WorkflowError(_l("State when the applicant was contacted."), field="contacted_at")
    if contacted_at > utcnow() or to_kyiv(contacted_at).date() < _registered_on(appeal):
        raise WorkflowError(
            _l("The contact with the applicant must be between registration and now."), field="contacted_at"
        )
    result = _required_text(
        feedback_result, _l("State the result of the contact with the applicant."), "feedback_result"
    )
    main = responsible_assignment(appeal)
    _upsert_answer(appeal, AnswerKind.TO_REGIONAL_CENTER, center, user, main)
    _upsert_answer(appeal, AnswerKind.TO_APPLICANT, applicant, user, main)
    db.session.add(
        FeedbackProof(
            appeal=appeal, method=method, contacted_at=contacted_at, result=result, attachment=feedback_attachment
        )
    )
    if main is not None:
        main.status = AssignmentStatus.ANSWERED
        main.answered_at = utcnow()
    return _move(appeal, t, user)


def submit(user, appeal: Appeal, *, comment: str = "") -> StatusChange:
    """answer_drafted → on_signing: both answers and a proof of feedback must be there."""
    t = check(user, appeal, "submit")
    kinds = {AnswerKind(a.kind) for a in appeal.answers}
    if kinds != set(AnswerKind):
        raise WorkflowError(_l("Draft both answers (to the regional center and to the applicant) first."))
    if not appeal.feedback:
        raise WorkflowError(_l("Record the proof of feedback with the applicant first."))
    return _move(appeal, t, user, comment)


def sign(user, appeal: Appeal, *, comment: str = "") -> StatusChange:
    """on_signing → signed: the signer signs both answers."""
    t = check(user, appeal, "sign")
    now = utcnow()
    for answer in appeal.answers:
        if answer.signed_at is None:
            answer.signed_by_id, answer.signed_at = user.id, now
    return _move(appeal, t, user, comment)


def rework(user, appeal: Appeal, *, reason: str) -> StatusChange:
    """on_signing → in_work: returned for rework; the counter grows, the executor redrafts."""
    t = check(user, appeal, "rework")
    reason = _required_text(reason, _l("Explain what must be reworked."), "reason")
    _back_to_executor(appeal)
    return _move(appeal, t, user, reason)


def _back_to_executor(appeal: Appeal) -> None:
    """A return to the executor as rework: counted, the responsible assignment reopened, the term kept."""
    appeal.rework_count = (appeal.rework_count or 0) + 1
    main = responsible_assignment(appeal)
    if main is not None:
        main.status = AssignmentStatus.RETURNED
        main.answered_at = None


def recall(user, appeal: Appeal, *, reason: str) -> StatusChange:
    """signed → in_work: the signer recalls the signed answer before dispatch (rework, counted)."""
    t = check(user, appeal, "recall")
    reason = _required_text(reason, _l("Explain why the signed answer is recalled."), "reason")
    for answer in appeal.answers:
        if not answer.outgoing_number:
            answer.signed_by_id, answer.signed_at = None, None
    _back_to_executor(appeal)
    return _move(appeal, t, user, reason)


def returned_by_center(user, appeal: Appeal, *, reason: str) -> StatusChange:
    """sent → in_work: the regional center returned the answer (not on the substance): rework, counted.

    The answer that went out no longer counts as the answer: timeliness waits for the next dispatch.
    """
    t = check(user, appeal, "returned_by_center")
    reason = _required_text(reason, _l("State why the regional center returned the answer."), "reason")
    appeal.sent_at = None
    appeal.delivery_status = None
    _back_to_executor(appeal)
    return _move(appeal, t, user, reason)


def dispatch(
    user, appeal: Appeal, *, outgoing_number: str | None = None, paper_copy_sent: bool = False, comment: str = ""
) -> StatusChange:
    """signed → sent: the outgoing number, the signed scan attached; the e-mail to the regional center is queued.

    The number comes from the outgoing journal (``services.outgoing``), taken now; the screens
    never type it. A caller that carries a number made elsewhere (an import of paper records)
    passes ``outgoing_number``: it must not be on another appeal. The e-mail (the scan and both
    answers as DOCX) is sent by a job once the transaction commits (``services.dispatch``); a
    paper copy may be marked now or later (``paper_copy``).
    """
    t = check(user, appeal, "dispatch")
    if not any(AttachmentKind(a.kind) == AttachmentKind.SCAN for a in appeal.attachments):
        raise WorkflowError(_l("Attach the signed scan of the answer first."), field="file")
    if (outgoing_number or "").strip():
        number = outgoing_number.strip()  # type: ignore[union-attr]
        if len(number) > 32:
            raise WorkflowError(_l("The outgoing number is too long."), field="outgoing_number")
        if outgoing.is_used(number, appeal.id):
            raise WorkflowError(
                _l("The outgoing number %(number)s is already used.", number=number), field="outgoing_number"
            )
    else:
        number = outgoing.take_number(appeal.id)
    appeal.outgoing_number = number
    appeal.sent_at = utcnow()
    appeal.paper_copy_sent = bool(paper_copy_sent)
    appeal.paper_copy_sent_on = kyiv_today() if paper_copy_sent else None
    for answer in appeal.answers:
        if not answer.outgoing_number:
            answer.outgoing_number = number
    change = _move(appeal, t, user, comment or number)
    exchange_dispatch.prepare(appeal, user=user)
    return change


def paper_copy(user, appeal: Appeal, *, sent_on: date | None = None, comment: str = "", today=None) -> StatusChange:
    """sent: the paper copies of the answers (seed §6) went by post on ``sent_on``."""
    t = check(user, appeal, "paper_copy")
    today = today or kyiv_today()
    sent_on = sent_on or today
    sent_day = to_kyiv(appeal.sent_at).date() if appeal.sent_at else today
    if sent_on > today or sent_on < sent_day:
        raise WorkflowError(_l("The paper copy is sent between the dispatch and today."), field="sent_on")
    appeal.paper_copy_sent = True
    appeal.paper_copy_sent_on = sent_on
    return _move(appeal, t, user, f"{format_date(sent_on)} {comment or ''}".strip())


def close(user, appeal: Appeal, *, result_code=None, comment: str = "") -> StatusChange:
    """sent → closed, or forwarded → closed, with a result code."""
    t = check(user, appeal, "close")
    if result_code is None or result_code == "":
        result_code = default_result_code(appeal)
    code = _get(ResultCode, result_code, _l("Choose the result of consideration."))
    appeal.result_code = code
    appeal.closed_at = utcnow()
    return _move(appeal, t, user, comment or str(code))


def reopen(user, appeal: Appeal, *, reason: str) -> StatusChange:
    """closed → sent: the director reopens a sealed appeal with a reason (recorded, counted)."""
    t = check(user, appeal, "reopen")
    reason = _required_text(reason, _l("State the reason for reopening the appeal."), "reason")
    if appeal.sent_at is None:
        raise WorkflowError(_l("Only an appeal closed after its answer was sent can be reopened."))
    appeal.reopen_count = (appeal.reopen_count or 0) + 1
    appeal.closed_at = None
    appeal.result_code = None
    return _move(appeal, t, user, reason)


def cancel(user, appeal: Appeal, *, reason: str) -> StatusChange:
    """Any open state → cancelled: a wrong registration. It stays in the register; its number is not reused."""
    t = check(user, appeal, "cancel")
    appeal.decision_reason = _required_text(reason, _l("State the reason for cancelling the registration."), "reason")
    return _move(appeal, t, user, appeal.decision_reason)


def extend_term(
    user, appeal: Appeal, *, new_due_date: date | None, reason: str, notified_on: date | None, today: date | None = None
) -> TermExtension:
    """Any open state: the head extends the term (reason, applicant notified, ≤ 45 days in total)."""
    t = check(user, appeal, "extend_term")
    old_due = appeal.due_date
    appeal.term_days = deadlines.check_extension(
        registered_on=_registered_on(appeal),
        current_due=old_due,
        new_due=new_due_date,
        reason=reason,
        notified_on=notified_on,
        today=today,
    )
    assert new_due_date is not None  # check_extension refuses a missing date
    appeal.due_date = new_due_date
    extension = TermExtension(
        appeal=appeal,
        old_due_date=old_due,
        new_due_date=new_due_date,
        reason=reason.strip(),
        applicant_notified_on=notified_on,
        extended_by_id=user.id,
    )
    db.session.add(extension)
    # executors' deadlines that followed the legal term move with it
    for assignment in appeal.assignments:
        if assignment.due_date == old_due and AssignmentStatus(assignment.status) != AssignmentStatus.ANSWERED:
            assignment.due_date = new_due_date
    _move(appeal, t, user, f"{format_date(old_due)} → {format_date(new_due_date)}: {reason.strip()}")
    return extension


ACTIONS: dict[str, Callable[..., Any]] = {
    "route": route,
    "return_to_applicant": return_to_applicant,
    "not_consider": not_consider,
    "forward": forward,
    "resolve": resolve,
    "accept": accept,
    "draft": draft,
    "submit": submit,
    "sign": sign,
    "rework": rework,
    "recall": recall,
    "dispatch": dispatch,
    "returned_by_center": returned_by_center,
    "close": close,
    "reopen": reopen,
    "cancel": cancel,
    "extend_term": extend_term,
    "paper_copy": paper_copy,
}

# A closed or cancelled appeal is sealed: nobody edits it or attaches to it (reopen is a step).
SEALED_STATUSES = frozenset({S.CLOSED, S.CANCELLED})


def is_sealed(appeal: Appeal) -> bool:
    return appeal.status is not None and AppealStatus(appeal.status) in SEALED_STATUSES


def perform(user, appeal: Appeal, action: str, **params):
    """Take ``action`` on ``appeal`` with its inputs (the one entry point for views and the API)."""
    if action not in ACTIONS:
        raise WorkflowError(_l("Unknown workflow action."))
    return ACTIONS[action](user, appeal, **params)


# --- what a step's form offers and suggests ----------------------------------------------------------

# an extension suggested on the form: this many days past the current term (or today), within the legal limit
SUGGESTED_EXTENSION_DAYS = 15


def unreported_co_executors(appeal: Appeal) -> list[Executor]:
    """Co-executors of the current resolution that never reported (no answer recorded from them)."""
    resolution = max(appeal.resolutions, key=lambda r: r.id or 0, default=None)
    if resolution is None:
        return []
    # the resolution's assignments taken from the appeal's own (the card has them loaded; there is no
    # index to read them by resolution)
    mine = [a for a in appeal.assignments if a.resolution is resolution]
    return [
        a.executor
        for a in sorted(mine, key=lambda a: a.position)
        if ExecutorRole(a.executor_role) == ExecutorRole.CO_EXECUTOR and a.answered_at is None
    ]


def close_warning(appeal: Appeal) -> str | None:
    """What closing should warn about: co-executors who never reported (None: nothing)."""
    silent = unreported_co_executors(appeal)
    if not silent:
        return None
    return str(
        _l(
            "These co-executors never reported: %(names)s. Close the appeal all the same? "
            "Only the director can reopen it.",
            names=", ".join(str(e) for e in silent),
        )
    )


def default_result_code(appeal: Appeal) -> ResultCode | None:
    """The result an appeal closes with when none is chosen: «forwarded» for a forwarded one."""
    if AppealStatus(appeal.status) != S.FORWARDED:
        return None
    return db.session.execute(sa.select(ResultCode).filter_by(code="forwarded")).scalar_one_or_none()


def suggested_due_date(appeal: Appeal, today: date | None = None) -> date:
    """The new due date a term extension suggests: 15 more days, never past the legal maximum."""
    today = today or kyiv_today()
    latest = deadlines.latest_due_date(deadlines.receipt_date(appeal))
    return min(latest, max(appeal.due_date, today) + timedelta(days=SUGGESTED_EXTENSION_DAYS))


def default_params(action: str, appeal: Appeal, user=None, *, now: datetime | None = None) -> dict:
    """The values a step's form starts with for this appeal (the user changes them before submitting).

    Keys are the step's parameters as ``perform`` takes them; a datetime is aware (Europe/Kyiv).
    """
    now = now or datetime.now(KYIV)
    today = now.astimezone(KYIV).date()
    if action == "resolve":
        term = "15" if appeal.term_days == deadlines.SHORT_TERM_DAYS else "30"  # the registration's proposal
        return {"resolved_on": today, "deadline": appeal.due_date, "term_days": term}
    if action == "close":
        code = default_result_code(appeal)
        return {"result_code": code.id} if code is not None else {}
    if action == "forward":
        return {"notified_on": today}
    if action == "paper_copy":
        return {"sent_on": today}
    if action == "extend_term":
        return {"notified_on": today, "new_due_date": suggested_due_date(appeal, today)}
    if action == "return_to_applicant":
        missing = registration.describe_missing(registration.completeness_problems(appeal))
        if not missing:
            return {}
        reason = _l(
            'The appeal lacks (Art. 5 of the Law of Ukraine "On citizens\' appeals"): %(items)s.',
            items=", ".join(str(m) for m in missing),
        )
        return {"reason": str(reason)}
    if action == "not_consider":
        return {"reason": str(registration.not_considered_reason(appeal) or "")}
    if action == "draft":
        return {"contacted_at": now.astimezone(KYIV).replace(second=0, microsecond=0)}
    return {}


def signer_choices() -> list[tuple[str, str]]:
    """(id, label) of the active signers, for routing to a chosen one."""
    signers = db.session.execute(
        sa.select(User).where(User.role == Role.SIGNER, User.active.is_(True)).order_by(User.full_name)
    ).scalars()
    return [(str(u.id), f"{u} ({u.direction})" if u.direction else str(u)) for u in signers]


def executor_choices() -> list[tuple[str, str]]:
    """(id, name) of the active executor bodies a resolution may name."""
    rows = db.session.execute(sa.select(Executor).where(Executor.is_active.is_(True)).order_by(Executor.name))
    return [(str(e.id), e.name) for e in rows.scalars()]


def result_code_choices() -> list[tuple[str, str]]:
    """(id, name) of the results an appeal may close with."""
    codes = db.session.execute(sa.select(ResultCode).order_by(ResultCode.id)).scalars()
    return [(str(c.id), c.name) for c in codes]
