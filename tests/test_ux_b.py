"""Issue 12, part B: the registration-and-control card, CSV for Ukrainian Excel, the appeals list's
columns, the grouped history and the Ukrainian names of audited objects."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from docx import Document

from portal import registration_card
from portal.extensions import db
from portal.models.appeals import Resolution
from portal.models.audit import AuditLog
from portal.models.enums import AuditAction, Role
from tests.factories import make_appeal, make_assignment, make_executor, make_user


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


# --- the registration-and-control card (РКК) ------------------------------------------------------


@pytest.fixture
def uk(app):
    """Services translate outside requests here, as they do in jobs."""
    from portal.i18n import default_locale

    with default_locale():
        yield


@pytest.fixture
def resolved_appeal(app):
    signer = make_user(Role.SIGNER, full_name="Коваленко Петро Іванович")
    appeal = make_appeal(ukc_number="2611-004217", regional_number="45678/01-26", signer=signer,
                         outgoing_number="01-14/321", due_date=date(2026, 12, 20))  # fmt: skip
    executor = make_executor(name="Департамент ЖКГ")
    resolution = Resolution(appeal=appeal, signer=signer, text="Розглянути й відповісти заявникові.",
                            resolved_on=date(2026, 11, 21), deadline=date(2026, 12, 18))  # fmt: skip
    db.session.add(resolution)
    make_assignment(appeal, executor, resolution=resolution)
    db.session.commit()
    return appeal


def test_the_card_holds_registration_applicant_receipt_resolution_executors_terms_and_dispatch(uk, resolved_appeal):
    a = resolved_appeal
    text = docx_text(registration_card.render(a, show_personal=True))
    for expected in (
        a.reg_number,
        a.applicant.full_name,
        "2611-004217",
        "45678/01-26",
        "Розглянути й відповісти заявникові.",
        "Департамент ЖКГ",
        "20.12.2026",  # the due date
        "01-14/321",
        "Реєстраційно-контрольна картка",
        "Контрольна дата",
    ):
        assert expected in text, expected


def test_the_card_leaves_the_applicant_out_for_a_role_that_does_not_see_personal_data(uk, resolved_appeal):
    text = docx_text(registration_card.render(resolved_appeal, show_personal=False))
    assert resolved_appeal.applicant.full_name not in text
    assert resolved_appeal.reg_number in text


def test_the_card_is_downloaded_from_the_appeal_card_and_logged(client, auth, resolved_appeal):
    auth.as_role(Role.CLERK)
    page = client.get(f"/admin/appeal/details/?id={resolved_appeal.id}").get_data(as_text=True)
    assert f"/admin/appeal/card/?id={resolved_appeal.id}" in page
    response = client.get(f"/admin/appeal/card/?id={resolved_appeal.id}")
    assert response.status_code == 200 and response.mimetype == registration_card.DOCX_MIMETYPE
    assert "rkk-" in response.headers["Content-Disposition"]
    assert resolved_appeal.applicant.full_name in docx_text(response.data)
    actions = db.session.execute(
        sa.select(AuditLog.action).where(AuditLog.model == "Appeal", AuditLog.record_id == str(resolved_appeal.id))
    ).scalars()
    assert AuditAction.DOWNLOAD in set(actions)


def test_an_executor_of_another_body_gets_no_card(client, auth, resolved_appeal):
    auth.as_role(Role.EXECUTOR)
    assert client.get(f"/admin/appeal/card/?id={resolved_appeal.id}").status_code in (403, 404)


# --- the appeals list's columns, chosen per user ------------------------------------------------------


def header_columns(html: str) -> list[str]:
    import re

    return re.findall(r'<th class="[^"]*column-header col-([a-z_]+)', html)


def test_the_appeals_list_shows_the_due_date_and_the_executor_by_default(client, auth):
    auth.as_role(Role.CLERK)
    make_appeal(summary="Тест")
    db.session.commit()
    columns = header_columns(client.get("/admin/appeal/").get_data(as_text=True))
    assert "due_date" in columns and "main_executor" in columns and "summary" in columns
    assert "channel" not in columns  # offered by the chooser, not shown until chosen


def test_the_columns_a_user_chooses_are_remembered_for_that_user_only(client, auth):
    from tests.conftest import post_form

    make_appeal(summary="Тест")
    db.session.commit()
    clerk = auth.as_role(Role.CLERK)
    response = post_form(client, "/admin/appeal/columns/", {"column": ["due_date", "channel"], "url": "/admin/appeal/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/appeal/")
    assert header_columns(client.get("/admin/appeal/").get_data(as_text=True)) == [
        "reg_number",
        "channel",
        "due_date",
    ]
    auth.logout()
    auth.as_role(Role.CLERK)  # another clerk still sees the defaults
    assert "channel" not in header_columns(client.get("/admin/appeal/").get_data(as_text=True))
    auth.logout()
    auth.login(clerk.username)  # remembered on the server: a new session of the same user
    assert header_columns(client.get("/admin/appeal/").get_data(as_text=True)) == [
        "reg_number",
        "channel",
        "due_date",
    ]
    post_form(client, "/admin/appeal/columns/", {"reset": "1", "url": "/admin/appeal/"})
    assert "main_executor" in header_columns(client.get("/admin/appeal/").get_data(as_text=True))


def test_the_column_chooser_refuses_a_column_the_list_does_not_have(client, auth):
    from tests.conftest import post_form

    auth.as_role(Role.CLERK)
    response = post_form(client, "/admin/appeal/columns/", {"column": ["password_hash"]}, follow_redirects=True)
    assert "Такої колонки в списку немає" in response.get_data(as_text=True)


# --- the History tab and the audit screens ---------------------------------------------------------


def test_the_history_tab_groups_personal_data_views_and_keeps_the_changes(client, auth):
    from tests.test_audit_views import add_entry

    appeal = make_appeal(summary="Немає опалення")
    db.session.commit()
    appeal.summary = "Немає опалення з 1 листопада"
    db.session.commit()
    for _ in range(30):  # more views than the tab's 20 lines: before, they pushed every change out
        add_entry(action=AuditAction.VIEW_PERSONAL_DATA, model="Appeal", record_id=str(appeal.id), username="petrenko")
    auth.as_role(Role.AUDITOR)  # opening the card logs one more view
    html = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    pane = html.split('id="history-pane"', 1)[1]
    assert '<details class="mb-2 portal-history-views" id="history-views">' in pane
    assert "Персональні дані переглядали 31 раз" in pane  # 31: "раз", as Ukrainian counts it
    assert "Немає опалення з 1 листопада" in pane  # the change is still on the tab
    changes = pane.split("</details>", 1)[1]
    assert "Перегляд персональних даних" not in changes.split("</table>", 1)[0]


def test_the_audit_list_names_the_record_it_is_narrowed_to_in_ukrainian(client, auth):
    appeal = make_appeal(reg_number="T-777/26")
    db.session.commit()
    auth.as_role(Role.AUDITOR)
    for value in (f"Appeal:{appeal.id}", f"Звернення:{appeal.id}"):  # the class name still works in links
        html = client.get("/admin/audit_log/", query_string={"flt0_object": value}).get_data(as_text=True)
        assert "Історія запису: Звернення № T-777/26, разом з його частинами" in html
        assert "тип:ID" not in html
    assert f"Appeal:{appeal.id}" not in html  # the Ukrainian form shows no class name


def test_denials_under_every_screen_show_a_ukrainian_type(app):
    from portal.i18n import default_locale
    from portal.services import history

    with default_locale():
        for area in ("applicant", "calendar_day", "intake", "records", "budget_estimate", "ukc_results"):
            label = history.model_label(area)
            assert label != area and not label.isascii(), (area, label)


# --- CSV for Ukrainian Excel ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, latin",
    [
        ("Звернення", "Zvernennia"),
        ("Журнал аудиту", "Zhurnal audytu"),
        ("Виконавці", "Vykonavtsi"),
        ("Штатні посади", "Shtatni posady"),
        ("Згорани Їжакевич Юрій Яготин", "Zghorany Yizhakevych Yurii Yahotyn"),
        ("Кошторис 2026", "Koshtorys 2026"),
    ],
)
def test_transliteration_follows_the_national_rules(text, latin):
    from portal.services.export import transliterate

    assert transliterate(text) == latin


def test_an_export_is_named_after_the_screen_and_the_kyiv_date_and_time():
    from datetime import UTC, datetime

    from portal.services.export import attachment_header, export_filename

    moment = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)  # 09:30 in Kyiv
    assert export_filename("Звернення", "csv", moment) == (
        "zvernennia-2026-12-01-0930.csv",
        "Звернення-2026-12-01-0930.csv",
    )
    header = attachment_header("Журнал аудиту", "csv", moment)
    assert header.startswith('attachment; filename="zhurnal-audytu-2026-12-01-0930.csv"; filename*=UTF-8' + "''")


def test_the_appeals_export_opens_in_ukrainian_excel(client, auth):
    import csv

    auth.as_role(Role.CLERK)
    make_appeal(summary="Опалення; гаряча вода, тиск")
    db.session.commit()
    response = client.get("/admin/appeal/export/csv/")
    disposition = response.headers["Content-Disposition"]
    assert 'filename="zvernennia-' in disposition and disposition.split('"')[1].endswith(".csv")
    assert "filename*=UTF-8''%D0%97%D0%B2%D0%B5%D1%80%D0%BD%D0%B5%D0%BD%D0%BD%D1%8F-" in disposition
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows[0]) == len(rows[1]) > 5  # ";" separates every cell
    assert "Опалення; гаряча вода, тиск" in rows[1]


def test_the_audit_log_export_is_named_and_separated_the_same_way(client, auth):
    auth.as_role(Role.AUDITOR)
    response = client.get("/admin/audit_log/export/csv/?flt0_model=Order")
    assert 'filename="istoriia-' in response.headers["Content-Disposition"]  # the screen «Історія»
    assert response.get_data().startswith(b"\xef\xbb\xbf") and b";" in response.get_data().splitlines()[0]
