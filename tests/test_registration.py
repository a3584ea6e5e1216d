"""Registration: number, due date, derived flags, Art. 5 completeness, repeat detection."""

import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Appeal, Applicant, PrivilegeCategory, RegistrationCounter, StatusChange
from portal.models.enums import AppealStatus, AppealSubject, AppealType, Channel, ReceiptSign, Role
from portal.services import registration
from tests.conftest import PG_URL
from tests.factories import make_appeal, make_applicant, make_direction, make_topic, make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _register(
    applicant=None, *, topic=None, subject=AppealSubject.INDIVIDUAL, channel=Channel.GOVERNMENT, registered_at=NOW, **kw
):
    fields = {
        "channel": channel,
        "appeal_type": AppealType.STATEMENT,
        "subject": subject,
        "topic": topic,
        "summary": "Відсутнє опалення",
        "content": "Прошу вжити заходів.",
        "applicant": applicant,
    }
    fields.update(kw.pop("fields", {}))
    result = registration.register_appeal(registered_at=registered_at, **fields, **kw)
    db.session.flush()
    return result


def test_numbers_follow_the_applicants_initial_and_the_yearly_sequence(app):
    first = _register(make_applicant(full_name="Петренко Петро Петрович")).appeal
    second = _register(make_applicant(full_name="Іваненко Іван Іванович")).appeal
    assert first.reg_number == "П-000001/26"
    assert second.reg_number == "І-000002/26"
    assert (first.reg_seq, second.reg_seq) == (1, 2)


@pytest.mark.parametrize("subject, prefix", [(AppealSubject.COLLECTIVE, "КО"), (AppealSubject.ANONYMOUS, "БП")])
def test_collective_and_anonymous_appeals_carry_their_letters(app, subject, prefix):
    applicant = None if subject == AppealSubject.ANONYMOUS else make_applicant()
    appeal = _register(applicant, subject=subject).appeal
    assert appeal.reg_number == f"{prefix}-000001/26"


def test_the_sequence_restarts_each_year_in_kyiv_time(app):
    _register(make_applicant(full_name="Бойко Ольга Іванівна"))
    new_year_in_kyiv = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # 00:30 on 1 January 2027
    appeal = _register(make_applicant(full_name="Бойко Ольга Іванівна"), registered_at=new_year_in_kyiv).appeal
    assert appeal.reg_number == "Б-000001/27"
    counters = dict(db.session.execute(sa.select(RegistrationCounter.year, RegistrationCounter.last_number)).all())
    assert counters == {2026: 1, 2027: 1}


def test_due_date_and_term_come_from_the_deadline_rules(app):
    normal = _register(make_applicant()).appeal
    quick = _register(make_applicant(), needs_study=False).appeal
    requested = _register(make_applicant(), requested_term_days=10).appeal
    assert (normal.term_days, normal.due_date) == (30, date(2026, 4, 1))
    assert (quick.term_days, quick.due_date) == (15, date(2026, 3, 17))
    assert (requested.term_days, requested.due_date) == (10, date(2026, 3, 12))


def test_direction_comes_from_the_topic_and_privilege_from_the_applicant(app):
    direction = make_direction()
    topic = make_topic(direction=direction)
    category = db.session.execute(sa.select(PrivilegeCategory).filter_by(code="01")).scalar_one()
    appeal = _register(make_applicant(privilege_category=category), topic=topic).appeal
    assert appeal.direction_id == direction.id
    assert appeal.is_privileged is True
    assert _register(make_applicant(), topic=topic).appeal.is_privileged is False


def test_registration_writes_the_initial_state_change(app):
    clerk = make_user(Role.CLERK)
    appeal = _register(make_applicant(), user=clerk).appeal
    changes = db.session.execute(sa.select(StatusChange).filter_by(appeal_id=appeal.id)).scalars().all()
    assert [(c.from_status, c.to_status, c.user_id) for c in changes] == [(None, AppealStatus.REGISTERED, clerk.id)]
    assert appeal.status == AppealStatus.REGISTERED
    assert appeal.created_by_id == clerk.id


def test_a_complete_appeal_has_nothing_missing(app):
    assert _register(make_applicant()).missing == []


@pytest.mark.parametrize(
    "applicant_kw, appeal_kw, expected",
    [
        ({"full_name": "Петренко Петро"}, {}, "name"),
        ({"address": ""}, {}, "address"),
        ({}, {"summary": " ", "content": ""}, "substance"),
        ({"email": ""}, {"channel": Channel.WEB}, "email"),
        ({}, {"channel": Channel.AUTHORISED, "signed_by_applicant": False}, "signature"),
        ({"email": ""}, {"channel": Channel.POST, "signed_by_applicant": False}, "signature_or_email"),
    ],
)
def test_art5_lists_what_is_missing(app, applicant_kw, appeal_kw, expected):
    channel = appeal_kw.pop("channel", Channel.GOVERNMENT)
    result = _register(make_applicant(**applicant_kw), channel=channel, fields=appeal_kw)
    assert result.missing == [expected]


@pytest.mark.parametrize(
    "address, placeholder",
    [
        ("", True),
        (None, True),
        ("-", True),
        ("—", True),
        ("н/д", True),
        ("Н/Д ------------------------------", True),
        ("немає", True),
        ("  ВІДСУТНІЙ!!! ", True),
        ("відсутня,,, ... ___ ;;;", True),
        ("ab", True),
        ("м. Київ", False),
        ("Київ", False),
        ("відсутній1", False),  # ten letters and digits: longer than any placeholder
        ("с. Щасливе, вул. Зелена, 1", False),
        ("м. Дніпро, вул. Шевченка, буд. 12, кв. 5", False),
    ],
)
def test_an_address_that_only_stands_in_for_none_is_missing(address, placeholder):
    from portal.services.normalise import PLACEHOLDERS, is_placeholder, normalise_address

    assert is_placeholder(address) is placeholder
    # the quick answer for long texts is the full rule's
    cleaned = normalise_address(address)
    assert is_placeholder(address) is (len(cleaned.replace(" ", "")) < 3 or cleaned in PLACEHOLDERS)


def test_an_incomplete_appeal_is_still_registered(app):
    result = _register(make_applicant(address=""))
    assert result.appeal.id is not None and result.appeal.status == AppealStatus.REGISTERED
    assert result.missing


def test_an_appeal_by_e_mail_needs_no_handwritten_signature(app):
    result = _register(make_applicant(), channel=Channel.POST, fields={"signed_by_applicant": False})
    assert result.missing == []


def test_an_anonymous_appeal_is_flagged_for_art8(app):
    result = _register(None, subject=AppealSubject.ANONYMOUS)
    assert result.missing == []
    assert result.not_considered_reason is not None


# --- repeat detection ---------------------------------------------------------------------------


def test_same_applicant_same_topic_within_a_year_is_proposed_as_repeated(app):
    topic = make_topic()
    applicant = make_applicant()
    earlier = _register(applicant, topic=topic, registered_at=NOW - timedelta(days=200)).appeal
    earlier.status = AppealStatus.CLOSED  # answered: the new one is a repeat, not a duplicate
    result = _register(applicant, topic=topic)
    assert result.repeat_of is earlier
    assert result.appeal.repeat_of_id == earlier.id
    assert result.appeal.sign == ReceiptSign.REPEATED


def test_another_record_with_the_same_name_and_phone_is_the_same_applicant(app):
    topic = make_topic()
    first = make_applicant(full_name="Дем'яненко Ганна Олексіївна", phone="067 123 45 67", email="")
    earlier = _register(first, topic=topic, registered_at=NOW - timedelta(days=30)).appeal
    again = make_applicant(full_name="  дем’яненко   ганна олексіївна ", phone="+380671234567", email="")
    assert _register(again, topic=topic).repeat_of == earlier


def test_the_same_name_and_e_mail_is_the_same_applicant(app):
    topic = make_topic()
    earlier = _register(
        make_applicant(full_name="Коваль Марія Петрівна", phone="", email="Maria@Example.com"),
        topic=topic,
        registered_at=NOW - timedelta(days=3),
    ).appeal
    again = make_applicant(full_name="Коваль Марія Петрівна", phone="", email="maria@example.com")
    assert _register(again, topic=topic).repeat_of == earlier


@pytest.mark.parametrize("case", ["other_topic", "older_than_a_year", "namesake_other_phone", "same_phone_other_name"])
def test_not_a_repeat(app, case):
    topic, other_topic = make_topic(), make_topic()
    first = make_applicant(full_name="Шевченко Тарас Григорович", phone="+380501112233", email="")
    when = NOW - timedelta(days=400 if case == "older_than_a_year" else 10)
    _register(first, topic=other_topic if case == "other_topic" else topic, registered_at=when)
    second = {
        "namesake_other_phone": make_applicant(
            full_name="Шевченко Тарас Григорович", phone="+380509999999", email="", address="м. Львів, вул. Франка, 5"
        ),
        "same_phone_other_name": make_applicant(full_name="Шевченко Олена Тарасівна", phone="+380501112233", email=""),
    }.get(case, first)
    result = _register(second, topic=topic)
    assert result.repeat_of is None
    assert result.appeal.sign == ReceiptSign.PRIMARY


def test_a_sign_chosen_by_the_clerk_is_kept_when_a_repeat_is_found(app):
    topic = make_topic()
    applicant = make_applicant()
    _register(applicant, topic=topic, registered_at=NOW - timedelta(days=1))
    result = _register(applicant, topic=topic, fields={"sign": ReceiptSign.DUPLICATE})
    assert result.repeat_of is not None
    assert result.appeal.sign == ReceiptSign.DUPLICATE


# --- normalisation and search ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("067 123 45 67", "+380671234567"),
        ("380671234567", "+380671234567"),
        ("(067)123-45-67", "+380671234567"),
        ("671234567", "+380671234567"),
        ("1545", "1545"),
    ],
)
def test_phones_are_stored_in_one_form(raw, expected):
    assert registration.normalise_phone(raw) == expected


@pytest.mark.parametrize("term", ["П-000007/26", "П-7", "п-7/26", "7", "UKC-555", "Петренко", "петренко п"])
def test_search_finds_an_appeal_by_its_numbers_and_the_applicants_name(app, term):
    topic = make_topic()
    for i in range(6):
        _register(make_applicant(full_name=f"Сидоренко Сидір {i}"), topic=topic)
    target = _register(
        make_applicant(full_name="Петренко Петро Петрович"), topic=topic, fields={"ukc_number": "UKC-555"}
    ).appeal
    found = db.session.execute(sa.select(Appeal.id).where(registration.search_clause(term))).scalars().all()
    assert found == [target.id]


def test_register_builds_the_appeal_from_fields_when_none_is_given(app):
    result = registration.register_appeal(
        channel=Channel.PHONE, appeal_type=AppealType.PROPOSAL, summary="Пропозиція", applicant=make_applicant()
    )
    db.session.flush()
    assert isinstance(result.appeal, Appeal) and result.appeal.id is not None
    assert db.session.get(Applicant, result.appeal.applicant_id) is not None


def test_repeat_detection_ignores_appeals_without_topic(app):
    applicant = make_applicant()
    make_appeal(applicant=applicant, registered_at=NOW - timedelta(days=1))
    assert _register(applicant).repeat_of is None


@pytest.mark.skipif(not PG_URL, reason="row locks are a PostgreSQL matter; SQLite serialises writers")
@pytest.mark.committed  # three sessions, each on a connection of its own
@pytest.mark.parametrize("counter_exists", [False, True])
def test_concurrent_registrations_take_distinct_numbers(app, counter_exists):
    if counter_exists:
        db.session.add(RegistrationCounter(year=2030, last_number=5))
        db.session.commit()
    numbers, start = [], threading.Barrier(3)

    def register_one():
        with app.app_context():
            start.wait()
            numbers.append(registration.next_sequence(2030))
            time.sleep(0.2)  # hold the row lock while the other transaction waits for it
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=register_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first = 6 if counter_exists else 1
    assert sorted(numbers) == [first, first + 1, first + 2]
