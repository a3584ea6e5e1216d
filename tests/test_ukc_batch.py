"""Batch exchange with the УКЦ system: CSV/XLSX rows into drafts (preview, row errors, idempotence), results out."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from portal.extensions import db
from portal.models import Appeal, FeedbackProof
from portal.models.enums import FeedbackMethod, Role
from portal.models.exchange import IntakeMessage, IntakeState
from portal.services import ukc_batch
from tests.conftest import post_form
from tests.factories import make_appeal, result_code

HEADER = (
    "№ звернення;Дата створення;Заявник;Адреса;Телефон;E-mail;Соціальний стан;Категорія;Питання/тема;Зміст;Вирішити до"
)
GOOD_1 = "2611-010001;25.11.2026 10:15;Іваненко Іван Іванович;м. Дніпро, вул. Робоча, 1;0671112233;—;пенсіонер;;Теплопостачання;Немає опалення;25.12.2026"
GOOD_2 = "2611-010002;26.11.2026;Сидоренко Олена Петрівна;м. Дніпро, пр. Гагаріна, 2;0501112233;o@example.com;;;;Ямковий ремонт дороги;"
NO_NAME = "2611-010003;26.11.2026;;м. Дніпро;;;;;Тема;Зміст;"
BAD_DATE = "2611-010004;32.13.2026;Петренко Петро Петрович;м. Дніпро;;;;;Тема;Зміст;"
REPEATED = "2611-010001;25.11.2026;Іваненко Іван Іванович;м. Дніпро;;;;;Тема;Зміст;"


def csv_bytes(*rows: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode(encoding)


def drafts() -> list[IntakeMessage]:
    return list(db.session.execute(sa.select(IntakeMessage).order_by(IntakeMessage.id)).scalars())


def test_good_rows_become_drafts_and_bad_rows_are_reported_with_their_reasons(app):
    with app.test_request_context():
        report = ukc_batch.import_batch("ukc.csv", csv_bytes(GOOD_1, GOOD_2, NO_NAME, BAD_DATE, REPEATED))
        db.session.commit()
        lines = ukc_batch.report_lines(report)
    assert [(r.line, r.status) for r in report.rows] == [
        (2, "new"),
        (3, "new"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
    ]
    assert lines[2] == "4: 2611-010003: «Заявник» не заповнено"
    assert lines[3] == "5: 2611-010004: «Дата створення» порожня або не є датою"
    assert lines[4] == "6: 2611-010001: номер повторюється у файлі"
    made = drafts()
    assert [m.ukc_number for m in made] == ["2611-010001", "2611-010002"]
    first = made[0].data
    assert (first["ukc_date"], first["ukc_time"], first["phone"]) == ("2026-11-25", "10:15", "+380671112233")
    assert first["topic_id"] is not None and first["social_status_id"] is not None


def test_a_preview_makes_nothing(app):
    report = ukc_batch.import_batch("ukc.csv", csv_bytes(GOOD_1), dry_run=True)
    db.session.commit()
    assert report.count("new") == 1 and drafts() == []


def test_the_same_file_twice_and_registered_numbers_make_no_second_draft(app):
    make_appeal(ukc_number="2611-010002")
    db.session.commit()
    ukc_batch.import_batch("ukc.csv", csv_bytes(GOOD_1, GOOD_2))
    db.session.commit()
    again = ukc_batch.import_batch("ukc.csv", csv_bytes(GOOD_1, GOOD_2))
    db.session.commit()
    assert [r.status for r in again.rows] == ["duplicate", "duplicate"]
    assert [m.ukc_number for m in drafts()] == ["2611-010001"]


def test_windows_1251_csv_and_xlsx_are_read(app):
    report = ukc_batch.import_batch("ukc.csv", csv_bytes(GOOD_1, encoding="cp1251"), dry_run=True)
    assert report.count("new") == 1
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    sheet.append(["2611-010009", datetime(2026, 11, 25, 9, 30), "Литвин Анна Олегівна", "м. Дніпро", 671112233, None,
                  None, None, "Теплопостачання", "Немає опалення", None])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    report = ukc_batch.import_batch("ukc.xlsx", out.getvalue())
    db.session.commit()
    assert report.count("new") == 1
    assert drafts()[0].data["ukc_time"] == "09:30" and drafts()[0].data["phone"] == "+380671112233"


def test_a_file_without_the_required_columns_is_refused_whole(client, auth):
    auth.as_role(Role.CLERK)
    data = {"file": (io.BytesIO("Номер;Текст\n1;2\n".encode()), "ukc.csv")}
    page = post_form(client, "/admin/intake/ukc-batch/", data, content_type="multipart/form-data").get_data(
        as_text=True
    )
    assert "У файлі бракує стовпців: № звернення, Дата створення, Заявник." in page
    assert drafts() == []


def test_cli_batch_dry_run_prints_rows_and_fails_for_bad_ones(runner, tmp_path):
    path = tmp_path / "ukc.csv"
    path.write_bytes(csv_bytes(GOOD_1, NO_NAME))
    result = runner.invoke(args=["intake", "ukc-batch", str(path), "--dry-run"])
    assert result.exit_code == 1
    assert result.stdout == "2: 2611-010001: стане чернеткою\n"
    assert result.stderr == "3: 2611-010003: «Заявник» не заповнено\n"
    assert drafts() == []
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GOOD_2))
    result = runner.invoke(args=["intake", "ukc-batch", str(good)])
    assert result.exit_code == 0 and result.stdout == "2: 2611-010002: чернетка #1\n"
    assert drafts()[0].state == IntakeState.DRAFT


def test_results_go_back_in_the_ukc_shape(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal(ukc_number="2611-010100", outgoing_number="01-14/77",
                         sent_at=datetime(2026, 11, 26, 10, 0, tzinfo=UTC), result_code=result_code("explained"))  # fmt: skip
    db.session.add(FeedbackProof(appeal=appeal, method=FeedbackMethod.PHONE, contacted_at=datetime(2026, 11, 25, tzinfo=UTC),
                                 result="Заявник задоволений"))  # fmt: skip
    make_appeal(ukc_number="2611-010101")  # not answered: not exported
    db.session.commit()
    response = client.get("/admin/intake/ukc-export/?start=2026-11-20&end=2026-11-30")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows == [
        list(ukc_batch.EXPORT_HEADERS),
        ["2611-010100", "Роз'яснено", "26.11.2026", "01-14/77", "Заявник задоволений"],
    ]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Appeal)).scalar_one() == 2
