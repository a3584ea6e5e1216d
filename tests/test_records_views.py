"""Screens and jobs of issue 13: the home page's backup panel, the retention proposal, the applicant's rights."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from docx import Document

from portal.extensions import db
from portal.models import Applicant, AuditLog
from portal.models.enums import AppealStatus, AuditAction, Role
from portal.models.records import AnonymisationProposal, BackupRun, BackupState, ProposalState
from tests import factories as f
from tests.conftest import post_form

OLD = datetime(2019, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DIRECTOR])
def test_home_page_shows_the_last_backup_and_warns_when_it_is_old(client, auth, role):
    auth.as_role(role)
    db.session.add(
        BackupRun(
            state=BackupState.FINISHED,
            started_at=datetime.now(UTC) - timedelta(days=3),
            finished_at=datetime.now(UTC) - timedelta(days=3),
            size=5 * 1024 * 1024,
            path="/backups/a.tar.gz",
        )
    )
    db.session.commit()
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="home-backup"' in page and "5.0 MB" in page
    assert "Останній резервній копії понад два дні." in page


def test_home_page_warns_when_the_last_backup_failed_and_is_quiet_when_fresh(client, auth):
    auth.as_role(Role.ADMIN)
    now = datetime.now(UTC)
    db.session.add(BackupRun(state=BackupState.FINISHED, started_at=now, finished_at=now, size=10))
    db.session.commit()
    assert 'id="home-backup-warning"' not in client.get("/admin/").get_data(as_text=True)
    db.session.add(BackupRun(state=BackupState.FAILED, started_at=now + timedelta(seconds=1), message="pg_dump failed"))
    db.session.commit()
    page = client.get("/admin/").get_data(as_text=True)
    assert "Остання резервна копія не вдалася: pg_dump failed" in page


@pytest.mark.parametrize("role", [Role.CLERK, Role.AUDITOR, Role.ACCOUNTANT])
def test_other_roles_home_page_has_no_backup_panel(client, auth, role):
    auth.as_role(role)
    assert 'id="home-backup"' not in client.get("/admin/").get_data(as_text=True)


def test_director_confirms_a_proposal_and_the_job_anonymises(app, client, auth):
    from jobs.worker import run_burst
    from portal.queue import get_queue

    director = auth.as_role(Role.DIRECTOR)
    old = f.make_applicant(full_name="Давній Заявник Тестовий", phone="+380971234567")
    f.make_appeal(applicant=old, registered_at=OLD, status=AppealStatus.CLOSED, closed_at=OLD)
    db.session.commit()
    from jobs.records import propose_anonymisation

    proposal_id = propose_anonymisation()
    assert 'id="home-retention"' in client.get("/admin/").get_data(as_text=True)
    page = client.get("/admin/records/").get_data(as_text=True)
    assert 'id="records-proposal"' in page and "Знеособити цих заявників" in page

    response = post_form(client, "/admin/records/decide/", {"id": proposal_id, "decision": "confirm"})
    assert response.status_code == 302
    run_burst(get_queue(), app=app)

    db.session.expire_all()
    proposal = db.session.get(AnonymisationProposal, proposal_id)
    assert proposal.state == ProposalState.DONE and proposal.decided_by_id == director.id
    assert db.session.get(Applicant, old.id).full_name.startswith("Знеособлений заявник")
    assert db.session.get(Applicant, old.id).phone == ""


def test_admin_sees_the_records_page_but_cannot_decide(client, auth):
    auth.as_role(Role.ADMIN)
    assert client.get("/admin/records/").status_code == 200
    assert post_form(client, "/admin/records/decide/", {"id": 1, "decision": "confirm"}).status_code == 403


def test_clerk_finds_an_applicant_downloads_the_document_and_corrects_the_data(client, auth):
    clerk = auth.as_role(Role.CLERK)
    applicant = f.make_applicant(full_name="Бондар Олена Петрівна", phone="+380661112233", address="м. Дубно")
    f.make_appeal(applicant=applicant, summary="Освітлення вулиці")
    db.session.commit()

    page = client.get("/admin/applicant/", query_string={"q": "Бондар Олена"}).get_data(as_text=True)
    assert f"/admin/applicant/details/?id={applicant.id}" in page
    page = client.get(f"/admin/applicant/details/?id={applicant.id}").get_data(as_text=True)
    assert "Освітлення вулиці" in page and 'id="applicant-correct"' in page

    response = post_form(
        client,
        "/admin/applicant/correct/",
        {"id": applicant.id, "full_name": "Бондар Олена Петрівна", "address": "м. Острог", "reason": "Заява 12"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Applicant, applicant.id).address == "м. Острог"

    response = client.get(f"/admin/applicant/document/?id={applicant.id}")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    doc = Document(io.BytesIO(response.data))
    text = " ".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "м. Дубно → м. Острог" in text and "Бондар Олена Петрівна" in text

    actions = (
        db.session.execute(
            sa.select(AuditLog.action).where(AuditLog.model == "Applicant", AuditLog.username == clerk.username)
        )
        .scalars()
        .all()
    )
    assert AuditAction.EXPORT in actions and AuditAction.UPDATE in actions and AuditAction.VIEW_PERSONAL_DATA in actions


def test_audit_screen_shows_an_applicants_values_until_the_key_is_destroyed(client, auth):
    from portal.services import pii

    auth.as_role(Role.AUDITOR)
    applicant = f.make_applicant(full_name="Кравець Ірина Олегівна")
    db.session.commit()
    entry = db.session.execute(
        sa.select(AuditLog).where(AuditLog.model == "Applicant", AuditLog.record_id == str(applicant.id))
    ).scalar_one()
    page = client.get(f"/admin/audit_log/details/?id={entry.id}").get_data(as_text=True)
    assert "Кравець Ірина Олегівна" in page
    pii.destroy_key(db.session, applicant.id)
    db.session.commit()
    page = client.get(f"/admin/audit_log/details/?id={entry.id}").get_data(as_text=True)
    assert "Кравець" not in page and "«знищено»" in page


@pytest.mark.committed  # the backup reads the database through a connection of its own
def test_nightly_tick_backs_up_prunes_proposes_and_schedules_the_next_night(app, tmp_path):
    from rq.registry import ScheduledJobRegistry

    from jobs.records import nightly_tick
    from portal.queue import get_queue

    app.config.update(BACKUP_DIR=str(tmp_path / "nightly"), BACKUP_KEEP=1)
    old = f.make_applicant(full_name="Давній Заявник")
    f.make_appeal(applicant=old, registered_at=OLD, status=AppealStatus.CLOSED, closed_at=OLD)
    db.session.commit()
    first = nightly_tick()
    second = nightly_tick()
    assert first != second
    import os

    assert os.listdir(tmp_path / "nightly") == [os.path.basename(second)]
    runs = db.session.execute(sa.select(BackupRun).order_by(BackupRun.id)).scalars().all()
    assert [r.trigger for r in runs] == ["schedule", "schedule"] and runs[-1].state == BackupState.FINISHED
    assert db.session.execute(sa.select(sa.func.count()).select_from(AnonymisationProposal)).scalar_one() == 1
    scheduled = ScheduledJobRegistry(queue=get_queue()).get_job_ids()
    assert len([j for j in scheduled if j.startswith("records-nightly-")]) == 1
