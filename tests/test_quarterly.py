"""Quarterly statistics (Classifier 858): figures against a hand-computed fixture of 33 appeals."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.extensions import db
from portal.i18n import KYIV
from portal.models import PrivilegeCategory, SocialStatus
from portal.models.enums import AppealStatus, AppealSubject, AppealType, Channel, ReceiptSign, Role, Sex
from portal.reports import quarterly
from portal.services.errors import DomainError
from tests.factories import make_appeal, make_applicant, make_topic, result_code

S = AppealStatus
TODAY = date(2026, 3, 5)
CHANNELS = [
    Channel.POST,
    Channel.PERSONAL,
    Channel.AUTHORISED,
    Channel.GOVERNMENT,
    Channel.MEDIA,
    Channel.OTHER_BODY,
    Channel.PHONE,
    Channel.WEB,
]
SIGNS = {0: ReceiptSign.PRIMARY, 1: ReceiptSign.PRIMARY, 2: ReceiptSign.REPEATED, 3: ReceiptSign.DUPLICATE}
TYPES = [AppealType.PROPOSAL, AppealType.STATEMENT, AppealType.COMPLAINT]


def at(day: date, hh=12, mm=0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=KYIV)


def code_id(model, code: str) -> int:
    return db.session.execute(sa.select(model.id).filter_by(code=code)).scalar_one()


def build_fixture():
    """32 patterned appeals received 5 January – 5 February 2026, one at 23:59 on 31 March,
    and three that do not count (before and after the quarter, and a cancelled one)."""
    section_a, section_b = make_topic(code="QA", name="Розділ А"), make_topic(code="QB", name="Розділ Б")
    topics = [
        make_topic(code="QA.1", parent=section_a),
        make_topic(code="QA.2", parent=section_a),
        make_topic(code="QB.1", parent=section_b),
    ]
    category = {0: code_id(PrivilegeCategory, "01"), 1: code_id(PrivilegeCategory, "05")}
    pensioner = code_id(SocialStatus, "01")
    for i in range(32):
        received = date(2026, 1, 5) + timedelta(days=i)
        due = received + timedelta(days=30)
        subject = (
            AppealSubject.INDIVIDUAL if i < 26 else AppealSubject.COLLECTIVE if i < 29 else AppealSubject.ANONYMOUS
        )
        applicant = None
        if subject == AppealSubject.INDIVIDUAL:
            applicant = make_applicant(
                sex=Sex.MALE if i % 2 == 0 else Sex.FEMALE,
                privilege_category_id=category.get(i % 5),
                social_status_id=pensioner if i % 4 == 0 else None,
            )
        elif subject == AppealSubject.COLLECTIVE:
            applicant = make_applicant(full_name=f"Мешканці будинку {i}", sex=Sex.UNKNOWN)
        kw = {}
        if i < 10:  # closed: answered on the due date (0–7) or a day late (8, 9)
            kw = {
                "status": S.CLOSED,
                "sent_at": at(due + timedelta(days=0 if i < 8 else 1), 17),
                "closed_at": at(due + timedelta(days=7)),
                "result_code": result_code("positive" if i < 5 else "explained"),
            }
        elif i < 14:  # answer sent, not closed yet
            kw = {"status": S.SENT, "sent_at": at(due - timedelta(days=5))}
        elif i < 16:  # forwarded by competence
            kw = {"status": S.FORWARDED, "forwarded_at": at(received + timedelta(days=3))}
        elif i == 16:  # forwarded, then closed
            kw = {
                "status": S.CLOSED,
                "forwarded_at": at(received + timedelta(days=2)),
                "closed_at": at(received + timedelta(days=6)),
                "result_code": result_code("forwarded"),
            }
        elif i < 19:
            kw = {"status": S.RETURNED_TO_APPLICANT}
        elif i == 19:
            kw = {"status": S.NOT_CONSIDERED}
        else:
            kw = {"status": S.IN_WORK}
        make_appeal(
            registered_at=at(received),
            due_date=due,
            channel=CHANNELS[i % 8],
            sign=SIGNS[i % 4],
            appeal_type=TYPES[i % 3],
            subject=subject,
            applicant=applicant,
            topic=topics[i % 3],
            **kw,
        )
    # the last minute of the quarter in Kyiv counts
    make_appeal(
        registered_at=at(date(2026, 3, 31), 23, 59),
        due_date=date(2026, 4, 30),
        channel=Channel.API,
        appeal_type=AppealType.STATEMENT,
        applicant=make_applicant(sex=Sex.MALE),
        topic=topics[2],
    )
    # these do not: the minute before the quarter, the first minute after it, a cancelled registration
    make_appeal(registered_at=at(date(2025, 12, 31), 23, 59), channel=Channel.POST, topic=topics[0])
    make_appeal(registered_at=at(date(2026, 4, 1), 0, 0), channel=Channel.POST, topic=topics[0])
    make_appeal(registered_at=at(date(2026, 2, 10)), status=S.CANCELLED, channel=Channel.POST, topic=topics[0])
    db.session.flush()


# Hand-computed from the fixture's pattern: 33 appeals. Row keys are the classifier's codes,
# the portal's own channels by name; "-" is the section's "not stated" row.
EXPECTED = {
    "1": {"1.1": 4, "1.2": 4, "1.3": 4, "1.4": 4, "1.5": 4, "1.6": 4, "phone": 4, "web": 4, "api": 1},
    "2": {"2.1": 17, "2.2": 8, "2.3": 8, "2.4": 0, "2.5": 0},
    "3": {"3.1": 11, "3.2": 12, "3.3": 10},
    "4": {"4.1": 14, "4.2": 13, "-": 6},
    "5": {"5.1": 27, "5.2": 3, "5.3": 3},
    "6": {"6.1": 0, "6.2": 25, "6.3": 8},
    "7": {"7.1": 6, "7.5": 5, "-": 22},
    "8": {"8.1": 7, "-": 26},
    "II": {"QA": 22, "QB": 11, "-": 0},
}
EXPECTED_RESULTS = {
    "Вирішено позитивно": 5,
    "Роз'яснено": 5,
    "Не в компетенції (переслано за належністю)": 3,
    "Answer sent, not closed yet": 4,
    "Returned to the applicant (Art. 5)": 2,
    "Not considered (Art. 8)": 1,
    "Under consideration": 13,
}


def _rows(section) -> dict:
    own = {"": None}
    out = {}
    for row in section.rows:
        key = row.code or own.get(row.code)
        if not row.code:
            # unnumbered rows: the portal's channels by their value, else "not stated"
            key = next((c.value for c in Channel if str(row.name) == str(_label(c))), "-")
        out[key] = row.count
    return out


def _label(member):
    from portal.labels import enum_label

    return enum_label(member)


@pytest.fixture
def stats(app):
    with app.test_request_context("/?lang=en"):
        from flask_babel import force_locale

        with force_locale("en"):
            build_fixture()
            yield quarterly.analyse(quarterly.Period.parse("2026-Q1"), today=TODAY)


def test_the_quarter_counts_appeals_received_in_it_in_kyiv_time(stats):
    assert stats.total == 33


@pytest.mark.parametrize("number", list(EXPECTED))
def test_each_section_matches_the_hand_computed_figures_and_adds_up_to_the_total(stats, number):
    section = next(s for s in stats.sections if s.number == number)
    rows = _rows(section)
    for key, count in EXPECTED[number].items():
        assert rows.get(key) == count, (number, key, rows)
    assert section.total == stats.total


def test_the_sections_follow_the_classifiers_order(stats):
    assert [s.number for s in stats.sections] == ["1", "2", "3", "4", "5", "6", "7", "8", "II", "III"]
    codes = [r.code for r in stats.sections[0].rows if r.code]
    assert codes == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6"]


def test_the_results_of_consideration(stats):
    results = {str(r.name): r.count for r in stats.sections[-1].rows}
    for name, count in EXPECTED_RESULTS.items():
        assert results.get(name) == count, (name, results)
    assert stats.sections[-1].total == stats.total


def test_timeliness_is_by_the_answer(stats):
    # answered: 10 closed + 4 sent + 3 forwarded; late: the two sent a day after the due date
    assert (stats.answered, stats.on_time, stats.late) == (17, 15, 2)
    assert stats.on_time_rate == pytest.approx(88.2)
    # awaiting an answer with the due date before 5 March: received up to 2 February (i = 20…28)
    assert stats.overdue_unanswered == 9


@pytest.mark.parametrize(
    "text, first, last",
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_periods(text, first, last):
    period = quarterly.Period.parse(text)
    assert (period.first_day, period.last_day) == (first, last)


@pytest.mark.parametrize("text", ["2026-Q5", "26-Q1", "Q1", ""])
def test_a_wrong_period_is_refused(app, text):
    with app.test_request_context(), pytest.raises(DomainError):
        quarterly.Period.parse(text)


def test_the_xlsx_has_the_same_figures(app, tmp_path):
    with app.test_request_context():
        build_fixture()
        stats = quarterly.analyse(quarterly.Period.parse("2026-Q1"), today=TODAY)
        path = tmp_path / "q.xlsx"
        quarterly.write_xlsx(stats, str(path))
    ws = load_workbook(path).active
    values = [tuple(c.value for c in row[:3]) for row in ws.iter_rows()]
    assert ("1.4", str(_label(Channel.GOVERNMENT)), 4) in values
    assert ("6.3", values[[v[0] for v in values].index("6.3")][1], 8) in values
    assert any(v[0] == "1" and v[2] == 33 for v in values)


def test_the_cli_prints_the_files_path(app, runner):
    with app.test_request_context():
        build_fixture()
        db.session.commit()
    result = runner.invoke(args=["report", "quarterly", "--quarter", "2026-Q1", "--wait"])
    assert result.exit_code == 0, result.output
    path = result.output.strip().splitlines()[-1]
    assert path.endswith(".xlsx") and "2026-Q1" in path
    ws = load_workbook(path).active
    assert any(row[0].value == "1" and row[2].value == 33 for row in ws.iter_rows())


def test_the_page_shows_the_statistics(app, client, auth):
    auth.as_role(Role.CLERK)
    build_fixture()
    db.session.commit()
    html = client.get("/admin/report/quarterly/?quarter=2026-Q1").get_data(as_text=True)
    assert 'id="quarterly-total">33<' in html
    assert 'data-section="II"' in html
