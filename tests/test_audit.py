"""The audit trail (DESIGN §5): every change of every business record, in the same transaction,
with field-level diffs; bulk statements cannot bypass it; the log itself cannot be changed."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from portal.extensions import db
from portal.models import (
    AmendmentLine,
    Answer,
    Appeal,
    AppealIssue,
    Applicant,
    Attachment,
    AuditLog,
    BudgetAmendment,
    CalendarDay,
    CalendarSetting,
    ExecutorContact,
    FeedbackProof,
    Kekv,
    PrivilegeCategory,
    Resolution,
    ResultCode,
    SocialStatus,
    StatusChange,
    TermExtension,
)
from portal.models.enums import (
    AnswerKind,
    AppealStatus,
    AssignmentStatus,
    AuditAction,
    FeedbackMethod,
    Role,
)
from portal.models.exchange import DeliveryAttempt, DocumentTemplate, IntakeMessage, IntakeSource, OutgoingMail
from portal.models.records import AnonymisationProposal
from portal.services import audit, history, pii
from tests import factories as f

_seq = itertools.count(1)
TODAY = date(2026, 11, 20)


def entries(model: str | None = None, record_id=None, action: AuditAction | None = None) -> list[AuditLog]:
    """The entries, as readers see them (an applicant's sealed values revealed: see portal.services.pii)."""
    query = sa.select(AuditLog).order_by(AuditLog.id)
    if model:
        query = query.where(AuditLog.model == model)
    if record_id is not None:
        query = query.where(AuditLog.record_id == str(record_id))
    if action:
        query = query.where(AuditLog.action == action)
    found = db.session.execute(query).scalars().all()
    for entry in found:
        db.session.expunge(entry)  # revealed values must never be flushed back (the log refuses it anyway)
        entry.changes = pii.reveal_json(entry.changes)
        entry.record_label = pii.reveal(entry.record_label)
    return found


def last_id() -> int:
    return db.session.execute(sa.select(sa.func.max(AuditLog.id))).scalar() or 0


def stored_label(obj) -> str:
    with force_locale("uk"):
        return audit.label_of(obj)


# --- one builder per audited model: (build, field to edit, new value) -------------------------


def _n() -> int:
    return next(_seq)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def _estimate():
    return f.make_estimate(year=2040 + _n())


BUILDERS = {
    "Applicant": (f.make_applicant, "phone", "+380501112233"),
    "Appeal": (f.make_appeal, "summary", "Ремонт даху"),
    "AppealIssue": (
        lambda: _add(AppealIssue(appeal=f.make_appeal(), topic=f.make_topic(), text="Опалення")),
        "text",
        "Гаряча вода",
    ),
    "Resolution": (
        lambda: _add(
            Resolution(
                appeal=f.make_appeal(),
                signer=f.make_user(Role.SIGNER),
                text="Розглянути",
                resolved_on=TODAY,
                deadline=TODAY + timedelta(days=10),
            )
        ),
        "text",
        "Розглянути терміново",
    ),
    "Assignment": (lambda: f.make_assignment(f.make_appeal()), "status", AssignmentStatus.ACCEPTED),
    "Answer": (
        lambda: _add(Answer(appeal=f.make_appeal(), kind=AnswerKind.TO_APPLICANT, body="Відповідь")),
        "body",
        "Уточнена відповідь",
    ),
    "Attachment": (
        lambda: _add(Attachment(appeal=f.make_appeal(), filename="лист.pdf", storage_key=f"test/{_n()}.pdf")),
        "filename",
        "лист-2.pdf",
    ),
    "FeedbackProof": (
        lambda: _add(
            FeedbackProof(
                appeal=f.make_appeal(),
                method=FeedbackMethod.PHONE,
                contacted_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
                result="Заявник задоволений",
            )
        ),
        "result",
        "Заявник не відповів",
    ),
    "TermExtension": (
        lambda: _add(
            TermExtension(
                appeal=f.make_appeal(),
                old_due_date=TODAY,
                new_due_date=TODAY + timedelta(days=15),
                reason="Потрібна перевірка",
                applicant_notified_on=TODAY,
            )
        ),
        "reason",
        "Потрібне обстеження",
    ),
    "StatusChange": (
        lambda: _add(StatusChange(appeal=f.make_appeal(), from_status=None, to_status=AppealStatus.REGISTERED)),
        "comment",
        "Зареєстровано вручну",
    ),
    "Executor": (f.make_executor, "head_name", "Коваль О. П."),
    "ExecutorContact": (
        lambda: _add(ExecutorContact(executor=f.make_executor(), full_name="Мельник Ганна")),
        "phone",
        "+380671234567",
    ),
    "StructuralUnit": (f.make_unit, "name", "Відділ звернень"),
    "StaffPosition": (f.make_position, "salary", Decimal("15000.00")),
    "Employee": (f.make_employee, "phone", "+380931112233"),
    "Order": (f.make_order, "title", "Про призначення"),
    "BudgetEstimate": (_estimate, "note", "Уточнено"),
    "BudgetLine": (lambda: f.make_line(_estimate()), "m01", Decimal("1500.00")),
    "BudgetAmendment": (
        lambda: _add(BudgetAmendment(estimate=_estimate(), number=f"Д-{_n()}", dated=TODAY, reason="Перерозподіл")),
        "reason",
        "Перерозподіл коштів",
    ),
    "AmendmentLine": (
        lambda: _add(
            AmendmentLine(
                amendment=_add(
                    BudgetAmendment(estimate=(e := _estimate()), number=f"Д-{_n()}", dated=TODAY, reason="Зміни")
                ),
                line=f.make_line(e),
                month=3,
                delta=Decimal("100.00"),
            )
        ),
        "delta",
        Decimal("-50.00"),
    ),
    "Expenditure": (lambda: f.make_expenditure(f.make_line(_estimate())), "description", "Картриджі"),
    "User": (f.make_user, "full_name", "Шевченко Тарас"),
    "Direction": (f.make_direction, "signer_title", "Секретар ради"),
    "Topic": (f.make_topic, "name", "Благоустрій"),
    "SocialStatus": (lambda: _add(SocialStatus(code=f"S{_n()}", name="Пенсіонер")), "name", "Студент"),
    "PrivilegeCategory": (
        lambda: _add(PrivilegeCategory(code=f"P{_n()}", name="Ветеран праці")),
        "name",
        "Ветеран війни",
    ),
    "ResultCode": (lambda: _add(ResultCode(code=f"R{_n()}", name="Роз'яснено")), "name", "Вирішено позитивно"),
    "Kekv": (lambda: _add(Kekv(code=f"9{_n():03d}", name="Інші видатки")), "name", "Інші поточні видатки"),
    "CalendarDay": (
        lambda: _add(CalendarDay(day=date(2030, 1, 1) + timedelta(days=_n()), name="Свято")),
        "name",
        "Новий рік",
    ),
    "CalendarSetting": (lambda: _add(CalendarSetting(public_holidays_off=True)), "public_holidays_off", False),
    "AnonymisationProposal": (
        lambda: _add(AnonymisationProposal(cutoff=TODAY, applicant_ids=[1, 2], appeal_count=2)),
        "message",
        "Відхилено",
    ),
    "IntakeMessage": (
        lambda: _add(IntakeMessage(source=IntakeSource.MAILBOX, subject="Звернення УКЦ", data={"summary": "x"})),
        "reason",
        "Відкладено",
    ),
    "OutgoingMail": (lambda: _outgoing_mail(), "reply", "250 Ok"),
    "DeliveryAttempt": (lambda: _add(DeliveryAttempt(mail=_outgoing_mail(), reply="421 busy")), "reply", "250 Ok"),
    "DocumentTemplate": (
        lambda: _add(
            DocumentTemplate(
                kind=AnswerKind.TO_APPLICANT, version=_n(), filename="t.docx", storage_key=f"t-{_n()}.docx"
            )
        ),  # fmt: skip
        "filename",
        "новий.docx",
    ),
}


def _outgoing_mail():
    n = _n()
    return _add(OutgoingMail(appeal=f.make_appeal(), outgoing_number=f"01-14/{n}", recipient="okc@example.gov.ua",
                             subject="Відповідь", message_id=f"<{n}@x>"))  # fmt: skip


def test_every_business_model_is_audited_and_bookkeeping_is_not(app):
    names = {c.__name__ for c in audit.audited_models()}
    assert {
        "AuditLog",
        "RegistrationCounter",
        "ReportRun",
        "BackupRun",
        "ApplicantKey",
        "AnonymisedApplicant",
        "AppealSearch",
        "ListPreference",  # a user's choice of list columns: a screen preference, not a business record
        "OutgoingCounter",
        "Notification",
    } == audit.NOT_AUDITED
    assert names.isdisjoint(audit.NOT_AUDITED)
    assert {
        "Appeal",
        "Applicant",
        "Assignment",
        "StatusChange",
        "Executor",
        "StructuralUnit",
        "Employee",
        "Order",
        "BudgetEstimate",
        "BudgetLine",
        "Expenditure",
        "User",
    } <= names


def test_every_audited_model_has_a_create_edit_delete_test(app):
    missing = {c.__name__ for c in audit.audited_models()} - set(BUILDERS)
    assert not missing, f"add a builder for {sorted(missing)} to BUILDERS"


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_create_edit_delete_write_entries_with_diffs(app, name):
    build, field, new_value = BUILDERS[name]
    obj = build()
    label = stored_label(obj)
    db.session.commit()
    record_id = obj.id
    old_value = audit.to_json(getattr(obj, field))

    (created,) = entries(name, record_id)
    assert created.action is AuditAction.INSERT
    assert created.record_label == label
    assert created.changes.get(field) == ([None, old_value] if old_value not in (None, "") else None)
    assert "id" not in created.changes and "created_at" not in created.changes

    setattr(obj, field, new_value)
    db.session.commit()
    updated = entries(name, record_id, AuditAction.UPDATE)
    assert [e.changes for e in updated] == [{field: [old_value, audit.to_json(new_value)]}]

    label = stored_label(obj)
    db.session.delete(obj)
    db.session.commit()
    (deleted,) = entries(name, record_id, AuditAction.DELETE)
    assert deleted.record_label == label
    assert deleted.changes[field] == [audit.to_json(new_value), None]


def test_values_not_loaded_since_the_last_commit_are_still_logged(app):
    appeal = f.make_appeal(summary="Стара назва")
    executor = f.make_executor(name="Служба доріг")
    db.session.commit()  # both expire: nothing of them is in memory any more
    appeal.summary = "Нова назва"  # set without reading it first
    db.session.delete(executor)
    db.session.commit()
    (updated,) = entries("Appeal", appeal.id, AuditAction.UPDATE)
    (deleted,) = entries("Executor", executor.id, AuditAction.DELETE)
    assert updated.changes == {"summary": ["Стара назва", "Нова назва"]}
    assert deleted.changes["name"] == ["Служба доріг", None]
    assert deleted.record_label == entries("Executor", executor.id)[0].record_label


def test_foreign_keys_are_logged_with_the_labels_of_both_rows(app):
    first, second = f.make_topic(name="Опалення"), f.make_topic(name="Водопостачання")
    appeal = f.make_appeal(topic=first)
    db.session.commit()
    (created,) = entries("Appeal", appeal.id)
    assert created.changes["topic_id"] == [None, {"id": first.id, "label": str(first)}]

    appeal.topic = second
    db.session.commit()
    (updated,) = entries("Appeal", appeal.id, AuditAction.UPDATE)
    assert updated.changes == {
        "topic_id": [{"id": first.id, "label": str(first)}, {"id": second.id, "label": str(second)}]
    }


def test_a_row_referenced_in_the_same_flush_is_labelled_without_reloading_it(app):
    topic = f.make_topic()
    applicant = Applicant(full_name="Нова Заявниця", address="м. Дніпро")
    appeal = Appeal(
        reg_number=f"N-{_n()}",
        channel="phone",
        appeal_type="complaint",
        summary="Сміття",
        due_date=TODAY,
        applicant=applicant,
        topic=topic,
    )
    db.session.add(appeal)
    db.session.commit()  # one flush inserts both: the applicant's label comes from the new object
    (created,) = entries("Appeal", appeal.id)
    assert created.changes["applicant_id"] == [None, {"id": applicant.id, "label": "Нова Заявниця"}]


def test_many_to_many_changes_list_members_before_and_after(app):
    heat, water, roads = f.make_topic(name="Опалення"), f.make_topic(name="Вода"), f.make_topic(name="Дороги")
    executor = f.make_executor(topics=[heat, water])
    db.session.commit()
    (created,) = entries("Executor", executor.id)
    assert {m["label"] for m in created.changes["topics"][1]} == {str(heat), str(water)}

    executor.topics = [water, roads]
    db.session.commit()
    (updated,) = entries("Executor", executor.id, AuditAction.UPDATE)
    before, after = updated.changes["topics"]
    assert {m["label"] for m in before} == {str(heat), str(water)}
    assert {m["label"] for m in after} == {str(water), str(roads)}
    assert {m["id"] for m in after} == {str(water.id), str(roads.id)}


def test_password_hashes_are_never_written_to_the_log(app):
    user = f.make_user()
    db.session.commit()
    old_hash = user.password_hash
    user.set_password("Another-Passw0rd-1")
    db.session.commit()
    (created,) = entries("User", user.id, AuditAction.INSERT)
    (updated,) = entries("User", user.id, AuditAction.UPDATE)
    assert created.changes["password_hash"] == [None, audit.SECRET]
    assert updated.changes["password_hash"] == [audit.SECRET, audit.SECRET]
    raw = db.session.execute(sa.text("SELECT changes FROM audit_log")).scalars().all()
    assert not any(old_hash in str(r) or user.password_hash in str(r) for r in raw)


def test_setting_the_same_values_again_writes_no_entry(app):
    appeal = f.make_appeal(summary="Без змін", due_date=TODAY)
    db.session.commit()
    before = last_id()
    appeal.summary = "Без змін"
    appeal.due_date = date(2026, 11, 20)
    appeal.updated_at = datetime.now(UTC)  # timestamps alone are not a change
    db.session.commit()
    assert last_id() == before


def test_a_rolled_back_transaction_leaves_no_entry(app):
    before = last_id()
    appeal = f.make_appeal()  # flushed: the hook has run and written its entries...
    appeal.summary = "Змінено"
    db.session.flush()
    assert last_id() > before
    db.session.rollback()  # ...but they go with the transaction
    assert last_id() == before


def test_a_transaction_failing_at_commit_leaves_no_entry(app):
    first = f.make_appeal()
    db.session.commit()
    before = last_id()
    f.make_applicant(full_name="Залишиться без запису")
    db.session.add(
        Appeal(reg_number=first.reg_number, channel="post", appeal_type="complaint", summary="Дубль", due_date=TODAY)
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert last_id() == before


@pytest.mark.committed  # read back through a second connection
def test_a_committed_change_always_has_its_entry_in_the_same_transaction(app):
    executor = f.make_executor()
    db.session.commit()
    executor.phone = "+380441234567"
    db.session.commit()
    # read through a separate connection: the entry was committed with the change
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(AuditLog.action, AuditLog.changes).where(
                AuditLog.model == "Executor", AuditLog.record_id == str(executor.id)
            )
        ).all()
    assert [r.action for r in rows] == [AuditAction.INSERT, AuditAction.UPDATE]


def test_parts_of_a_record_name_their_parent(app):
    appeal = f.make_appeal()
    assignment = f.make_assignment(appeal)
    contact = _add(ExecutorContact(executor=assignment.executor, full_name="Контакт"))
    db.session.commit()
    (entry,) = entries("Assignment", assignment.id)
    assert (entry.parent_model, entry.parent_id) == ("Appeal", str(appeal.id))
    (entry,) = entries("ExecutorContact", contact.id)
    assert (entry.parent_model, entry.parent_id) == ("Executor", str(assignment.executor_id))
    (entry,) = entries("Appeal", appeal.id)
    assert (entry.parent_model, entry.parent_id) == ("", "")


def test_deleting_a_record_logs_its_cascaded_parts(app):
    appeal = f.make_appeal()
    issue = _add(AppealIssue(appeal=appeal, topic=f.make_topic(), text="x"))
    db.session.commit()
    db.session.delete(appeal)
    db.session.commit()
    assert [e.action for e in entries("AppealIssue", issue.id)] == [AuditAction.INSERT, AuditAction.DELETE]
    assert entries("AppealIssue", issue.id)[-1].parent_id == str(appeal.id)


# --- who ----------------------------------------------------------------------------------------


def test_changes_made_in_a_request_name_the_user_role_and_address(app):
    user = f.make_user(Role.CLERK)
    db.session.commit()
    from flask_login import login_user

    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        login_user(user)
        appeal = f.make_appeal()
        db.session.commit()
    (entry,) = entries("Appeal", appeal.id)
    assert (entry.user_id, entry.username, entry.role, entry.ip) == (user.id, user.username, "clerk", "10.1.2.3")


def test_changes_made_by_a_command_or_job_name_their_actor(app):
    with audit.acting_as(audit.Actor(None, "cli", "", "")):
        unit = f.make_unit()
        db.session.commit()
    other = f.make_unit()
    db.session.commit()
    assert entries("StructuralUnit", unit.id)[0].username == "cli"
    assert entries("StructuralUnit", other.id)[0].username == "system"


# --- bulk statements -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        lambda: sa.update(Appeal).values(summary="x"),
        lambda: sa.delete(Appeal),
        lambda: sa.insert(Appeal).values(
            reg_number="B-1", channel="post", appeal_type="complaint", summary="x", due_date=TODAY
        ),
    ],
    ids=["update", "delete", "insert"],
)
def test_bulk_statements_on_audited_tables_are_refused(app, statement):
    f.make_appeal()
    db.session.commit()
    with pytest.raises(audit.AuditBypassError):
        db.session.execute(statement())
    db.session.rollback()


def test_a_legacy_query_update_is_refused_too(app):
    f.make_appeal()
    db.session.commit()
    with pytest.raises(audit.AuditBypassError):
        db.session.query(Appeal).update({"summary": "x"})
    db.session.rollback()


def test_bulk_operation_runs_the_statement_and_logs_it_as_one_entry(app):
    first, second = f.make_appeal(), f.make_appeal()
    db.session.commit()
    before = last_id()
    with audit.bulk_operation("Appeal", "term correction"):
        db.session.execute(sa.update(Appeal).where(Appeal.id.in_([first.id, second.id])).values(term_days=15))
    db.session.commit()
    new = [e for e in entries() if e.id > before]
    assert len(new) == 1
    assert (new[0].action, new[0].model) == (AuditAction.UPDATE, "Appeal")
    assert "term correction" in new[0].detail and "rows: 2" in new[0].detail
    assert db.session.execute(sa.select(sa.func.count()).where(Appeal.term_days == 15)).scalar() == 2


def test_bookkeeping_tables_may_be_updated_in_bulk(app):
    from portal.models import RegistrationCounter

    db.session.add(RegistrationCounter(year=2026, last_number=1))
    db.session.commit()
    before = last_id()
    db.session.execute(sa.update(RegistrationCounter).values(last_number=RegistrationCounter.last_number + 1))
    db.session.commit()
    assert last_id() == before


# --- the log cannot be changed -------------------------------------------------------------------


@pytest.fixture
def entry(app):
    audit.log_event_now(AuditAction.LOGIN, model="User", label="someone")
    return db.session.execute(sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).scalar_one()


def test_the_orm_refuses_to_change_an_entry(entry):
    entry.detail = "forged"
    with pytest.raises(audit.AuditLogImmutableError):
        db.session.commit()
    db.session.rollback()


def test_the_orm_refuses_to_delete_an_entry(entry):
    db.session.delete(entry)
    with pytest.raises(audit.AuditLogImmutableError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        lambda: sa.update(AuditLog).values(detail="forged"),
        lambda: sa.delete(AuditLog),
    ],
    ids=["update", "delete"],
)
def test_bulk_statements_on_the_log_are_refused_even_inside_bulk_operation(entry, statement):
    with audit.bulk_operation("AuditLog", "cleanup"), pytest.raises(audit.AuditLogImmutableError):
        db.session.execute(statement())
    db.session.rollback()


@pytest.mark.committed  # the triggers are met through a second connection
@pytest.mark.parametrize("sql", ["UPDATE audit_log SET detail = 'forged'", "DELETE FROM audit_log"])
def test_the_database_refuses_raw_sql_changes_to_the_log(entry, sql):
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.text(sql))
    assert db.session.get(AuditLog, entry.id).detail == ""


def test_an_event_written_now_survives_the_rollback_of_the_request(app):
    f.make_appeal()
    audit.log_event_now(AuditAction.DENIED, model="appeal", detail="GET /admin/appeal/edit/")
    db.session.rollback()
    assert [e.action for e in entries()][-1] is AuditAction.DENIED
    assert entries("Appeal") != []  # the pending work was committed with it


# --- readable diffs --------------------------------------------------------------------------------


def test_diffs_read_in_ukrainian_with_labels_dates_and_enum_names(app):
    appeal = f.make_appeal(
        due_date=date(2026, 12, 1), status=AppealStatus.REGISTERED, topic=f.make_topic(name="Опалення")
    )
    db.session.commit()
    appeal.due_date = date(2026, 12, 16)
    appeal.status = AppealStatus.ON_RESOLUTION
    appeal.paper_copy_sent = True
    db.session.commit()
    (updated,) = entries("Appeal", appeal.id, AuditAction.UPDATE)
    with app.test_request_context("/"):
        rows = {r.field: (r.old, r.new) for r in history.diff_rows(updated)}
        labels = {key: history.field_title(Appeal, key) for key in ("due_date", "status", "paper_copy_sent")}
        status_labels = (str(AppealStatus.REGISTERED), str(AppealStatus.ON_RESOLUTION))
    assert rows[labels["due_date"]] == ("01.12.2026", "16.12.2026")
    assert rows[labels["status"]] == status_labels
    assert rows[labels["paper_copy_sent"]][1] in ("так", "yes")
    assert not set(rows) & {"due_date", "status", "paper_copy_sent"}  # labels, not column names


def test_diffs_show_foreign_keys_and_hidden_secrets_by_label(app):
    user = f.make_user()
    db.session.commit()
    user.set_password("Another-Passw0rd-1")
    db.session.commit()
    (updated,) = entries("User", user.id, AuditAction.UPDATE)
    with app.test_request_context("/"):
        values = [(r.old, r.new) for r in history.diff_rows(updated)]
    assert all(audit.SECRET not in v for pair in values for v in pair)


def test_record_labels_are_readable_even_without_a_str(app):
    class Nameless:
        id = 7

        def __repr__(self):
            return "<Nameless 7>"

    assert audit.label_of(Nameless()) == "Nameless"
