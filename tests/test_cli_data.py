"""CLI data commands: seed-demo (consistent demo data), create-user (rules), generate-data (bulk)."""

import shutil
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from portal import create_app
from portal.devdata import demo
from portal.extensions import db
from portal.i18n import kyiv_today, to_kyiv
from portal.models import (
    Answer,
    Appeal,
    Applicant,
    Assignment,
    AuditLog,
    BudgetEstimate,
    Employee,
    Executor,
    FeedbackProof,
    RegistrationCounter,
    Resolution,
    StaffPosition,
    StatusChange,
    StructuralUnit,
    User,
)
from portal.models.budget import MONTH_COLUMNS
from portal.models.enums import (
    OPEN_STATUSES,
    AnswerKind,
    AppealStatus,
    AttachmentKind,
    Channel,
    DocumentState,
    ExecutorRole,
    Fund,
    Role,
)
from tests import factories
from tests.conftest import PG_URL, _config

# generate-data writes in bulk on its own transactions and sets the connection's pragmas: it needs a real, committed database
pytestmark = pytest.mark.committed

SEED_ARGS = ["seed-demo", "--appeals", "60"]

S = AppealStatus


def _appeals() -> list[Appeal]:
    query = (
        sa.select(Appeal)
        .order_by(Appeal.id)
        .options(
            joinedload(Appeal.applicant),
            selectinload(Appeal.transitions),
            selectinload(Appeal.resolutions),
            selectinload(Appeal.assignments),
            selectinload(Appeal.answers),
            selectinload(Appeal.feedback),
            selectinload(Appeal.attachments),
            selectinload(Appeal.extensions),
        )
    )
    return list(db.session.execute(query).scalars())


def _reached(appeal: Appeal, state: AppealStatus) -> bool:
    return any(AppealStatus(t.to_status) == state for t in appeal.transitions)


def _count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()


@pytest.fixture(scope="module")
def demo_app(_template_db, redis_url, tmp_path_factory):
    """An app whose database holds demo data, seeded once for the module (these checks only read).

    On PostgreSQL the shared test database is used: every test that uses it comes before the
    first test of this module that takes the per-test ``app`` fixture (which truncates).
    """
    from tests.conftest import _truncate_all

    base = tmp_path_factory.mktemp("seeded")
    if PG_URL:
        app = create_app(_config(PG_URL, redis_url, base))
        _truncate_all(app)
    else:
        path = base / "seeded.sqlite"
        shutil.copyfile(_template_db["path"], path)
        app = create_app(_config(f"sqlite:///{path}", redis_url, base))
    result = app.test_cli_runner().invoke(args=SEED_ARGS)
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def seeded(demo_app):
    with demo_app.app_context():
        yield demo_app
        db.session.remove()


# --- seed-demo ------------------------------------------------------------------------------------


def _wrong_open_marks() -> list[tuple[int, str, bool]]:
    """(assignment, its appeal's state, its mark) of each assignment whose open mark is not its appeal's openness."""
    rows = db.session.execute(
        sa.select(Assignment.id, Appeal.status, Assignment.appeal_open).join(Appeal, Appeal.id == Assignment.appeal_id)
    ).all()
    assert rows
    return [(i, status, mark) for i, status, mark in rows if bool(mark) != (AppealStatus(status) in OPEN_STATUSES)]


def test_seed_demo_marks_the_assignments_of_open_appeals(seeded):
    assert not _wrong_open_marks()


def test_seed_demo_creates_a_user_for_every_role(seeded):
    roles = {Role(r) for r in db.session.execute(sa.select(User.role)).scalars()}
    assert roles == set(Role)


def test_seed_demo_binds_signers_to_directions_and_executors_to_their_bodies(seeded):
    users = db.session.execute(sa.select(User)).scalars().all()
    signers = [u for u in users if Role(u.role) == Role.SIGNER]
    executors = [u for u in users if Role(u.role) == Role.EXECUTOR]
    assert len(signers) >= 2 and all(u.direction_id for u in signers)
    assert len(executors) >= 2 and all(u.executor_id for u in executors)
    assert all(u.executor_id is None for u in users if Role(u.role) != Role.EXECUTOR)


def test_seed_demo_on_a_database_with_data_changes_nothing(seeded):
    before = {m.__name__: _count(m) for m in (User, Appeal, Executor, AuditLog, BudgetEstimate)}
    result = seeded.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "nothing changed" in result.output
    assert {m.__name__: _count(m) for m in (User, Appeal, Executor, AuditLog, BudgetEstimate)} == before


def test_seed_demo_is_recorded_in_the_history_as_seed_demo(seeded):
    authors = set(
        db.session.execute(
            sa.select(AuditLog.username).where(AuditLog.model.in_(["Appeal", "User", "BudgetLine"]))
        ).scalars()
    )
    assert authors == {"seed-demo"}


def test_seed_demo_puts_appeals_in_every_state(seeded):
    states = {AppealStatus(s) for s in db.session.execute(sa.select(Appeal.status)).scalars()}
    assert states == set(AppealStatus)


def test_seed_demo_history_walks_the_workflow_to_the_current_state(seeded):
    now = datetime.now(UTC)
    for appeal in _appeals():
        steps = appeal.transitions
        assert steps[0].from_status is None and AppealStatus(steps[0].to_status) == S.REGISTERED
        assert AppealStatus(steps[-1].to_status) == AppealStatus(appeal.status)
        for before, after in zip(steps, steps[1:]):
            assert after.from_status == before.to_status
            assert before.at <= after.at
        assert appeal.registered_at == steps[0].at and steps[-1].at <= now


def test_seed_demo_appeals_from_assigned_on_have_a_resolution_and_one_responsible_executor(seeded):
    for appeal in _appeals():
        if _reached(appeal, S.ASSIGNED):
            assert len(appeal.resolutions) == 1, appeal.reg_number
            responsible = [a for a in appeal.assignments if ExecutorRole(a.executor_role) == ExecutorRole.RESPONSIBLE]
            assert len(responsible) == 1 and responsible[0].position == 1
            assert appeal.main_executor_id == responsible[0].executor_id
            assert appeal.resolutions[0].deadline <= appeal.due_date
            assert appeal.signer_id == appeal.resolutions[0].signer_id
        else:
            assert not appeal.resolutions and not appeal.assignments


def test_seed_demo_appeals_from_answer_drafted_on_have_both_answers_and_feedback(seeded):
    for appeal in _appeals():
        if _reached(appeal, S.ANSWER_DRAFTED):
            assert {AnswerKind(a.kind) for a in appeal.answers} == set(AnswerKind)
            assert appeal.feedback
        else:
            assert not appeal.answers and not appeal.feedback


def test_seed_demo_signed_answers_carry_the_signer(seeded):
    for appeal in _appeals():
        signed = _reached(appeal, S.SIGNED)
        for answer in appeal.answers:
            assert (answer.signed_at is not None) == signed
            if signed:
                assert answer.signed_by_id == appeal.signer_id


def test_seed_demo_dispatched_appeals_have_outgoing_numbers_and_a_scan(seeded):
    for appeal in _appeals():
        if _reached(appeal, S.SENT):
            assert appeal.outgoing_number and appeal.sent_at
            assert all(a.outgoing_number == appeal.outgoing_number for a in appeal.answers)
            assert any(AttachmentKind(a.kind) == AttachmentKind.SCAN for a in appeal.attachments)
        else:
            assert not appeal.outgoing_number


def test_seed_demo_closed_appeals_have_a_result_and_a_closing_time(seeded):
    for appeal in _appeals():
        closed = AppealStatus(appeal.status) == S.CLOSED
        assert (appeal.result_code_id is not None) == closed
        assert (appeal.closed_at is not None) == closed
        if closed and _reached(appeal, S.FORWARDED):
            assert appeal.result_code.code == "forwarded"


def test_seed_demo_early_decisions_record_their_reason(seeded):
    for appeal in _appeals():
        status = AppealStatus(appeal.status)
        if status in (S.RETURNED_TO_APPLICANT, S.NOT_CONSIDERED):
            assert appeal.decision_reason
        if _reached(appeal, S.FORWARDED):
            assert appeal.forwarded_to and appeal.applicant_notified_on


def test_seed_demo_due_dates_run_from_the_registration_date(seeded):
    for appeal in _appeals():
        registered_on = to_kyiv(appeal.registered_at).date()
        assert appeal.due_date == registered_on + timedelta(days=appeal.term_days)
        assert appeal.term_days in (15, 30, 45)
        assert (appeal.term_days == 45) == bool(appeal.extensions)


def test_seed_demo_has_overdue_near_due_privileged_1545_and_repeated_appeals(seeded):
    today = kyiv_today()
    appeals = _appeals()
    open_ = [a for a in appeals if AppealStatus(a.status) in OPEN_STATUSES]
    assert any(a.due_date < today for a in open_)
    assert any(0 <= (a.due_date - today).days <= 3 for a in open_)
    assert any(a.is_privileged and a.applicant.privilege_category_id for a in appeals)
    ukc = [a for a in appeals if Channel(a.channel) == Channel.GOVERNMENT]
    assert len(ukc) > len(appeals) / 3 and all(a.ukc_number for a in ukc)
    repeats = [a for a in appeals if a.repeat_of_id]
    assert repeats
    for appeal in repeats:
        assert appeal.repeat_of.applicant_id == appeal.applicant_id
        assert appeal.repeat_of.topic_id == appeal.topic_id
        assert appeal.repeat_of.registered_at < appeal.registered_at


def test_seed_demo_registration_counter_continues_after_the_demo_numbers(seeded):
    last = defaultdict(int)
    for appeal in _appeals():
        year = to_kyiv(appeal.registered_at).year
        last[year] = max(last[year], appeal.reg_seq)
        assert appeal.reg_number.endswith(f"-{appeal.reg_seq:06d}/{year % 100:02d}")
    counters = dict(db.session.execute(sa.select(RegistrationCounter.year, RegistrationCounter.last_number)).all())
    assert counters == dict(last)


def test_seed_demo_budget_is_approved_and_its_months_add_up(seeded):
    estimate = db.session.execute(sa.select(BudgetEstimate).filter_by(fund=Fund.GENERAL)).scalar_one()
    assert DocumentState(estimate.state) == DocumentState.APPROVED and estimate.approved_by_id
    assert estimate.year == kyiv_today().year
    assert len(estimate.lines) >= 8
    for line in estimate.lines:
        assert sum(getattr(line, c) for c in MONTH_COLUMNS) == line.annual_amount


def test_seed_demo_expenditures_stay_within_the_cumulative_plan(seeded):
    estimate = db.session.execute(sa.select(BudgetEstimate).filter_by(fund=Fund.GENERAL)).scalar_one()
    spent_any = False
    for line in estimate.lines:
        plan = line.month_plan()
        spent = [Decimal("0")] * 12
        for expenditure in line.expenditures:
            spent[expenditure.spent_on.month - 1] += expenditure.amount
            assert expenditure.spent_on <= kyiv_today()
            spent_any = True
        for month in range(12):
            assert sum(spent[: month + 1]) <= sum(plan[: month + 1])
    assert spent_any


def test_seed_demo_staff_pay_fund_fits_the_salary_line(seeded):
    estimate = db.session.execute(sa.select(BudgetEstimate).filter_by(fund=Fund.GENERAL)).scalar_one()
    salaries = next(line for line in estimate.lines if line.kekv.code == "2111")
    positions = db.session.execute(sa.select(StaffPosition)).scalars().all()
    assert sum(p.annual_fund for p in positions) <= salaries.annual_amount


def test_seed_demo_staff_are_appointed_by_orders_and_some_posts_are_vacant(seeded):
    employees = db.session.execute(sa.select(Employee)).scalars().all()
    assert all(e.appointment_order is not None and e.appointment_order.employee_id == e.id for e in employees)
    assert any(e.dismissed_on and e.dismissal_order for e in employees)
    vacant = [
        p
        for p in db.session.execute(sa.select(StaffPosition)).scalars()
        if sum(1 for e in p.employees if e.dismissed_on is None) < p.posts
    ]
    assert vacant


def test_seed_demo_units_form_a_tree_with_heads_and_approved_regulations(seeded):
    units = db.session.execute(sa.select(StructuralUnit)).scalars().all()
    assert any(u.parent_id for u in units)
    for unit in units:
        assert unit.head is not None and unit.regulation_order is not None and unit.regulation


def test_seed_demo_executor_bodies_have_contacts_and_topics(seeded):
    executors = db.session.execute(sa.select(Executor)).scalars().all()
    assert len(executors) >= 20
    assert all(e.contacts and e.topics for e in executors)


# (tests below use the per-test database; on PostgreSQL they must follow every ``seeded`` test)


@pytest.mark.skipif(bool(PG_URL), reason="needs two databases")
def test_seed_demo_is_deterministic_for_a_seed(_template_db, redis_url, tmp_path):
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    fingerprints = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.sqlite"
        shutil.copyfile(_template_db["path"], path)
        other = create_app(_config(f"sqlite:///{path}", redis_url, tmp_path / name))
        with other.app_context():
            demo.seed_demo(seed=7, appeals=30, now=moment)
            fingerprints.append(
                (
                    db.session.execute(
                        sa.select(
                            Appeal.reg_number,
                            Appeal.registered_at,
                            Appeal.status,
                            Appeal.summary,
                            Appeal.content,
                            Appeal.due_date,
                        ).order_by(Appeal.id)
                    ).all(),
                    db.session.execute(sa.select(User.username, User.full_name).order_by(User.id)).all(),
                    db.session.execute(
                        sa.select(StatusChange.to_status, StatusChange.at).order_by(StatusChange.id)
                    ).all(),
                )
            )
            db.session.remove()
            db.engine.dispose()
    assert fingerprints[0] == fingerprints[1]


def test_seed_demo_prints_the_accounts_and_their_one_password_works(runner):
    result = runner.invoke(args=["seed-demo", "--appeals", "24"])
    assert result.exit_code == 0, result.output
    users = db.session.execute(sa.select(User)).scalars().all()
    assert demo.DEMO_PASSWORD in result.output
    for user in users:
        assert user.username in result.output
        assert user.check_password(demo.DEMO_PASSWORD)


def test_demo_password_satisfies_the_password_policy(app):
    from portal.services.accounts import password_problems

    for username in ("director", "admin", "clerk1"):
        assert password_problems(demo.DEMO_PASSWORD, username) == []


# --- create-user ----------------------------------------------------------------------------------


def test_create_user_rejects_a_weak_password(runner):
    result = runner.invoke(args=["create-user", "ivan", "--role", "clerk", "--password", "short"])
    assert result.exit_code != 0
    assert "10" in result.output
    assert db.session.execute(sa.select(User).filter_by(username="ivan")).first() is None


def test_create_user_rejects_an_executor_without_an_executor_body(runner):
    result = runner.invoke(args=["create-user", "ivan", "--role", "executor", "--password", "Kharkiv2026ab"])
    assert result.exit_code != 0
    assert db.session.execute(sa.select(User).filter_by(username="ivan")).first() is None


def test_create_user_binds_an_executor_to_its_body(runner):
    executor = factories.make_executor()
    db.session.commit()
    result = runner.invoke(
        args=[
            "create-user",
            "ivan",
            "--role",
            "executor",
            "--password",
            "Kharkiv2026ab",
            "--executor",
            str(executor.id),
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(sa.select(User).filter_by(username="ivan")).scalar_one()
    assert user.executor_id == executor.id


# --- generate-data --------------------------------------------------------------------------------


def _fingerprint(first_id: int, last_id: int) -> list:
    """What a run wrote, without ids and numbers (which continue from the database)."""
    in_run = Appeal.id.between(first_id, last_id)
    rows = [
        db.session.execute(
            sa.select(
                Appeal.registered_at,
                Appeal.status,
                Appeal.channel,
                Appeal.appeal_type,
                Appeal.topic_id,
                Appeal.summary,
                Appeal.content,
                Appeal.due_date,
                Appeal.closed_at,
                Appeal.result_code_id,
                Applicant.full_name,
            )
            .outerjoin(Applicant, Appeal.applicant_id == Applicant.id)
            .where(in_run)
            .order_by(Appeal.id)
        ).all()
    ]
    for model, columns in (
        (Assignment, ("executor_id", "executor_role", "status", "accepted_at")),
        (Answer, ("kind", "signed_at")),
        (StatusChange, ("from_status", "to_status", "at")),
    ):
        query = (
            sa.select(Appeal.id - first_id, *(getattr(model, c) for c in columns))
            .join(model, model.appeal_id == Appeal.id)
            .where(in_run)
            .order_by(model.id)
        )
        rows.append(db.session.execute(query).all())
    return rows


def test_generate_data_is_deterministic_for_a_seed(runner):
    first = runner.invoke(args=["generate-data", "--appeals", "2000", "--seed", "1"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["generate-data", "--appeals", "2000", "--seed", "1"])
    assert second.exit_code == 0, second.output
    ids = list(db.session.execute(sa.select(Appeal.id).order_by(Appeal.id)).scalars())
    assert len(ids) == 4000
    assert _fingerprint(ids[0], ids[1999]) == _fingerprint(ids[2000], ids[3999])


def _generated_rows() -> dict:
    """Every row of the tables generate-data fills, as stored, and what a search by surname finds."""
    from portal.devdata.generate import TABLES
    from portal.services import search

    found = {}
    for name in TABLES:
        table = db.metadata.tables[name]
        key = table.c.appeal_id if name == "appeal_search" else table.c.id
        found[name] = [tuple(row) for row in db.session.execute(sa.select(table).order_by(key))]
    names = db.session.execute(sa.select(Applicant.full_name).order_by(Applicant.id).limit(3)).scalars()
    dialect = db.session.get_bind().dialect.name
    found["search"] = [sorted(db.session.execute(search.matching_ids(n.split()[0], dialect)).scalars()) for n in names]
    if dialect == "sqlite":  # the full-text index itself, as FTS5 stores it
        from portal.devdata.generate import fts_shadow_tables

        shadows = fts_shadow_tables(db.session.connection().connection.dbapi_connection, "main")
        assert {"appeal_fts_data", "appeal_fts_idx", "appeal_fts_config"} <= set(shadows)
        for shadow in shadows:
            found[f"fts {shadow}"] = db.session.execute(sa.text(f"SELECT * FROM {shadow} ORDER BY 1, 2")).all()
    return found


def test_generate_data_gives_the_same_rows_for_a_seed_whatever_the_processes_and_batch(
    app, runner, monkeypatch, _template_db, redis_url, tmp_path
):
    """Two runs on the same database state: every row of every table equal, ids included."""
    from portal.devdata import generate
    from tests.conftest import _truncate_all

    count = 2 * generate.CHUNK + 500  # three chunks: two streams in two builder processes
    result = runner.invoke(args=["generate-data", "--appeals", str(count), "--seed", "7", "--batch", "1000"])
    assert result.exit_code == 0, result.output
    first = _generated_rows()
    assert len(first["appeal"]) == count and len(first["status_change"]) > 5 * count
    db.session.remove()

    monkeypatch.setattr(generate, "BUILDERS", 1)
    # SQLite: the full-text index made by the writer chunk by chunk, not by the indexer beside it
    monkeypatch.setattr(generate._SearchIndexer, "start", classmethod(lambda cls, connection: None))
    if PG_URL:
        _truncate_all(app)
        again = app
    else:
        path = tmp_path / "again.sqlite"
        shutil.copyfile(_template_db["path"], path)
        again = create_app(_config(f"sqlite:///{path}", redis_url, tmp_path))
    with again.app_context():
        result = again.test_cli_runner().invoke(args=["generate-data", "--appeals", str(count), "--seed", "7"])
        assert result.exit_code == 0, result.output
        second = _generated_rows()
        db.session.remove()
        if again is not app:
            db.engine.dispose()
    assert second == first


def test_generate_data_writes_one_audit_entry_for_the_run(runner):
    factories.make_executor()
    factories.make_user(role=Role.SIGNER)
    db.session.commit()
    before = _count(AuditLog)
    result = runner.invoke(args=["generate-data", "--appeals", "2000", "--seed", "1"])
    assert result.exit_code == 0, result.output
    entries = db.session.execute(sa.select(AuditLog).order_by(AuditLog.id)).scalars().all()
    assert len(entries) == before + 1
    assert entries[-1].detail == "generate-data: 2000 appeals, seed 1"
    assert entries[-1].model == "Appeal" and entries[-1].username == "generate-data"


def test_generate_data_covers_every_state_with_consistent_relations(runner):
    result = runner.invoke(args=["generate-data", "--appeals", "600", "--seed", "3"])
    assert result.exit_code == 0, result.output
    appeals = _appeals()
    assert {AppealStatus(a.status) for a in appeals} == set(AppealStatus)
    for appeal in appeals:
        status = AppealStatus(appeal.status)
        assert AppealStatus(appeal.transitions[-1].to_status) == status
        assert (len(appeal.resolutions) == 1) == _reached(appeal, S.ASSIGNED)
        if _reached(appeal, S.ANSWER_DRAFTED):
            assert {AnswerKind(a.kind) for a in appeal.answers} == set(AnswerKind) and appeal.feedback
        assert bool(appeal.outgoing_number) == _reached(appeal, S.SENT)
        assert (appeal.result_code_id is not None) == (status == S.CLOSED)


@pytest.mark.parametrize("existing", [False, True], ids=["empty register", "added to appeals"])
def test_generate_data_marks_the_assignments_of_open_appeals(runner, existing):
    if existing:  # not a bulk load into an empty register: the writer of a register with appeals
        factories.make_appeal()
        db.session.commit()
    result = runner.invoke(args=["generate-data", "--appeals", "600", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert not _wrong_open_marks()
    opened = db.session.execute(sa.select(sa.func.count()).where(Assignment.appeal_open.is_(True))).scalar_one()
    assert opened > 0  # some are open, and the check above read both kinds


def test_generate_data_spreads_appeals_over_five_years(runner):
    result = runner.invoke(args=["generate-data", "--appeals", "300", "--seed", "1"])
    assert result.exit_code == 0, result.output
    years = {to_kyiv(r).year for r in db.session.execute(sa.select(Appeal.registered_at)).scalars()}
    assert len(years) >= 5


def _index_structures() -> set[tuple[str, str]]:
    """(table, index or trigger) of the tables generate-data fills."""
    from portal.devdata.generate import TABLES

    inspector = sa.inspect(db.session.connection())
    found = {(t, i["name"]) for t in TABLES for i in inspector.get_indexes(t)}
    if db.session.get_bind().dialect.name == "sqlite":
        found |= set(
            db.session.execute(sa.text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")).all()
        )
    return found


def test_a_bulk_run_builds_every_index_and_the_search_index_again(runner):
    from portal.services import search

    before = _index_structures()
    db.session.commit()
    result = runner.invoke(args=["generate-data", "--appeals", "400", "--seed", "5"])  # an empty register: bulk
    assert result.exit_code == 0, result.output
    assert _index_structures() == before
    appeal = db.session.execute(
        sa.select(Appeal).join(Applicant).where(Appeal.subject == "individual").order_by(Appeal.id.desc()).limit(1)
    ).scalar_one()
    surname = appeal.applicant.full_name.split()[0]
    dialect = db.session.get_bind().dialect.name
    for term in (surname, appeal.reg_number):
        found = set(db.session.execute(search.matching_ids(term, dialect)).scalars())
        assert appeal.id in found, term
    if dialect == "sqlite":  # the index built beside the writer and taken in agrees with its content table
        db.session.execute(sa.text("INSERT INTO appeal_fts(appeal_fts) VALUES ('integrity-check')"))
        db.session.commit()
    # and the triggers are back: an edited applicant is found by the new name at once
    appeal.applicant.full_name = "Ґудзь Олеся Петрівна"
    db.session.commit()
    assert set(db.session.execute(search.matching_ids("Ґудзь", dialect)).scalars()) == {appeal.id}


def test_a_failed_bulk_run_leaves_the_database_as_it_was(runner, monkeypatch):
    """A row builder that fails in its second chunk: nothing written, indexes and settings back."""
    from portal.devdata import generate

    before = _index_structures()
    db.session.commit()
    build = generate._Generator.appeal
    calls = {"n": 0}

    def failing(self, *args):
        calls["n"] += 1
        if calls["n"] > generate.CHUNK + 10:
            raise ValueError("broken on purpose")
        return build(self, *args)

    monkeypatch.setattr(generate._Generator, "appeal", failing)
    monkeypatch.setattr(generate, "BUILDERS", 1)
    result = runner.invoke(args=["generate-data", "--appeals", str(3 * generate.CHUNK), "--seed", "2"])
    assert result.exit_code != 0
    assert "broken on purpose" in str(result.exception)
    db.session.remove()
    assert _count(Appeal) == 0 and _count(StatusChange) == 0
    assert _index_structures() == before
    if db.session.get_bind().dialect.name == "sqlite":
        raw = db.session.connection().connection.dbapi_connection
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA ignore_check_constraints").fetchone()[0] == 0
        assert db.session.execute(sa.text("SELECT count(*) FROM appeal_fts")).scalar() == 0


def test_rows_can_be_added_normally_after_generate_data(runner):
    result = runner.invoke(args=["generate-data", "--appeals", "200", "--seed", "1"])
    assert result.exit_code == 0, result.output
    models = (Applicant, Appeal, Resolution, Assignment, Answer, FeedbackProof, StatusChange)
    before = {m: _count(m) for m in models}
    appeal = factories.make_appeal()  # and its applicant
    signer = db.session.execute(sa.select(User).filter_by(role=Role.SIGNER)).scalars().first()
    resolution = Resolution(
        appeal=appeal, signer_id=signer.id, text="Розглянути", resolved_on=kyiv_today(), deadline=appeal.due_date
    )
    db.session.add_all(
        [
            resolution,
            StatusChange(appeal=appeal, from_status=None, to_status=S.REGISTERED),
            FeedbackProof(appeal=appeal, method="phone", contacted_at=datetime.now(UTC), result="ok"),
            Answer(appeal=appeal, kind=AnswerKind.TO_APPLICANT, body="Відповідь"),
        ]
    )
    factories.make_assignment(appeal, resolution=resolution)
    db.session.commit()
    assert {m: _count(m) for m in models} == {m: n + 1 for m, n in before.items()}


def test_generated_search_documents_are_what_search_makes_of_the_rows(runner):
    """The builders make each appeal's search document as they make its rows: the same as from the stored rows."""
    from portal.services import search

    result = runner.invoke(args=["generate-data", "--appeals", "1500", "--seed", "4"])
    assert result.exit_code == 0, result.output
    stored = dict(db.session.execute(sa.text("SELECT appeal_id, terms FROM appeal_search")).all())
    rows = db.session.execute(search.documents_query()).all()
    assert len(rows) == len(stored) == 1500
    assert {row.id: search.document_of_row(row) for row in rows} == stored
