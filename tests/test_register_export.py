"""The appeals register's full export (issue 11): a background job writing what the list's CSV export writes.

The job's file is compared byte for byte with the list's own CSV export of the same URL; the
list offers the job when its export would stop at ``EXPORT_MAX_ROWS``; the run is kept, shown
and downloaded as a report run, read within its requester's scope, and made by a real worker.
"""

from __future__ import annotations

import csv
import io
import re
import urllib.parse
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from jobs.register_export import export_register
from jobs.worker import PortalWorker
from portal import queue as job_queue
from portal.extensions import db
from portal.models.audit import AuditLog
from portal.models.enums import AppealStatus, AuditAction, Channel, DeliveryStatus, JobState, ReportKind, Role
from portal.models.reference import ResultCode
from portal.models.reports import ReportRun
from portal.reports import register_export, runs
from portal.services import scope
from tests.factories import (
    make_appeal,
    make_applicant,
    make_assignment,
    make_direction,
    make_executor,
    make_topic,
    make_user,
)


def kyiv_noon(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 7, 30, tzinfo=UTC)


@pytest.fixture
def register(app):
    """Appeals with every kind of cell: dates across a DST change, enums, related records, formulas, empty values."""
    direction = make_direction(name="Напрям реєстру")
    topic = make_topic(code="99.04", name="Утримання будинків", direction=direction)
    body = make_executor(name="Департамент ЖКГ", short_name="ДЖКГ")
    other_body = make_executor(name="Водоканал", short_name="")
    result = db.session.execute(sa.select(ResultCode)).scalars().first()
    rows = [
        make_appeal(
            reg_number="П-000001/26",
            registered_at=kyiv_noon(3, 28, 23),  # the night Kyiv moves to summer time
            received_at=kyiv_noon(3, 28, 22),
            applicant=make_applicant(full_name='=HYPERLINK("http://x")'),
            summary='Текст з "лапками"; і крапкою з комою',
            topic=topic,
            direction_id=direction.id,
            main_executor_id=body.id,
            status=AppealStatus.SENT,
            sent_at=kyiv_noon(4, 2),
            delivery_status=DeliveryStatus.SENT,
            outgoing_number="@вих-1",
            ukc_number="2026-1",
            ukc_date=date(2026, 3, 27),
            is_privileged=True,
        ),
        make_appeal(
            reg_number="П-000002/26",
            registered_at=kyiv_noon(10, 25, 1),  # the night Kyiv returns to winter time
            received_at=kyiv_noon(10, 24),
            summary="Рядок\nз переносом",
            status=AppealStatus.CLOSED,
            closed_at=kyiv_noon(11, 20),
            result_code_id=result.id if result else None,
            paper_copy_sent_on=date(2026, 11, 21),
            channel=Channel.WEB,
        ),
        make_appeal(
            reg_number="П-000003/26",
            registered_at=kyiv_noon(11, 2),
            status=AppealStatus.IN_WORK,
            main_executor_id=other_body.id,
            due_date=date(2026, 1, 5),
        ),  # fmt: skip
        make_appeal(
            reg_number="П-000004/26",
            registered_at=kyiv_noon(11, 3),
            status=AppealStatus.IN_WORK,
            applicant=None,
            summary="Без заявника",
        ),  # fmt: skip
        make_appeal(reg_number="П-000005/26", registered_at=kyiv_noon(11, 3), status=AppealStatus.REGISTERED),
    ]
    make_assignment(rows[2], other_body)
    db.session.commit()
    return {"appeals": rows, "body": body, "other_body": other_body, "direction": direction}


def _file_rows(path: str) -> list[list[str]]:
    with open(path, "rb") as written:
        return _csv_rows(written.read())


def _csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def _request_full_export(client, query: str):
    from tests.conftest import csrf_token

    return client.post(f"/admin/appeal/export/full/?{query}", data={"csrf_token": csrf_token(client)})


def _latest_run() -> ReportRun:
    return db.session.execute(sa.select(ReportRun).order_by(ReportRun.id.desc()).limit(1)).scalar_one()


# --- the same rows as the list's export -----------------------------------------------------------

LIST_URLS = [
    "",  # newest first
    "flt0_status=in_work",
    "flt0_open=1",  # a work list: privileged first, then the earliest term
    "sort=0&desc=1",  # by registration number, descending
    "sort=0",
    "search=" + urllib.parse.quote("П-000002/26"),
    "search=" + urllib.parse.quote("петренко"),  # words alone: the list joins the full-text index
    "flt0_main_executor={body}&flt1_registered=2026-03-01+to+2026-12-31",
]


@pytest.mark.parametrize("query", LIST_URLS)
def test_the_job_writes_the_list_exports_bytes(app, client, auth, register, query, monkeypatch):
    monkeypatch.setattr(register_export, "BATCH", 2)  # every order read across keyset batches
    query = query.format(body=register["body"].id)
    auth.as_role(Role.DIRECTOR)
    listed = client.get(f"/admin/appeal/export/csv/?{query}")
    assert listed.status_code == 200 and listed.mimetype == "text/csv"
    expected = listed.get_data()
    listed.close()
    assert len(_csv_rows(expected)) > 1  # rows to compare, not only the header
    assert _request_full_export(client, query).status_code == 302
    run = _latest_run()
    path = export_register(run.id)  # what the worker does
    db.session.refresh(run)
    assert (run.kind, run.state, run.progress) == (ReportKind.REGISTER_EXPORT, JobState.FINISHED, 100), run.message
    with open(path, "rb") as written:
        assert written.read().decode() == expected.decode()


def test_the_file_has_every_column_with_ukrainian_texts_and_neutralised_formulas(app, client, auth, register):
    auth.as_role(Role.DIRECTOR)
    _request_full_export(client, "sort=0")
    rows = _file_rows(export_register(_latest_run().id))
    header, first = rows[0], rows[1]
    assert len(header) == len(register_export.COLUMNS) and header[0] == "Реєстр. №"
    cells = dict(zip(header, first, strict=True))
    assert cells["Реєстр. №"] == "П-000001/26"
    assert cells["Дата реєстрації"] == "29.03.2026 01:07"  # 23:07 UTC: winter time (+2) until 01:00 UTC
    assert cells["Дата надходження"] == "29.03.2026 00:07"
    assert cells["Надіслано"] == "02.04.2026 13:07"  # summer time (+3)
    assert cells["Заявник"].startswith("'=HYPERLINK")
    assert cells["Вихідний номер"] == "'@вих-1"
    assert cells["Короткий зміст"] == 'Текст з "лапками"; і крапкою з комою'  # quoted by the CSV, read back whole
    assert cells["Пільговик"] == "так" and cells["Стан доставки"] == "Доставлено"
    assert cells["Тема"] == "99.04 Утримання будинків" and cells["Відповідальний виконавець"] == "ДЖКГ"
    assert rows[2][0] == "П-000002/26" and "з переносом" in " ".join(rows[2])


def test_a_filter_no_longer_valid_fails_the_run_with_a_message(app, register):
    director = make_user(Role.DIRECTOR)
    db.session.commit()
    run = runs.request_report(ReportKind.REGISTER_EXPORT, {"filters": [["status", "no-such-state"]]}, director)
    assert export_register(run.id) is None
    db.session.refresh(run)
    assert run.state == JobState.FAILED and "no-such-state" in run.message


# --- scope ------------------------------------------------------------------------------------------


def test_an_executor_scope_run_holds_only_the_bodys_appeals(app, register):
    executor = make_user(Role.EXECUTOR, executor_id=register["other_body"].id)
    db.session.commit()
    params, title = runs.normalise_params(ReportKind.REGISTER_EXPORT, {})
    # an executor may not export the register: the run is made for the body's scope directly
    run = runs.enqueue_run(ReportKind.REGISTER_EXPORT, params, title, executor, register_export.JOB)
    assert run.scope_key == scope.scope_key(executor) == f"assigned_to={register['other_body'].id}"
    rows = _file_rows(export_register(run.id))
    assert [row[0] for row in rows[1:]] == ["П-000003/26"]


def test_a_signers_run_holds_only_the_signers_appeals_and_others_cannot_open_it(app, client, auth, register):
    signer = make_user(Role.SIGNER, direction_id=register["direction"].id)
    db.session.commit()
    auth.login(signer.username)
    assert _request_full_export(client, "").status_code == 302
    run = _latest_run()
    assert run.scope_key == scope.scope_key(signer) and run.requested_by_id == signer.id
    rows = _file_rows(export_register(run.id))
    assert [row[0] for row in rows[1:]] == ["П-000001/26"]  # the one appeal of the signer's direction
    auth.logout()
    auth.as_role(Role.CLERK)  # another scope (every appeal): the file is not theirs to open
    response = client.get(f"/admin/report/download/{run.id}")
    response.close()
    assert response.status_code in (403, 404)


# --- the offer in the list, the run in Reports ------------------------------------------------------


def test_an_export_within_the_cap_is_a_file_at_once(app, client, auth, register):
    app.config["EXPORT_MAX_ROWS"] = 5
    auth.as_role(Role.CLERK)
    response = client.get("/admin/appeal/export/csv/")
    assert response.status_code == 200 and len(_csv_rows(response.get_data())) == 6


def test_an_export_over_the_cap_offers_the_full_export_in_the_background(app, client, auth, register):
    app.config["EXPORT_MAX_ROWS"] = 2
    auth.as_role(Role.CLERK)
    response = client.get("/admin/appeal/export/csv/?flt0_open=1&sort=0")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/appeal/?")
    assert "flt0_open=1" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "У списку понад 2 звернень" in page
    assert "Підготувати повне вивантаження у фоні" in page
    assert 'action="/admin/appeal/export/full/?flt0_open=1&amp;sort=0"' in page
    # the second choice: the first rows at once, with the notice row
    capped = client.get("/admin/appeal/export/csv/?flt0_open=1&sort=0&capped=1")
    assert capped.status_code == 200 and capped.mimetype == "text/csv"
    assert len(_csv_rows(capped.get_data())) == 4  # the header, two rows, the notice that it stops there
    assert db.session.execute(sa.select(sa.func.count(ReportRun.id))).scalar() == 0  # nothing started yet


def test_a_role_that_may_not_run_reports_is_offered_only_the_first_rows(app, client, auth, register):
    app.config["EXPORT_MAX_ROWS"] = 2
    auth.as_role(Role.AUDITOR)  # reads and exports everything, runs nothing
    response = client.get("/admin/appeal/export/csv/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "У списку понад 2 звернень" in page and "Завантажити перші 2 рядків зараз" in page
    assert "/admin/appeal/export/full/" not in page


def test_the_background_export_is_audited_listed_in_reports_and_downloaded(app, client, auth, register):
    clerk = auth.as_role(Role.CLERK)
    response = _request_full_export(client, "flt0_status=in_work&sort=0")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/report/")
    run = _latest_run()
    assert (run.kind, run.state, run.requested_by_id) == (ReportKind.REGISTER_EXPORT, JobState.QUEUED, clerk.id)
    assert run.params == {"search": "", "filters": [["status", "in_work"]], "sort": "reg_number", "desc": False}
    entry = db.session.execute(
        sa.select(AuditLog).where(AuditLog.action == AuditAction.EXPORT).order_by(AuditLog.id.desc()).limit(1)
    ).scalar_one()
    assert entry.model == "appeal" and f"report run {run.id}" in entry.detail and "flt0_status=in_work" in entry.detail
    listing = client.get("/admin/report/").get_data(as_text=True)
    assert "Вивантаження реєстру звернень" in listing and "Повне вивантаження готується у фоні" in listing

    export_register(run.id)
    listing = client.get("/admin/report/").get_data(as_text=True)
    assert f"/admin/report/download/{run.id}" in listing and "> CSV</a>" in listing
    download = client.get(f"/admin/report/download/{run.id}")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert re.fullmatch(
        r"attachment; filename=zvernennia-\d{4}-\d\d-\d\d-\d{4}\.csv", download.headers["Content-Disposition"]
    )
    assert [row[0] for row in _csv_rows(download.get_data())[1:]] == ["П-000003/26", "П-000004/26"]
    download.close()


def test_progress_is_recorded_on_the_run_as_batches_are_written(app, register, monkeypatch):
    monkeypatch.setattr(register_export, "BATCH", 2)
    director = make_user(Role.DIRECTOR)
    db.session.commit()
    seen = []
    monkeypatch.setattr(runs, "set_progress", lambda run, percent: seen.append(percent))
    run = runs.request_report(ReportKind.REGISTER_EXPORT, {}, director)
    path = runs.execute_run(run.id)
    assert seen == [40, 80, 99]  # 2, 4 and 5 of 5 rows; the run ends at 100
    assert len(_file_rows(path)) == 6


# --- a real worker ---------------------------------------------------------------------------------


@pytest.mark.committed  # the worker's process reads the run through a connection of its own
def test_a_real_worker_makes_the_file(app):
    make_appeal(reg_number="Р-1/26")
    make_appeal(reg_number="Р-2/26")
    director = make_user(Role.DIRECTOR)
    db.session.commit()
    run = runs.request_report(ReportKind.REGISTER_EXPORT, {"search": "Р-2/26"}, director)
    queue = job_queue.get_queue()
    PortalWorker([queue], connection=queue.connection, app=app).work(burst=True, logging_level="WARNING")
    db.session.expire_all()
    run = db.session.get(ReportRun, run.id)
    assert (run.state, run.progress) == (JobState.FINISHED, 100), run.message
    assert run.file_path.endswith(".csv")
    assert [row[0] for row in _file_rows(run.file_path)[1:]] == ["Р-2/26"]
