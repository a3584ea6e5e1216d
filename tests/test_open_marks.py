"""Every assignment says whether its appeal is open, through every step of the workflow and every way rows are made.

An executor's home page and work lists trust the mark (``open_marks``): read over open
appeals only, the body's scope is its open assignments. A mark left behind would hide an
open appeal from its executor, or show a finished one. The marks are read back from the
database, not from the objects in the session.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Appeal, Assignment, Attachment
from portal.models.enums import OPEN_STATUSES, AppealStatus, AttachmentKind, ExecutorRole, Role
from portal.services import open_marks, repeats, workflow
from tests.factories import make_appeal, make_assignment, make_executor
from tests.test_workflow import EXPECTED_TABLE, World, params_for

S = AppealStatus


@pytest.fixture
def world(app):
    with app.test_request_context():
        yield World()


def stored_marks(appeal: Appeal) -> list[tuple[bool, AppealStatus]]:
    """(mark, the appeal's state) of each of the appeal's assignments, as stored."""
    db.session.flush()
    rows = db.session.execute(
        sa.select(Assignment.appeal_open, Appeal.status)
        .join(Appeal, Appeal.id == Assignment.appeal_id)
        .where(Assignment.appeal_id == appeal.id)
        .order_by(Assignment.id)
        .execution_options(populate_existing=True)
    )
    return [(bool(mark), AppealStatus(status)) for mark, status in rows]


def assert_marked(appeal: Appeal, expected_rows: int | None = None) -> None:
    marks = stored_marks(appeal)
    assert marks, "the appeal has no assignment: nothing was checked"
    if expected_rows is not None:
        assert len(marks) == expected_rows
    for mark, status in marks:
        assert mark == (status in OPEN_STATUSES), (status, marks)


def test_is_open_is_the_open_states():
    assert {s for s in AppealStatus if open_marks.is_open(s)} == set(OPEN_STATUSES)
    assert open_marks.is_open("in_work") and not open_marks.is_open("sent") and not open_marks.is_open(None)


@pytest.mark.parametrize("source, action", sorted(EXPECTED_TABLE, key=lambda k: (list(S).index(k[0]), k[1])))
def test_every_step_of_the_workflow_leaves_the_marks_right(world, source, action):
    appeal = world.appeal(source)
    # every appeal has an informed body besides (a registered one too: a duplicate joins its executors)
    make_assignment(appeal, make_executor(), executor_role=ExecutorRole.FOR_INFORMATION, position=9)
    assert_marked(appeal)
    workflow.perform(world.users[Role.DIRECTOR], appeal, action, **params_for(action, world, appeal))
    assert appeal.status == EXPECTED_TABLE[(source, action)]
    assert_marked(appeal)


def test_the_whole_way_with_reworks_and_returns(world):
    """Create, assign, answer, rework, sign, recall, send, returned by the center, send, close, reopen."""
    appeal = world.appeal(S.REGISTERED)
    director = world.users[Role.DIRECTOR]
    seen = []

    def step(action):
        if action == "dispatch":  # the signed answer's scan
            key = f"test/marks/{len(seen)}"
            db.session.add(
                Attachment(appeal=appeal, kind=AttachmentKind.SCAN, filename="s.pdf", storage_key=key, size=1)
            )
        workflow.perform(director, appeal, action, **params_for(action, world, appeal))
        if appeal.assignments:
            assert_marked(appeal)
            seen.append((AppealStatus(appeal.status), stored_marks(appeal)[0][0]))

    for action in ("route", "resolve", "accept", "draft", "submit", "rework", "draft", "submit", "sign", "recall"):
        step(action)
    for action in ("draft", "submit", "sign", "dispatch", "returned_by_center", "draft", "submit", "sign"):
        step(action)
    for action in ("dispatch", "close", "reopen", "close"):
        step(action)
    assert len(stored_marks(appeal)) == 2  # the resolution's two executors
    # the marks went both ways: closed by the dispatch, opened by the center's return
    assert (S.SENT, False) in seen and (S.IN_WORK, True) in seen and seen[-1] == (S.CLOSED, False)


@pytest.mark.parametrize("source", [s for s in S if s in OPEN_STATUSES])
def test_a_cancelled_appeal_is_no_longer_open_for_its_executors(world, source):
    appeal = world.appeal(source)
    make_assignment(appeal, world.other_body, executor_role=ExecutorRole.CO_EXECUTOR, position=2)
    assert [mark for mark, _ in stored_marks(appeal)] == [True] * len(appeal.assignments)
    workflow.cancel(world.users[Role.DIRECTOR], appeal, reason="Помилково зареєстровано")
    assert [mark for mark, _ in stored_marks(appeal)] == [False] * len(appeal.assignments)


def test_a_new_assignment_takes_its_appeals_state(app):
    open_appeal, sent = make_appeal(status=S.IN_WORK), make_appeal(status=S.SENT)
    body = make_executor()
    make_assignment(open_appeal, body)
    db.session.add(Assignment(appeal_id=sent.id, executor_id=body.id, position=1, due_date=sent.due_date))
    assert stored_marks(open_appeal)[0][0] is True
    assert stored_marks(sent)[0][0] is False


def test_a_state_set_outside_the_workflow_moves_the_marks_too(app):
    """The demo data and scripts set ``status`` directly: the flush marks the assignments all the same."""
    appeal = make_appeal(status=S.IN_WORK)
    make_assignment(appeal, make_executor())
    make_assignment(appeal, make_executor(), executor_role=ExecutorRole.CO_EXECUTOR, position=2)
    db.session.commit()
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)  # its assignments not loaded
    appeal.status = S.CLOSED
    assert [mark for mark, _ in stored_marks(appeal)] == [False, False]
    appeal.status = S.SIGNED
    assert [mark for mark, _ in stored_marks(appeal)] == [True, True]


def test_a_duplicate_joins_the_executors_of_the_open_appeal_marked_open(app):
    earlier = make_appeal(status=S.IN_WORK)
    make_assignment(earlier, make_executor())
    make_assignment(earlier, make_executor(), executor_role=ExecutorRole.CO_EXECUTOR, position=2)
    duplicate = make_appeal(status=S.REGISTERED)
    repeats.join(duplicate, earlier)
    assert_marked(duplicate, expected_rows=2)
    assert all(mark for mark, _ in stored_marks(duplicate))


def test_an_executors_scope_over_open_appeals_is_the_same_in_every_phrasing(app):
    """Over open appeals, the body's open assignments give exactly the appeals of its whole scope."""
    from portal.services import deadlines, scope
    from tests.factories import make_user

    body, other = make_executor(), make_executor()
    expected = set()
    for i, status in enumerate(list(S) * 2):
        appeal = make_appeal(status=status)
        if i % 3:  # responsible, or informed; some twice (a duplicate's executors), some of another body only
            make_assignment(
                appeal, body, executor_role=ExecutorRole.RESPONSIBLE if i % 2 else ExecutorRole.FOR_INFORMATION
            )
            if i % 5 == 0:
                make_assignment(appeal, body, executor_role=ExecutorRole.CO_EXECUTOR, position=2)
            expected |= {appeal.id} if status in OPEN_STATUSES else set()
        else:
            make_assignment(appeal, other)
    user = make_user(Role.EXECUTOR, executor=body)
    db.session.flush()
    open_ids = sa.select(Appeal.id).where(deadlines.open_clause())

    def ids(**phrasing) -> list[int]:
        return sorted(db.session.execute(scope.scope_appeals(open_ids, user, **phrasing)).scalars())

    joined = open_ids.join(body_open := scope.open_assignments(user), body_open.c.appeal_id == Appeal.id)
    assert expected and ids() == sorted(expected)
    assert ids(open_only=True) == ids(open_only=True, probe=True) == ids(counting=True) == sorted(expected)
    assert list(db.session.execute(joined.order_by(Appeal.id)).scalars()) == sorted(expected)  # each once
    assert scope.open_assignments(make_user(Role.DIRECTOR)) is None


def test_the_mark_follows_the_appeal_without_audit_entries_of_its_own(world):
    """The appeal's change of state is on the record; its assignments' marks moving with it are not business changes."""
    from portal.models import AuditLog
    from portal.services import audit

    appeal = world.appeal(S.IN_WORK)
    db.session.commit()
    with audit.acting_as(audit.Actor(None, "director", "director", "")):
        workflow.cancel(world.users[Role.DIRECTOR], appeal, reason="Помилково зареєстровано")
        db.session.commit()
    assert [mark for mark, _ in stored_marks(appeal)] == [False]
    models = set(db.session.execute(sa.select(AuditLog.model).where(AuditLog.action == "update")).scalars())
    assert "Appeal" in models and "Assignment" not in models
