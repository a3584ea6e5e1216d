"""Retention and anonymisation (issue 13), crypto-shredding of the audit log, the applicant's rights."""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.models import Answer, Appeal, Applicant, AuditLog, FeedbackProof
from portal.models.enums import AnswerKind, AppealStatus, AppealType, AuditAction, Channel, FeedbackMethod, Role, Sex
from portal.models.records import AnonymisationProposal, ApplicantKey, ProposalState
from portal.services import attachments, history, pii, retention, subject_access
from portal.services.errors import DomainError
from tests import factories as f

TODAY = date(2026, 11, 20)
OLD = datetime(2020, 2, 10, 9, tzinfo=UTC)  # Q1 2020: closed more than 5 years before TODAY
# every value that identifies the old applicant (odd enough not to occur by chance)
OLD_PERSON = {
    "full_name": "Ґудзь-Перелесник Орест Мирославович",
    "address": "м. Кременець, вул. Зелена Балка, 17/3",
    "phone": "+380671119933",
    "phone2": "+380442227788",
    "email": "orest.hudz.perelesnyk@example.com",
}
SEARCHED = [*OLD_PERSON.values(), "Перелесник", "Орест", "Мирославович", "Зелена Балка", "1119933", "orest.hudz"]


def _old_applicant_with_history(director):
    """An applicant of 2020: registered, corrected, answered by name, a file named after them; all closed in 2020."""
    topic = f.make_topic(name="Водопостачання")
    applicant = f.make_applicant(**OLD_PERSON, sex=Sex.MALE)
    db.session.commit()
    applicant.phone = OLD_PERSON["phone"].replace("33", "34")  # a change the log records old → new
    db.session.commit()
    applicant.phone = OLD_PERSON["phone"]
    db.session.commit()
    appeals = []
    for n, kind in enumerate((AppealType.COMPLAINT, AppealType.STATEMENT)):
        appeal = f.make_appeal(
            applicant=applicant,
            registered_at=OLD + timedelta(days=n),
            appeal_type=kind,
            channel=Channel.PHONE if n else Channel.GOVERNMENT,
            topic=topic,
            summary=f"Скарга {OLD_PERSON['full_name']} на відсутність води",
            content=f"Я, {OLD_PERSON['full_name']}, проживаю: {OLD_PERSON['address']}, тел. {OLD_PERSON['phone']}. "
            "Вода не тече вже тиждень у будинку вул. Зелена Балка, 17/3.",
        )
        db.session.add(
            Answer(
                appeal=appeal,
                kind=AnswerKind.TO_APPLICANT,
                body="Шановний Оресте Мирославовичу Перелесник! Відповідаємо...",
            )
        )
        upload = FileStorage(io.BytesIO(b"%PDF scan"), filename="Перелесник_заява.pdf")
        attachment = attachments.save_upload(appeal, upload)
        db.session.add(
            FeedbackProof(
                appeal=appeal,
                method=FeedbackMethod.PHONE,
                contacted_at=OLD + timedelta(days=20),
                result=f"Зателефоновано на {OLD_PERSON['phone2']}",
                attachment=attachment,
            )
        )
        appeals.append(appeal)
    db.session.commit()
    for appeal in appeals:
        appeal.status = AppealStatus.CLOSED
        appeal.closed_at = OLD + timedelta(days=25)
    db.session.commit()
    return applicant, appeals


def _figures(start: datetime, end: datetime) -> dict:
    """The quarterly figures: appeals registered in the period by type, channel, topic and applicant category."""
    period = sa.and_(Appeal.registered_at >= start, Appeal.registered_at < end)
    out = {}
    for name, column in (
        ("type", Appeal.appeal_type),
        ("channel", Appeal.channel),
        ("topic", Appeal.topic_id),
        ("status", Appeal.status),
        ("sex", Applicant.sex),
    ):
        rows = db.session.execute(
            sa.select(column, sa.func.count()).select_from(Appeal).outerjoin(Applicant).where(period).group_by(column)
        ).all()
        out[name] = sorted((str(k), n) for k, n in rows)
    return out


def _every_text_value() -> list[tuple[str, str, str]]:
    """(table, column, value) of every text-like column of every table, the audit log included."""
    found = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text, sa.JSON, sa.Enum))]
            if not columns:
                continue
            for row in conn.execute(sa.select(*[sa.cast(c, sa.Text) for c in columns])):
                for column, value in zip(columns, row, strict=True):
                    if value:
                        found.append((table.name, column.name, value))
    return found


def test_anonymisation_leaves_no_personal_value_anywhere_and_the_figures_unchanged(app):
    director = f.make_user(Role.DIRECTOR)
    applicant, appeals = _old_applicant_with_history(director)
    files = [attachments.path_of(a) for ap in appeals for a in ap.attachments]
    recent = f.make_applicant(full_name="Свіжий Заявник Сучасний", phone="+380501234567")
    f.make_appeal(applicant=recent, summary="Свіже звернення")
    db.session.commit()
    q1 = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 4, 1, tzinfo=UTC))
    before = _figures(*q1)
    assert sum(n for _, n in before["type"]) == 2
    logged = " ".join(v for t, _, v in _every_text_value() if t == "audit_log")
    assert OLD_PERSON["full_name"] in subject_access.dossier(applicant).fields[0][1]
    assert "Перелесник" not in logged and "1119933" not in logged  # the log holds them sealed, never in clear...
    (created,) = [
        e
        for e in db.session.execute(sa.select(AuditLog).where(AuditLog.model == "Applicant")).scalars()
        if e.action is AuditAction.INSERT and e.record_id == str(applicant.id)
    ]
    assert pii.reveal(created.record_label) == OLD_PERSON["full_name"]  # ...and readable while the key exists

    proposal = retention.propose(TODAY)
    db.session.commit()
    assert proposal.applicant_ids == [applicant.id] and proposal.appeal_count == 2
    assert retention.propose(TODAY) is None  # one open proposal at a time
    retention.decide(proposal, director, confirm=True)
    db.session.commit()
    retention.execute(proposal.id)

    db.session.expire_all()
    assert db.session.get(AnonymisationProposal, proposal.id).state == ProposalState.DONE
    leaks = [(t, c, v[:80]) for t, c, v in _every_text_value() for s in SEARCHED if s.lower() in v.lower()]
    assert leaks == []
    assert _figures(*q1) == before
    assert all(not os.path.exists(p) for p in files)
    assert db.session.get(ApplicantKey, applicant.id) is None
    # the log was not rewritten: the same entries, now unreadable
    entry = db.session.get(AuditLog, created.id)
    assert entry.record_label == created.record_label
    assert pii.reveal(entry.record_label) == "«знищено»"
    assert "«знищено»" in {r.new for r in history.diff_rows(entry)}
    # the anonymisation is in the history, without the removed values
    event = db.session.execute(
        sa.select(AuditLog).where(AuditLog.detail.like("anonymised%"), AuditLog.record_id == str(applicant.id))
    ).scalar_one()
    assert event.username == director.username
    cleared = [
        e
        for e in db.session.execute(sa.select(AuditLog).where(AuditLog.model == "Applicant")).scalars()
        if e.action is AuditAction.UPDATE and e.changes and "full_name" in e.changes and e.id > created.id
    ][-1]
    assert cleared.changes["full_name"][0] == pii.REMOVED
    # the other applicant is untouched and still readable
    assert db.session.get(Applicant, recent.id).full_name == "Свіжий Заявник Сучасний"
    assert retention.due_applicants(retention.cutoff(TODAY)) == []


def test_an_applicant_with_a_recent_or_open_appeal_is_not_proposed(app):
    old = f.make_applicant(full_name="Давній Заявник")
    f.make_appeal(applicant=old, registered_at=OLD, status=AppealStatus.CLOSED, closed_at=OLD)
    f.make_appeal(applicant=old, registered_at=OLD, status=AppealStatus.IN_WORK)
    later = f.make_applicant(full_name="Пізніший Заявник")
    f.make_appeal(
        applicant=later, registered_at=OLD, status=AppealStatus.CLOSED, closed_at=datetime(2022, 1, 1, tzinfo=UTC)
    )
    db.session.commit()
    assert retention.propose(TODAY) is None
    app.config["RETENTION_YEARS"] = 3
    assert retention.due_applicants(retention.cutoff(TODAY)) == [later.id]


def test_a_dismissed_proposal_anonymises_nobody_and_decisions_are_final(app):
    director = f.make_user(Role.DIRECTOR)
    old = f.make_applicant(full_name="Давній Заявник")
    f.make_appeal(applicant=old, registered_at=OLD, status=AppealStatus.CLOSED, closed_at=OLD)
    db.session.commit()
    proposal = retention.propose(TODAY)
    retention.decide(proposal, director, confirm=False)
    db.session.commit()
    with pytest.raises(DomainError):
        retention.decide(proposal, director, confirm=True)
    retention.execute(proposal.id)
    assert db.session.get(Applicant, old.id).full_name == "Давній Заявник"


def test_subject_access_document_holds_the_data_appeals_and_history_and_is_logged(app):
    from docx import Document

    applicant = f.make_applicant(full_name="Левченко Марта Іванівна", address="м. Луцьк", phone="+380631112233")
    f.make_appeal(applicant=applicant, summary="Ремонт даху", content="Прошу відремонтувати дах.")
    db.session.commit()
    subject_access.correct(applicant, {"address": "м. Рівне"}, reason="Заява від 01.12.2026")
    db.session.commit()

    data = subject_access.write_docx(subject_access.dossier(applicant))
    subject_access.log_export(applicant)
    db.session.commit()

    text = "\n".join(
        [p.text for p in Document(io.BytesIO(data)).paragraphs]
        + [c.text for t in Document(io.BytesIO(data)).tables for r in t.rows for c in r.cells]
    )
    assert "Левченко Марта Іванівна" in text and "м. Рівне" in text and "Ремонт даху" in text
    assert "м. Луцьк → м. Рівне" in text  # the correction, in the history of the data
    events = (
        db.session.execute(
            sa.select(AuditLog).where(AuditLog.model == "Applicant", AuditLog.record_id == str(applicant.id))
        )
        .scalars()
        .all()
    )
    assert {e.action for e in events} >= {AuditAction.INSERT, AuditAction.UPDATE, AuditAction.EXPORT}
    correction = next(e for e in events if e.detail == "correction at the applicant's request")
    assert pii.reveal(correction.changes["reason"][1]) == "Заява від 01.12.2026"
    assert "Левченко" not in " ".join(str(e.changes) + e.record_label for e in events)


def test_correction_needs_a_reason_and_a_change(app):
    applicant = f.make_applicant(full_name="Левченко Марта")
    with pytest.raises(DomainError):
        subject_access.correct(applicant, {"address": "м. Рівне"}, reason="")
    with pytest.raises(DomainError):
        subject_access.correct(applicant, {"full_name": "Левченко Марта"}, reason="заява")


def test_sealed_values_survive_a_label_limit_and_reject_another_applicants_key(app):
    a, b = f.make_applicant(full_name="А"), f.make_applicant(full_name="Б")
    db.session.commit()
    keys = pii.keys_for(db.session.connection(), [a.id, b.id], create=True)
    long = pii.encrypt(keys[a.id], a.id, "Я" * 400, limit=300)
    assert len(long) <= 300 and pii.reveal(long).startswith("ЯЯЯ")
    forged = long.replace(f"pii1:{a.id}:", f"pii1:{b.id}:")
    assert pii.reveal(forged) == "«знищено»"
