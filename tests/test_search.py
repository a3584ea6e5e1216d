"""The register's search: a caller found by any word of the name, a phone in any format, an address word.

The search documents are rewritten in the same transaction as the change (an ORM flush hook),
so these tests search right after a flush, without a commit, and after a rollback.
"""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Appeal, AppealSearch
from portal.models.enums import Role
from portal.services import search
from portal.services.registration import search_clause
from tests.factories import make_appeal, make_applicant


def found(term: str) -> set[int]:
    return set(db.session.execute(sa.select(Appeal.id).where(search_clause(term))).scalars())


@pytest.fixture
def caller(app):
    applicant = make_applicant(
        full_name="Мар’яненко Ольга Петрівна", phone="+380 67 123 45 67", address="м. Дніпро, вул. Січеславська, 14"
    )
    return make_appeal(
        applicant=applicant, summary="Відсутність гарячої води", content="Прошу відновити водопостачання"
    )


@pytest.mark.parametrize(
    "typed", ["+380 67 123 45 67", "0671234567", "(067) 123-45-67", "380671234567", "67 123 45 67"]
)
def test_a_phone_is_found_whatever_way_it_is_typed(caller, typed):
    assert found(typed) == {caller.id}


@pytest.mark.parametrize("typed", ["Січеславська", "січеславська 14", "Дніпро Січеславська"])
def test_address_words_find_the_appeal(caller, typed):
    assert found(typed) == {caller.id}


@pytest.mark.parametrize("typed", ["Марʼяненко", "мар'яненко", "МАР’ЯНЕНКО ольга", "Ольга", "марян"])
def test_any_word_of_the_name_with_any_apostrophe_and_case(caller, typed):
    assert found(typed) == {caller.id}


def test_content_words_email_and_numbers(app):
    appeal = make_appeal(
        applicant=make_applicant(email="Olga.M@Example.com"),
        reg_number="М-000777/26",
        ukc_number="20123456",
        regional_number="КЦ-555/26",
        content="Прошу відремонтувати ліфт у під’їзді",
    )
    for typed in ("ліфт", "підїзді", "olga.m@example.com", "М-000777/26", "20123456", "КЦ-555/26"):
        assert found(typed) == {appeal.id}, typed


def test_a_text_of_no_searchable_word_finds_nothing(caller):
    assert found("—") == set()


def test_the_document_follows_an_edit_of_the_appeal_and_of_its_applicant(caller):
    caller.summary = "Протікає дах"
    caller.content = ""
    db.session.flush()
    assert found("дах") == {caller.id}
    assert found("водопостачання") == set()
    caller.applicant.phone = "050 765 43 21"
    db.session.flush()
    assert found("0507654321") == {caller.id}
    assert found("0671234567") == set()


def test_a_new_appeal_is_found_before_the_commit_and_a_cancelled_one_never(app):
    appeal = make_appeal(applicant=make_applicant(full_name="Кирилюк Тарас"))
    assert found("Кирилюк") == {appeal.id}
    db.session.rollback()
    assert found("Кирилюк") == set()
    assert db.session.execute(sa.select(sa.func.count()).select_from(AppealSearch)).scalar() == 0


def test_a_deleted_appeal_leaves_the_index(caller):
    db.session.delete(caller)
    db.session.flush()
    assert found("Січеславська") == set()
    assert db.session.get(AppealSearch, caller.id) is None


def test_the_register_search_box_finds_a_caller_by_phone(caller, client, auth):
    db.session.commit()
    auth.as_role(Role.DIRECTOR)
    html = client.get("/admin/appeal/", query_string={"search": "(067) 123-45-67"}).get_data(as_text=True)
    assert caller.reg_number in html


def test_registration_through_the_form_is_searchable_at_once(app, client, auth):
    from tests.conftest import post_form
    from tests.factories import make_topic

    topic = make_topic()
    auth.as_role(Role.CLERK)
    response = post_form(
        client,
        "/admin/appeal/new/",
        {
            "channel": "phone",
            "appeal_type": "statement",
            "subject": "individual",
            "sign": "primary",
            "topic": str(topic.id),
            "summary": "Не вивозять сміття",
            "content": "",
            "signed_by_applicant": "y",
            "new_applicant_name": "Ґудзь Ярина",
            "new_applicant_address": "с. Підгороднє, вул. Ярова, 3",
            "new_applicant_phone": "097-111-22-33",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    for typed in ("ґудзь", "Ярова", "+380971112233", "сміття"):
        assert len(found(typed)) == 1, typed


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("+380 (67) 123-45-67", ["0671234567"]),
        ("П-000125/26", ["п00012526"]),
        ("Ім’я  Прізвище", ["імя", "прізвище"]),
        ("a@b.ua", ["abua"]),
    ],
)
def test_query_normalisation(text, tokens):
    assert search.query_tokens(text) == tokens


def test_the_migrations_build_the_full_text_structures_the_code_expects(app):
    """``search.DDL`` is the full-text index as the search code expects it; the migrations build it from frozen
    copies, and must build exactly that (a change to one without the other fails here)."""
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        built = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'appeal_fts' OR name LIKE 'appeal_search_a_'"
        ).scalars()
        assert set(built) == {s.replace(" IF NOT EXISTS", "") for s in search.DDL["sqlite"]}
        return
    generated = conn.exec_driver_sql(
        "SELECT generation_expression FROM information_schema.columns "
        "WHERE table_name = 'appeal_search' AND column_name = 'tsv'"
    ).scalar_one()
    assert generated == "to_tsvector('simple'::regconfig, terms)"
    assert "to_tsvector('simple', terms)" in search.DDL["postgresql"][0]
    index = conn.exec_driver_sql(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_appeal_search_tsv'"
    ).scalar_one()
    assert index.endswith("USING gin (tsv)") and "USING gin (tsv)" in search.DDL["postgresql"][1]
