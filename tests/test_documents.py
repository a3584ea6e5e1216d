"""Answer documents from DOCX templates: what they hold, and the director replacing a template."""

from __future__ import annotations

import io

import pytest
from docx import Document

from portal import documents
from portal.extensions import db
from portal.models import Answer
from portal.models.enums import AnswerKind, Role
from portal.models.exchange import DocumentTemplate
from portal.services.errors import DomainError
from tests.conftest import post_form
from tests.factories import make_appeal, make_assignment, make_executor, make_user


def text_of(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


@pytest.fixture
def appeal(app):
    signer = make_user(Role.SIGNER, full_name="Коваленко Петро Іванович")
    appeal = make_appeal(ukc_number="2611-004217", regional_number="45678/01-26", signer=signer,
                         outgoing_number="01-14/321")  # fmt: skip
    appeal.main_executor = make_executor(name="Департамент ЖКГ")
    make_assignment(appeal, appeal.main_executor)
    db.session.add(Answer(appeal=appeal, kind=AnswerKind.TO_REGIONAL_CENTER, body="Опалення відновлено 1 грудня."))
    db.session.add(Answer(appeal=appeal, kind=AnswerKind.TO_APPLICANT, body="Шановна пані Ганно! Опалення відновлено."))
    db.session.commit()
    return appeal


@pytest.mark.parametrize("kind, answer", [(AnswerKind.TO_REGIONAL_CENTER, "Опалення відновлено 1 грудня."),
                                          (AnswerKind.TO_APPLICANT, "Шановна пані Ганно! Опалення відновлено.")])  # fmt: skip
def test_an_answer_holds_the_numbers_the_names_and_the_text(appeal, kind, answer):
    text = text_of(documents.render_answer(appeal, kind))
    for expected in ("2611-004217", appeal.reg_number, "01-14/321", appeal.applicant.full_name, answer,
                     "Коваленко Петро Іванович", "Департамент ЖКГ"):  # fmt: skip
        assert expected in text
    assert "{{" not in text


def test_the_executor_downloads_the_drafts_of_an_assigned_appeal(client, auth, appeal):
    executor = appeal.assignments[0].executor
    auth.as_role(Role.EXECUTOR, executor=executor)
    response = client.get(f"/admin/intake/document/?id={appeal.id}&kind=to_applicant")
    assert response.status_code == 200 and response.mimetype == documents.DOCX_MIMETYPE
    assert "Шановна пані Ганно!" in text_of(response.data)


def test_an_executor_of_another_body_gets_no_document(client, auth, appeal):
    auth.as_role(Role.EXECUTOR)
    assert client.get(f"/admin/intake/document/?id={appeal.id}&kind=to_applicant").status_code == 404


def _template(text: str) -> bytes:
    doc = Document()
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_the_director_replaces_a_template_and_earlier_versions_are_kept(client, auth, appeal):
    auth.as_role(Role.DIRECTOR)
    for n in (1, 2):
        data = {"kind": "to_applicant", "file": (io.BytesIO(_template(f"Версія {n}: {{{{ answer_text }}}}")), "t.docx")}
        response = post_form(client, "/admin/intake/templates/", data, content_type="multipart/form-data")
        assert response.status_code == 302
    versions = documents.versions(AnswerKind.TO_APPLICANT)
    assert [v.version for v in versions] == [2, 1]
    assert (
        text_of(documents.render_answer(appeal, AnswerKind.TO_APPLICANT))
        == "Версія 2: Шановна пані Ганно! Опалення відновлено."
    )
    page = client.get("/admin/intake/templates/").get_data(as_text=True)
    assert page.count("template/?id=") == 4  # both versions and the two shipped ones stay downloadable


@pytest.mark.parametrize("content, message", [
    (_template("{{ no_such_field }}"), "Невідомі поля в шаблоні: no_such_field."),
    (b"not a zip at all", "Файл не є документом DOCX"),
])  # fmt: skip
def test_a_template_that_does_not_render_is_refused(client, auth, content, message):
    auth.as_role(Role.DIRECTOR)
    data = {"kind": "to_applicant", "file": (io.BytesIO(content), "t.docx")}
    page = post_form(client, "/admin/intake/templates/", data, content_type="multipart/form-data",
                     follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert message in page
    assert db.session.query(DocumentTemplate).count() == 0


def test_a_clerk_may_not_replace_a_template(client, auth):
    auth.as_role(Role.CLERK)
    data = {"kind": "to_applicant", "file": (io.BytesIO(_template("x")), "t.docx")}
    assert post_form(client, "/admin/intake/templates/", data, content_type="multipart/form-data").status_code == 403


def test_replace_template_refuses_a_missing_file(app):
    with app.test_request_context(), pytest.raises(DomainError):
        documents.replace_template("to_applicant", None, user=None)
