"""Timeliness is by the answer (issue 10, item 4): sent or forwarded appeals are never open or overdue —
on the home page, in the lists' overdue filter and its export, in the weekly analysis — and the weekly
analysis counts an answer by its dispatch or forwarding, for the GCC's appeals unless told otherwise."""

from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.i18n import KYIV, kyiv_today
from portal.models.enums import AppealStatus, Channel, Role
from portal.reports import weekly
from portal.reports.weekly import Week
from portal.services import dashboard
from portal.services.errors import DomainError
from tests.factories import make_appeal

S = AppealStatus
W47 = Week(2026, 47)  # Monday 16.11.2026 – Sunday 22.11.2026
DUE = date(2026, 11, 20)  # a Friday of W47


@pytest.fixture(autouse=True)
def _ukrainian(request):
    """Report texts are translated outside requests, as in jobs and the CLI."""
    if "app" not in request.fixturenames:
        yield
        return
    from portal.i18n import default_locale

    request.getfixturevalue("app")
    with default_locale():
        yield


def kyiv(day: date, hh: int = 12, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), KYIV)


# --- the weekly figures, one appeal at a time -------------------------------------------------------


ON_DUE_DAY = kyiv(DUE, 23, 30)
NEXT_DAY = kyiv(DUE + timedelta(days=1), 0, 30)


@pytest.mark.parametrize(
    "status, sent_at, forwarded_at, closed_at, expected",
    [
        # sent on the due date (23:30 Kyiv) and closed a week later: answered on time in W47
        (S.CLOSED, ON_DUE_DAY, None, kyiv(DUE + timedelta(days=7)), "on_time"),
        # sent half an hour after the due day ended, closed at once: late
        (S.CLOSED, NEXT_DAY, None, NEXT_DAY, "late"),
        # answer sent, the case not closed yet: answered on time, neither open nor overdue
        (S.SENT, kyiv(DUE - timedelta(days=2)), None, None, "on_time"),
        (S.SENT, NEXT_DAY, None, None, "late"),
        # forwarded by competence on the due date: on time; the day after: late
        (S.FORWARDED, None, ON_DUE_DAY, None, "on_time"),
        (S.FORWARDED, None, NEXT_DAY, None, "late"),
        (S.CLOSED, None, kyiv(DUE - timedelta(days=1)), kyiv(DUE + timedelta(days=9)), "on_time"),
        # answered the week before and closed in W47: closing counts for nothing
        (S.CLOSED, kyiv(DUE - timedelta(days=7)), None, kyiv(DUE), None),
        (S.FORWARDED, None, kyiv(DUE - timedelta(days=7)), None, None),
        # answered after the week: open at its end, and overdue (due on Friday)
        (S.SENT, kyiv(DUE + timedelta(days=4)), None, None, "overdue"),
        (S.IN_WORK, None, None, None, "overdue"),
        (S.SIGNED, None, None, None, "overdue"),
        # done without an answer, or a cancelled registration: nowhere
        (S.RETURNED_TO_APPLICANT, None, None, None, None),
        (S.NOT_CONSIDERED, None, None, None, None),
        (S.CANCELLED, None, None, None, None),
    ],
)
def test_the_weekly_analysis_counts_the_answer_not_the_closing(app, status, sent_at, forwarded_at, closed_at, expected):
    make_appeal(
        registered_at=kyiv(date(2026, 10, 21)),
        due_date=DUE,
        channel=Channel.GOVERNMENT,
        status=status,
        sent_at=sent_at,
        forwarded_at=forwarded_at,
        closed_at=closed_at,
    )
    db.session.flush()
    s = weekly.summary(W47)
    got = {
        "on_time": s.answered_on_time,
        "late": s.answered_late,
        "within_term": s.open_within_term,
        "overdue": s.open_overdue,
    }
    assert got == {key: int(key == expected) for key in got}
    assert [row["status"] for row in weekly.overdue_list(W47)[0]] == ([status] if expected == "overdue" else [])


def test_a_cancelled_registration_is_not_received(app):
    make_appeal(registered_at=kyiv(date(2026, 11, 17)), channel=Channel.GOVERNMENT, status=S.CANCELLED)
    make_appeal(registered_at=kyiv(date(2026, 11, 17)), channel=Channel.GOVERNMENT, status=S.REGISTERED)
    db.session.flush()
    assert weekly.summary(W47).received == 1


# --- the channel ---------------------------------------------------------------------------------------


@pytest.fixture
def two_channels(app):
    """Received in W47: two from the GCC (1545), one by telephone, one by post (overdue at the week's end)."""
    for channel in (Channel.GOVERNMENT, Channel.GOVERNMENT, Channel.PHONE):
        make_appeal(registered_at=kyiv(date(2026, 11, 17)), due_date=date(2026, 12, 17), channel=channel)
    make_appeal(registered_at=kyiv(date(2026, 10, 1)), due_date=date(2026, 10, 31), channel=Channel.POST)
    db.session.flush()


@pytest.mark.parametrize(
    "channel, received, overdue, title",
    [
        (weekly.UKC_CHANNEL, 2, 0, "звернень, що надійшли з Урядового контактного центру (1545)"),
        (Channel.PHONE, 1, 0, "звернень (форма надходження: «Телефоном»)"),
        (Channel.POST, 0, 1, "(форма надходження: «Поштою"),
        (None, 3, 1, "звернень (усі канали надходження)"),
    ],
)
def test_the_weekly_analysis_is_of_one_channel_and_says_which(two_channels, channel, received, overdue, title):
    analysis = weekly.analyse(W47, channel=channel)
    assert (analysis.summary.received, analysis.summary.open_overdue) == (received, overdue)
    assert title in analysis.title


def test_the_gcc_channel_is_the_default_everywhere(two_channels):
    assert weekly.UKC_CHANNEL == Channel.GOVERNMENT
    assert weekly.analyse(W47).summary.received == weekly.summary(W47).received == 2
    params, title = weekly.normalise_params({"week": "2026-W47"})
    assert params == {"week": "2026-W47", "channel": "government"}
    assert "з УКЦ (1545)" in title
    params, title = weekly.normalise_params({"week": "2026-W47", "channel": "all"})
    assert params["channel"] == "all" and "усі канали" in title


@pytest.mark.parametrize("text", ["ukc", "GOVERNMENT", "1545"])
def test_an_unknown_channel_is_refused_with_the_choices(app, text):
    with pytest.raises(DomainError, match="government"):
        weekly.normalise_params({"week": "2026-W47", "channel": text})


def test_the_workbook_is_titled_with_its_channel(two_channels, tmp_path):
    path = str(tmp_path / "w.xlsx")
    weekly.write_xlsx(weekly.analyse(W47, channel=Channel.PHONE), path)
    first = load_workbook(path).worksheets[0]
    assert "форма надходження: «Телефоном»" in first.cell(row=1, column=1).value
    assert first.cell(row=5, column=2).value == 1  # received


def test_the_cli_takes_a_channel(runner, two_channels):
    db.session.commit()
    result = runner.invoke(args=["report", "weekly", "--week", "2026-W47", "--channel", "phone", "--wait"])
    assert result.exit_code == 0, result.output
    path = result.output.strip().splitlines()[-1]
    assert os.path.isfile(path) and path.endswith(".xlsx") and "-phone-" in os.path.basename(path)
    assert load_workbook(path).worksheets[0].cell(row=5, column=2).value == 1
    refused = runner.invoke(args=["report", "weekly", "--week", "2026-W47", "--channel", "pigeon"])
    assert refused.exit_code != 0 and "pigeon" in refused.output


def test_the_page_picks_the_channel_and_names_it(client, auth, two_channels):
    auth.as_role(Role.DIRECTOR)
    db.session.commit()
    default = client.get("/admin/report/weekly/?week=2026-W47").get_data(as_text=True)
    assert "що надійшли з Урядового контактного центру (1545)" in default
    assert '<option value="government" selected>' in default
    every = client.get("/admin/report/weekly/?week=2026-W47&channel=all").get_data(as_text=True)
    assert "(усі канали надходження)" in every and '<option value="all" selected>' in every
    assert "channel=all" in every  # the previous week and the XLSX keep the channel
    bad = client.get("/admin/report/weekly/?week=2026-W47&channel=pigeon").get_data(as_text=True)
    assert "pigeon" in bad and "alert-danger" in bad


# --- sent and forwarded appeals are done: nowhere open or overdue ----------------------------------------


@pytest.fixture
def past_due(app):
    """Four appeals whose due date passed five days ago: in work, sent, forwarded, closed."""
    due = kyiv_today() - timedelta(days=5)
    received = kyiv(due - timedelta(days=30))
    rows = {
        status: make_appeal(
            status=status,
            registered_at=received,
            due_date=due,
            sent_at=kyiv(due) if status in (S.SENT, S.CLOSED) else None,
            forwarded_at=kyiv(due - timedelta(days=25)) if status == S.FORWARDED else None,
            closed_at=kyiv(due + timedelta(days=1)) if status == S.CLOSED else None,
            channel=Channel.GOVERNMENT,
        )
        for status in (S.IN_WORK, S.SENT, S.FORWARDED, S.CLOSED)
    }
    db.session.commit()
    return rows


def test_the_home_page_counts_only_the_unanswered_as_overdue(client, auth, past_due):
    user = auth.as_role(Role.DIRECTOR)
    board = dashboard.for_user(user)["appeals"]
    assert board["overdue"] == 1
    assert dict(board["by_status"]).get(S.SENT) is None and dict(board["by_status"]).get(S.FORWARDED) is None
    assert sum(n for _status, n in board["by_status"]) == 1


def test_the_overdue_filter_and_its_export_hold_only_the_unanswered(client, auth, past_due):
    auth.as_role(Role.DIRECTOR)
    html = client.get("/admin/appeal/?flt0_overdue=1").get_data(as_text=True)
    assert f"details/?id={past_due[S.IN_WORK].id}" in html
    for status in (S.SENT, S.FORWARDED, S.CLOSED):
        assert f"details/?id={past_due[status].id}" not in html
    opened = client.get("/admin/appeal/?flt0_open=1").get_data(as_text=True)
    assert f"details/?id={past_due[S.SENT].id}" not in opened
    response = client.get("/admin/appeal/export/csv/?flt0_overdue=1")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    numbers = {row[0].lstrip("'") for row in rows[1:] if row}
    assert numbers == {past_due[S.IN_WORK].reg_number}


def test_the_weekly_analysis_of_this_week_counts_only_the_unanswered_as_overdue(app, past_due):
    week = Week.of(kyiv_today())
    assert [row["id"] for row in weekly.overdue_list(week)[0]] == [past_due[S.IN_WORK].id]
    assert weekly.summary(week).open_overdue == 1
