"""Intake from e-mail: the parser over a corpus of real-world shapes, drafts, refusals, idempotence, screens, CLI."""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Appeal, Attachment
from portal.models.enums import AttachmentKind, Channel, Role
from portal.models.exchange import IntakeMessage, IntakeSource, IntakeState
from portal.services import intake
from portal.services.errors import DomainError
from tests.conftest import post_form
from tests.factories import make_appeal, make_user

MAIL = os.path.join(os.path.dirname(__file__), "data", "mail")


def raw(name: str) -> bytes:
    with open(os.path.join(MAIL, name), "rb") as fh:
        return fh.read()


def count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


# --- the parser over the corpus ----------------------------------------------------------------------

READABLE = [
    ("multipart_rfc2231.eml", "2611-004301", "Петренко Ганна Іванівна", ["Картка звернення 2611-004301.pdf", "Фото батареї.jpg"]),
    ("cp1251_quoted_printable.eml", "2611-004302", "Коваль Олег Миколайович", []),
    ("koi8u_base64.eml", "2611-004303", "Гнатюк Ірина Степанівна", []),
    ("html_only.eml", "2611-004304", "Мельник Ярослав Богданович", []),
    ("forwarded_quoted.eml", "2611-004305", "Бондар Марія Петрівна", ["Довідка заявника.docx"]),
]  # fmt: skip


@pytest.mark.parametrize("name, ukc, applicant, files", READABLE, ids=[r[0] for r in READABLE])
def test_every_shape_of_message_comes_through_readable(app, name, ukc, applicant, files):
    parsed = intake.parse_message(raw(name))
    data = intake.draft_fields(parsed)
    assert data["ukc_number"] == ukc
    assert data["applicant_name"] == applicant
    assert data["address"].startswith("49000, м. Дніпро, вул. Січеславська Набережна")
    assert data["phone"] == "+380671234567" and data["phone2"] == "+380561234567"
    assert data["email"] == ""  # "—" means none
    assert data["ukc_date"] == "2026-11-27" and data["ukc_time"] == "14:05"
    assert data["regional_date"] == "2026-11-27" and data["control_date"] == "2026-12-27"
    assert data["content"] == (
        "У квартирі з 20 листопада холодні батареї, температура 14 градусів.\n"
        "Прошу забезпечити опалення та повідомити про результат."
    )
    assert data["appeal_type"] == "complaint"
    assert data["topic_id"] is not None and data["social_status_id"] is not None
    assert data["privilege_category_id"] is not None  # "ІІ групи" typed with Cyrillic І
    assert [f.filename for f in parsed.files] == files
    assert data["missing"] == []


def test_the_shared_sample_reads_as_its_readme_says(app):
    parsed = intake.parse_message(raw("shared_sample.eml"))  # a copy of ../shared/samples/ukc-appeal.eml
    data = intake.draft_fields(parsed)
    assert (data["ukc_number"], data["regional_number"]) == ("2611-004217", "45678/01-26")
    assert parsed.sent_at == datetime(2026, 11, 27, 14, 41, tzinfo=UTC)
    assert parsed.files[0].filename == "Картка звернення 2611-004217.pdf"
    assert parsed.files[0].data.startswith(b"%PDF-1.4")


def test_a_forwarded_message_is_received_when_it_reached_us(app):
    parsed = intake.parse_message(raw("forwarded_quoted.eml"))
    assert parsed.sent_at == datetime(2026, 11, 28, 7, 15, tzinfo=UTC)  # the forward's Date, Kyiv +02:00


@pytest.mark.parametrize(
    "label, key",
    [("№ звернення УКЦ", "ukc_number"), ("N  звернення укц", "ukc_number"), ("No. звернення УКЦ", "ukc_number"),
     ("ПІБ заявника", "applicant_name"), ("Ел. пошта", "email"), ("Пільгова категорія", "privilege_text"),
     ("ЗМІСТ", "content"), ("Термін", "control_date"), ("Реєстраційний номер ОКЦ", "regional_number")],
)  # fmt: skip
def test_labels_tolerate_case_spacing_and_number_signs(label, key):
    assert intake.LABELS[intake.label_key(label)] == key


def test_missing_labels_are_named_in_the_draft(app):
    text = raw("multipart_rfc2231.eml").replace(b"Content-Transfer-Encoding: base64\n\n", b"X\n\n", 0)
    parsed = intake.parse_message(text)
    parsed.fields.pop("address")
    parsed.fields.pop("phone")
    data = intake.draft_fields(parsed)
    assert data["missing"] == ["address", "phone"]


# --- taking in: drafts, refusals, duplicates ------------------------------------------------------------


def test_a_message_becomes_a_draft_and_its_original_is_kept(app):
    made = intake.take_in(raw("multipart_rfc2231.eml"), source=IntakeSource.UPLOAD)
    db.session.commit()
    message = made.message
    assert (made.created, message.state) == (True, IntakeState.DRAFT)
    assert message.ukc_number == "2611-004301" and message.reason == ""
    with open(intake.raw_path(message), "rb") as fh:
        assert fh.read() == raw("multipart_rfc2231.eml")
    assert count(Appeal) == 0  # nothing is registered until the clerk presses the button


@pytest.mark.parametrize(
    "name, reason",
    [
        ("broken.eml", "Повідомлення пошкоджене"),
        ("not_an_appeal.eml", "Повідомлення не містить звернення"),
    ],
)
def test_an_unusable_message_is_recorded_with_a_clear_reason_and_nothing_else(app, name, reason):
    with app.test_request_context():
        made = intake.take_in(raw(name), source=IntakeSource.UPLOAD)
        db.session.commit()
    assert made.message.state == IntakeState.REJECTED
    assert made.message.reason.startswith(reason), made.message.reason
    assert (count(Appeal), count(Attachment)) == (0, 0)


def test_a_too_large_message_is_refused_without_keeping_it(app):
    app.config["INTAKE_MAX_BYTES"] = 100_000
    with app.test_request_context():
        made = intake.take_in(raw("too_large.eml"), source=IntakeSource.MAILBOX)
        db.session.commit()
    assert made.message.state == IntakeState.REJECTED
    assert made.message.reason == "Повідомлення завелике: 0.4 МБ, межа — 0.1 МБ."
    assert made.message.raw_key == "" and made.message.raw_size == len(raw("too_large.eml"))


def test_the_same_message_id_never_makes_a_second_draft(app):
    first = intake.take_in(raw("cp1251_quoted_printable.eml"), source=IntakeSource.MAILBOX)
    db.session.commit()
    again = intake.take_in(raw("cp1251_quoted_printable.eml"), source=IntakeSource.UPLOAD)
    db.session.commit()
    assert (again.created, again.message.id) == (False, first.message.id)
    assert count(IntakeMessage) == 1


def test_a_registered_ukc_number_makes_a_duplicate_that_links_the_appeal(app):
    earlier = make_appeal(ukc_number="2611-004303")
    db.session.commit()
    with app.test_request_context():
        made = intake.take_in(raw("koi8u_base64.eml"), source=IntakeSource.MAILBOX)
        db.session.flush()
    assert made.message.state == IntakeState.DUPLICATE
    assert made.message.appeal_id == earlier.id
    assert made.message.reason == f"Звернення УКЦ № 2611-004303 уже зареєстроване за № {earlier.reg_number}."


# --- registering a draft ------------------------------------------------------------------------------------


def test_registering_a_draft_makes_the_appeal_with_receipt_data_and_files(app):
    clerk = make_user(Role.CLERK)
    made = intake.take_in(raw("multipart_rfc2231.eml"), source=IntakeSource.UPLOAD, user=clerk)
    db.session.commit()
    outcome = intake.register_draft(made.message, user=clerk)
    db.session.commit()
    appeal = outcome.registration.appeal
    assert appeal.channel == Channel.GOVERNMENT
    assert (appeal.ukc_number, appeal.ukc_date) == ("2611-004301", date(2026, 11, 27))
    assert (appeal.regional_number, appeal.regional_date) == ("45301/01-26", date(2026, 11, 27))
    assert appeal.received_at == datetime(2026, 11, 27, 14, 41, tzinfo=UTC)
    assert appeal.due_date == date(2026, 12, 27)  # 30 days from receipt, not from registration
    assert appeal.message_id == "<m1@contact-center.example.gov.ua>"
    assert appeal.sender_email == "okc@contact-center.example.gov.ua"
    assert appeal.applicant.full_name == "Петренко Ганна Іванівна" and appeal.is_privileged
    names = sorted((a.kind, a.filename) for a in appeal.attachments)
    assert names == [
        (AttachmentKind.INCOMING, "2611-004301.eml"),
        (AttachmentKind.INCOMING, "Картка звернення 2611-004301.pdf"),
        (AttachmentKind.INCOMING, "Фото батареї.jpg"),
    ]
    assert made.message.state == IntakeState.REGISTERED and made.message.appeal_id == appeal.id


def test_a_draft_whose_number_was_registered_meanwhile_is_refused_with_the_link(app):
    clerk = make_user(Role.CLERK)
    made = intake.take_in(raw("html_only.eml"), source=IntakeSource.UPLOAD, user=clerk)
    earlier = make_appeal(ukc_number="2611-004304")
    db.session.commit()
    with app.test_request_context(), pytest.raises(DomainError) as refused:
        intake.register_draft(made.message, user=clerk)
    assert earlier.reg_number in str(refused.value)
    db.session.rollback()
    assert count(Appeal) == 1


# --- the screens ------------------------------------------------------------------------------------------------


def test_clerk_uploads_an_eml_checks_the_draft_and_registers_it_with_one_button(client, auth):
    auth.as_role(Role.CLERK)
    response = post_form(
        client,
        "/admin/intake/new/",
        {"file": (io.BytesIO(raw("cp1251_quoted_printable.eml")), "лист.eml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    message = db.session.execute(sa.select(IntakeMessage)).scalar_one()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Коваль Олег Миколайович" in page and 'value="2611-004302"' in page
    form = {
        "id": message.id,
        "received_at": "2026-11-27T16:41",
        "ukc_number": "2611-004302",
        "ukc_date": "2026-11-27",
        "applicant_name": "Коваль Олег Миколайович",
        "address": "м. Дніпро, вул. Січеславська Набережна, 15",
        "phone": "+380671234567",
        "appeal_type": "complaint",
        "summary": "Теплопостачання",
        "content": "Холодні батареї",
        "needs_study": "y",
    }
    response = post_form(client, "/admin/intake/register/", form)
    appeal = db.session.execute(sa.select(Appeal)).scalar_one()
    assert response.headers["Location"].endswith(f"/admin/appeal/details/?id={appeal.id}")
    assert appeal.ukc_number == "2611-004302" and appeal.due_date == date(2026, 12, 27)
    # the same file once more: the clerk is told, nothing new is made
    response = post_form(
        client,
        "/admin/intake/new/",
        {"file": (io.BytesIO(raw("cp1251_quoted_printable.eml")), "лист.eml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert f"Це повідомлення вже прийняте раніше (#{message.id})" in response.get_data(as_text=True)
    assert (count(IntakeMessage), count(Appeal)) == (1, 1)


def test_a_broken_eml_gives_the_clerk_a_clear_ukrainian_message(client, auth):
    auth.as_role(Role.CLERK)
    response = post_form(
        client,
        "/admin/intake/new/",
        {"file": (io.BytesIO(raw("broken.eml")), "broken.eml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Повідомлення пошкоджене: у ньому немає заголовків відправника, дати чи Message-ID." in page
    assert count(Appeal) == 0


def test_the_inbox_lists_drafts_errors_and_duplicates_by_tab(client, auth):
    auth.as_role(Role.CLERK)
    make_appeal(ukc_number="2611-004303")
    for name in ("multipart_rfc2231.eml", "broken.eml", "koi8u_base64.eml"):
        intake.take_in(raw(name), source=IntakeSource.MAILBOX)
    db.session.commit()
    drafts = client.get("/admin/intake/?flt0_state=draft").get_data(as_text=True)
    errors = client.get("/admin/intake/?flt0_state=rejected").get_data(as_text=True)
    duplicates = client.get("/admin/intake/?flt0_state=duplicate").get_data(as_text=True)
    assert "2611-004301" in drafts and "2611-004303" not in drafts
    assert "Повідомлення пошкоджене" in errors and "2611-004301" not in errors
    assert "2611-004303" in duplicates and "уже зареєстроване" in duplicates


# --- the command line ---------------------------------------------------------------------------------------------


def test_cli_intake_eml_prints_a_line_per_draft_and_fails_for_what_it_refused(runner):
    good = os.path.join(MAIL, "html_only.eml")
    bad = os.path.join(MAIL, "not_an_appeal.eml")
    result = runner.invoke(args=["intake", "eml", good, bad])
    assert result.exit_code == 1
    assert f"{good}: чернетка #1: УКЦ № 2611-004304, отримано 27.11.2026" in result.stdout
    assert f"{bad}: Непридатне #2: Повідомлення не містить звернення" in result.stderr
    again = runner.invoke(args=["intake", "eml", good])
    assert again.exit_code == 1 and "уже відоме (#1" in again.stderr
    assert count(IntakeMessage) == 2
