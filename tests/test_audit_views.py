"""The audit screens: changes through the admin are logged, auditors browse the log and each
record's History tab, nobody can change an entry by any route, exports stream or run as a job,
and the non-data events (logins, denials, exports, personal-data views) are logged."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditLog, Executor, Order, ReportRun
from portal.models.enums import AuditAction, JobState, ReportKind, Role
from portal.services import audit, history
from tests import factories as f
from tests.conftest import post_form

ENTRY_LINK = re.compile(r"/admin/audit_log/details/\?id=(\d+)")


def entries(model=None, record_id=None, action=None) -> list[AuditLog]:
    query = sa.select(AuditLog).order_by(AuditLog.id)
    if model:
        query = query.where(AuditLog.model == model)
    if record_id is not None:
        query = query.where(AuditLog.record_id == str(record_id))
    if action:
        query = query.where(AuditLog.action == action)
    return db.session.execute(query).scalars().all()


def listed_ids(html: str) -> list[int]:
    return [int(i) for i in dict.fromkeys(ENTRY_LINK.findall(html))]


def add_entry(**values) -> int:
    """An entry written directly (inserts are the one thing the log accepts)."""
    row = audit._entry(
        audit.Actor(values.pop("user_id", None), values.pop("username", "someone"), "clerk", ""),
        values.pop("action", AuditAction.UPDATE),
        values.pop("model", "Appeal"),
        values.pop("record_id", "1"),
        values.pop("label", "№ 1"),
        values.pop("changes", None),
    )
    row.update(values)
    db.session.execute(AuditLog.__table__.insert(), [row])
    db.session.commit()
    return db.session.execute(sa.select(sa.func.max(AuditLog.id))).scalar()


# --- changes through the admin forms ----------------------------------------------------------


def test_creating_editing_and_deleting_an_order_in_the_admin_is_logged_with_diffs(client, auth):
    director = auth.as_role(Role.DIRECTOR)
    form = {"number": "17-к", "issued_on": "2026-11-20", "order_type": "general", "title": "Про чергування", "text": ""}
    assert post_form(client, "/admin/order/new/", form).status_code == 302
    order = db.session.execute(sa.select(Order).filter_by(number="17-к")).scalar_one()
    (created,) = entries("Order", order.id)
    assert (created.action, created.username, created.role) == (AuditAction.INSERT, director.username, "director")
    assert created.changes["title"] == [None, "Про чергування"]
    assert created.changes["issued_on"] == [None, "2026-11-20"]

    response = post_form(client, f"/admin/order/edit/?id={order.id}", {**form, "title": "Про чергування у грудні"})
    assert response.status_code == 302
    (updated,) = entries("Order", order.id, AuditAction.UPDATE)
    assert updated.changes == {"title": ["Про чергування", "Про чергування у грудні"]}

    assert post_form(client, "/admin/order/delete/", {"id": order.id}).status_code == 302
    (deleted,) = entries("Order", order.id, AuditAction.DELETE)
    assert deleted.changes["title"] == ["Про чергування у грудні", None]
    assert deleted.record_label == created.record_label


def test_an_executor_and_its_inline_contact_are_logged_as_record_and_part(client, auth):
    auth.as_role(Role.DIRECTOR)
    form = {
        "name": "Департамент ЖКГ",
        "short_name": "ДЖКГ",
        "kind": "external",
        "head_name": "",
        "phone": "",
        "email": "",
        "address": "",
        "is_active": "y",
        "contacts-0-full_name": "Мельник Ганна",
        "contacts-0-position": "",
        "contacts-0-phone": "",
        "contacts-0-email": "",
    }
    response = post_form(client, "/admin/executor/new/", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    executor = db.session.execute(sa.select(Executor).filter_by(name="Департамент ЖКГ")).scalar_one()
    contact_entries = entries("ExecutorContact")
    assert [e.action for e in entries("Executor", executor.id)] == [AuditAction.INSERT]
    assert [(e.action, e.parent_model, e.parent_id) for e in contact_entries] == [
        (AuditAction.INSERT, "Executor", str(executor.id))
    ]

    response = post_form(
        client,
        f"/admin/executor/edit/?id={executor.id}",
        {**form, "phone": "+380561234567", "contacts-0-id": contact_entries[0].record_id},
    )
    assert response.status_code == 302
    (updated,) = entries("Executor", executor.id, AuditAction.UPDATE)
    assert updated.changes == {"phone": ["", "+380561234567"]}


# --- the History tab -----------------------------------------------------------------------------

DETAIL_BUILDERS = {
    "appeal": f.make_appeal,
    "executor": f.make_executor,
    "structural_unit": f.make_unit,
    "employee": f.make_employee,
    "staff_position": f.make_position,
    "order": f.make_order,
    "budget_estimate": f.make_estimate,
    "budget_line": f.make_line,
    "expenditure": lambda: f.make_expenditure(f.make_line()),
    "user": f.make_user,
}


@pytest.mark.parametrize("endpoint", sorted(DETAIL_BUILDERS))
def test_every_records_details_page_has_a_history_tab_for_the_auditor(client, auth, endpoint):
    record = DETAIL_BUILDERS[endpoint]()
    db.session.commit()
    auth.as_role(Role.AUDITOR)
    html = client.get(f"/admin/{endpoint}/details/?id={record.id}").get_data(as_text=True)
    assert 'id="history-pane"' in html
    (created,) = entries(type(record).__name__, record.id, AuditAction.INSERT)
    assert f"/admin/audit_log/details/?id={created.id}" in html


def test_the_history_tab_shows_entries_newest_first_with_ukrainian_field_labels(app, client, auth):
    appeal = f.make_appeal(summary="Немає опалення")
    db.session.commit()
    appeal.summary = "Немає опалення з 1 листопада"
    db.session.commit()
    appeal.term_days = 15
    db.session.commit()
    auth.as_role(Role.AUDITOR)
    html = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    pane = html.split('id="history-pane"', 1)[1]
    with app.test_request_context("/"):
        summary_label = history.field_title(type(appeal), "summary")
        term_label = history.field_title(type(appeal), "term_days")
    assert "Історія" in html
    assert summary_label != "Summary" and summary_label in pane
    assert term_label in pane and ">term_days<" not in pane
    assert "Немає опалення з 1 листопада" in pane
    ids = listed_ids(pane)
    assert ids == sorted(ids, reverse=True)
    # the link to the log names the record's type in Ukrainian (the filter then reads «Звернення:<id>»)
    from urllib.parse import unquote

    assert f"flt0_object=Звернення:{appeal.id}" in unquote(pane)


def test_an_appeals_history_includes_its_parts(client, auth):
    appeal = f.make_appeal()
    assignment = f.make_assignment(appeal)
    db.session.commit()
    auth.as_role(Role.AUDITOR)
    pane = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True).split('id="history-pane"')[1]
    (assigned,) = entries("Assignment", assignment.id)
    assert assigned.id in listed_ids(pane)


def test_roles_that_cannot_read_the_log_get_no_history_tab(client, auth):
    appeal = f.make_appeal()
    db.session.commit()
    auth.as_role(Role.CLERK)
    response = client.get(f"/admin/appeal/details/?id={appeal.id}")
    assert response.status_code == 200
    assert 'id="history-pane"' not in response.get_data(as_text=True)


# --- nobody changes the log ---------------------------------------------------------------------

WRITE_ROUTES = [
    ("GET", "/admin/audit_log/new/", {}),
    ("POST", "/admin/audit_log/new/", {"detail": "forged"}),
    ("GET", "/admin/audit_log/edit/?id={id}", {}),
    ("POST", "/admin/audit_log/edit/?id={id}", {"detail": "forged", "username": "x"}),
    ("POST", "/admin/audit_log/delete/", {"id": "{id}"}),
    ("POST", "/admin/audit_log/action/", {"action": "delete", "rowid": "{id}"}),
    ("POST", "/admin/audit_log/ajax/update/", {"list_form_pk": "{id}", "detail": "forged"}),
]


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.AUDITOR, Role.ADMIN])
@pytest.mark.parametrize("method,path,data", WRITE_ROUTES, ids=[f"{m} {p.split('/')[3]}" for m, p, _ in WRITE_ROUTES])
def test_nobody_can_change_or_delete_an_entry_by_any_route(client, auth, role, method, path, data):
    target = add_entry(detail="original")
    auth.as_role(role)
    count = len(entries())
    path = path.format(id=target)
    data = {k: v.format(id=target) for k, v in data.items()}
    response = client.get(path) if method == "GET" else post_form(client, path, data)
    assert response.status_code in (403, 404, 405)
    db.session.expire_all()
    kept = db.session.get(AuditLog, target)
    assert (kept.detail, kept.username) == ("original", "someone")
    assert len(entries()) >= count
    if response.status_code == 403:
        assert entries()[-1].action is AuditAction.DENIED


def test_the_list_offers_no_edit_delete_or_bulk_action(client, auth):
    add_entry()
    auth.as_role(Role.DIRECTOR)
    html = client.get("/admin/audit_log/").get_data(as_text=True)
    assert "/admin/audit_log/edit/" not in html
    assert "/admin/audit_log/delete/" not in html
    assert "/admin/audit_log/new/" not in html
    assert 'name="rowid"' not in html


# --- browsing the log -------------------------------------------------------------------------


def test_the_list_is_newest_first_and_never_counts_the_whole_log(app, client, auth):
    ids = [add_entry(record_id=str(n)) for n in range(3)]
    auth.as_role(Role.AUDITOR)
    statements = []

    def spy(conn, cursor, statement, *args):
        statements.append(statement.lower())

    sa.event.listen(db.engine, "before_cursor_execute", spy)
    try:
        html = client.get("/admin/audit_log/").get_data(as_text=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", spy)
    shown = listed_ids(html)
    assert set(ids) <= set(shown) and len(shown) > len(ids)
    assert shown == sorted(shown, reverse=True)
    # counting stops at the cap (admin_views.paging): never a count of the whole log
    counts = [s for s in statements if "audit_log" in s and "count(" in s]
    assert all("limit" in s for s in counts), counts


@pytest.mark.parametrize(
    "query,expected",
    [
        ("flt0_model=Order", {"order"}),
        ("flt0_model=Appeal&flt1_record=7", {"appeal-7"}),
        ("flt0_user=ivan", {"ivan"}),
        ("flt0_action=delete", {"deleted"}),
        ("flt0_object=Appeal:7", {"appeal-7", "assignment-of-7"}),
    ],
)
def test_filters_by_user_model_record_and_action(client, auth, query, expected):
    marks = {
        "order": add_entry(model="Order", record_id="7"),
        "appeal-7": add_entry(model="Appeal", record_id="7"),
        "appeal-8": add_entry(model="Appeal", record_id="8"),
        "ivan": add_entry(username="ivan", model="Employee"),
        "deleted": add_entry(action=AuditAction.DELETE, model="Topic"),
        "assignment-of-7": add_entry(model="Assignment", record_id="3", parent_model="Appeal", parent_id="7"),
    }
    auth.as_role(Role.AUDITOR)
    html = client.get(f"/admin/audit_log/?{query}").get_data(as_text=True)
    assert {name for name, i in marks.items() if i in listed_ids(html)} == expected


def test_the_date_range_filter_uses_kyiv_calendar_days(client, auth):
    utc = UTC
    before = add_entry(at=datetime(2026, 11, 19, 21, 30, tzinfo=utc))  # 19.11 23:30 in Kyiv
    first = add_entry(at=datetime(2026, 11, 19, 22, 30, tzinfo=utc))  # 20.11 00:30 in Kyiv
    last = add_entry(at=datetime(2026, 11, 20, 21, 30, tzinfo=utc))  # 20.11 23:30 in Kyiv
    after = add_entry(at=datetime(2026, 11, 20, 22, 30, tzinfo=utc))  # 21.11 00:30 in Kyiv
    auth.as_role(Role.AUDITOR)
    for query in ("flt0_from=20.11.2026&flt1_to=20.11.2026", "flt0_from=2026-11-20&flt1_to=2026-11-20"):
        shown = listed_ids(client.get(f"/admin/audit_log/?{query}").get_data(as_text=True))
        assert first in shown and last in shown
        assert before not in shown and after not in shown


def test_search_finds_a_user_name_or_the_start_of_a_record_label(client, auth):
    petrenko = add_entry(label="Петренко Петро Петрович", model="Applicant")
    ivanenko = add_entry(label="Іваненко Іван", model="Applicant")
    by_user = add_entry(username="clerk77")
    auth.as_role(Role.AUDITOR)
    shown = listed_ids(client.get("/admin/audit_log/?search=петренко").get_data(as_text=True))
    assert petrenko in shown and ivanenko not in shown
    shown = listed_ids(client.get("/admin/audit_log/?search=clerk77").get_data(as_text=True))
    assert shown == [by_user]


def test_an_entrys_details_show_the_diff_as_a_table(app, client, auth):
    appeal = f.make_appeal(summary="Було")
    db.session.commit()
    appeal.summary = "Стало"
    db.session.commit()
    (updated,) = entries("Appeal", appeal.id, AuditAction.UPDATE)
    auth.as_role(Role.AUDITOR)
    html = client.get(f"/admin/audit_log/details/?id={updated.id}").get_data(as_text=True)
    with app.test_request_context("/"):
        label = history.field_title(type(appeal), "summary")
    table = html.split("portal-diff", 1)[1]
    assert label in table and "Було" in table and "Стало" in table


def test_roles_without_the_log_cannot_open_it(client, auth):
    auth.as_role(Role.CLERK)
    assert client.get("/admin/audit_log/").status_code == 403


# --- exports --------------------------------------------------------------------------------------


def test_a_small_export_streams_a_csv_with_readable_diffs(client, auth):
    appeal = f.make_appeal(summary="Було")
    db.session.commit()
    appeal.summary = "Стало"
    db.session.commit()
    auth.as_role(Role.AUDITOR)
    response = client.get(f"/admin/audit_log/export/csv/?flt0_model=Appeal&flt1_record={appeal.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    lines = text.strip("\ufeff").strip().splitlines()
    assert len(lines) == 3  # header, the update, the insert
    assert "Було → Стало" in lines[1]
    assert entries(action=AuditAction.EXPORT)[-1].model == "audit_log"


def test_a_large_export_runs_as_a_background_job_into_a_report(app, client, auth):
    from openpyxl import load_workbook

    from jobs.audit_export import export_audit_log

    for n in range(5):
        add_entry(model="Order", record_id=str(n), label=f"=HYPERLINK({n})")
    app.config["AUDIT_EXPORT_SYNC_MAX_ROWS"] = 2
    auditor = auth.as_role(Role.AUDITOR)
    response = client.get("/admin/audit_log/export/csv/?flt0_model=Order")
    assert response.status_code == 302 and "/admin/report/" in response.headers["Location"]
    run = db.session.execute(sa.select(ReportRun).filter_by(kind=ReportKind.AUDIT_EXPORT)).scalar_one()
    assert (run.state, run.requested_by_id) == (JobState.QUEUED, auditor.id)
    assert run.params["filters"] == [["model", "Order"]]

    export_audit_log(run.id)  # what the worker does
    db.session.refresh(run)
    assert run.state is JobState.FINISHED, run.message
    workbook = load_workbook(run.file_path, read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    assert len(rows) == 6
    assert all(str(r[8]).startswith("'=") for r in rows[1:])  # formulas neutralised
    download = client.get(f"/admin/report/download/{run.id}")
    assert download.status_code == 200
    download.close()
    assert entries(action=AuditAction.DOWNLOAD)[-1].record_id == str(run.id)


# --- non-data events ------------------------------------------------------------------------------


def test_logins_failures_and_logouts_are_logged(client, auth):
    user = f.make_user(Role.CLERK)
    db.session.commit()
    auth.login(user.username, "wrong-password")
    auth.login(user.username)
    auth.logout()
    actions = [e.action for e in entries(action=None) if e.username == user.username]
    assert actions[-3:] == [AuditAction.LOGIN_FAILED, AuditAction.LOGIN, AuditAction.LOGOUT]


def test_a_lockout_is_logged(app, client, auth):
    user = f.make_user(Role.CLERK)
    db.session.commit()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):  # the next wrong password after the limit locks
        auth.login(user.username, "wrong-password")
    assert AuditAction.LOCKOUT in [e.action for e in entries() if e.username == user.username]


def test_a_permission_denial_is_logged(client, auth):
    clerk = auth.as_role(Role.CLERK)
    assert client.get("/admin/user/").status_code == 403
    denial = entries(action=AuditAction.DENIED)[-1]
    assert (denial.username, denial.model) == (clerk.username, "user")


def test_opening_an_appeals_personal_data_is_logged(client, auth):
    appeal = f.make_appeal()
    db.session.commit()
    clerk = auth.as_role(Role.CLERK)
    assert client.get(f"/admin/appeal/details/?id={appeal.id}").status_code == 200
    view = entries(action=AuditAction.VIEW_PERSONAL_DATA)[-1]
    assert (view.username, view.model, view.record_id) == (clerk.username, "Appeal", str(appeal.id))


def test_opening_an_audit_entry_about_an_applicant_is_a_personal_data_view(client, auth):
    applicant = f.make_applicant()
    db.session.commit()
    (created,) = entries("Applicant", applicant.id)
    auth.as_role(Role.AUDITOR)
    assert client.get(f"/admin/audit_log/details/?id={created.id}").status_code == 200
    view = entries(action=AuditAction.VIEW_PERSONAL_DATA)[-1]
    assert (view.model, view.record_id) == ("Applicant", str(applicant.id))
