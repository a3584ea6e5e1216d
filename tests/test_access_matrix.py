"""Every admin route × every role × read and write methods, against the permission table.

The routes come from ``app.url_map`` (rules under ``/admin/<endpoint>/``); each must be
classified in ``ROUTES`` / ``EXTRA_ROUTES`` below (a route added later fails
``test_every_admin_route_is_classified`` until it is), and so must every bulk action.

Expected: anonymous → 302 to /login; a role without the right → 403, an ``AuditAction.DENIED``
entry, and (for writes) no row changed anywhere; a role with the right → neither 403 nor 5xx
(200, a redirect, or 404 for a row that does not exist).
"""

from __future__ import annotations

import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portal import create_app
from portal.auth.permissions import can, can_report, is_read_only
from portal.extensions import db
from portal.models.audit import AuditLog
from portal.models.enums import AuditAction, ReportKind, Role
from tests import factories as f
from tests.conftest import CSRF_RE, PG_URL, AuthActions, _config, _truncate_all

MISSING = "999999"
ANON = "anonymous"
ROLES = [ANON, *Role]

# --- the classification: route → what it needs ------------------------------------------------
LOOKUP = "lookup"  # ajax pickers of the create/edit forms: open to whoever may create or edit
WORKFLOW = "workflow"  # one route for all appeal steps: the step itself is checked inside
WEEKLY = "weekly"  # the weekly analysis on screen: report details and the weekly kind
QUARTERLY = "quarterly"  # the quarterly statistics on screen: report details and the quarterly kind
HOME = "home"
APPEAL_DETAILS = "appeal:details"  # appeal card routes served by the intake view: the appeal's permissions
APPEAL_DISPATCH = "appeal:dispatch"

# Flask-Admin's routes on every model view: rule suffix → {method: need}
ROUTES = {
    "/": {"GET": "list"},
    "/details/": {"GET": "details"},
    "/new/": {"GET": "create", "POST": "create"},
    "/edit/": {"GET": "edit", "POST": "edit"},
    "/delete/": {"POST": "delete"},
    "/action/": {"POST": "bulk"},  # expanded per bulk action below
    "/ajax/update/": {"POST": "edit"},
    "/export/<export_type>/": {"GET": "export"},
    "/ajax/lookup/": {"GET": LOOKUP},
}
# Routes the views add: (endpoint, rule suffix) → {method: need}
EXTRA_ROUTES = {
    ("appeal", "/transition/"): {"POST": WORKFLOW},
    ("appeal", "/attach/"): {"POST": "attach"},
    ("appeal", "/attachment/<int:attachment_id>"): {"GET": "details"},
    ("appeal", "/card/"): {"GET": "details"},  # the registration-and-control card (DOCX)
    ("appeal", "/columns/"): {"POST": "list"},  # the list's column chooser (the user's own preference)
    ("appeal", "/export/full/"): {"POST": "export"},  # the whole register as a background export (a report run)
    ("report", "/download/<int:run_id>"): {"GET": "download"},
    ("report", "/weekly/"): {"GET": WEEKLY},
    ("report", "/quarterly/"): {"GET": QUARTERLY},
    ("report", "/status/"): {"GET": "list"},
    ("budget_estimate", "/approve/"): {"POST": "approve"},
    ("budget_amendment", "/approve/"): {"POST": "approve"},
    ("user", "/password/"): {"GET": "reset_password", "POST": "reset_password"},
    ("calendar_day", "/holidays/"): {"POST": "edit"},  # the public-holidays switch
    # screens that are not model lists (issue 13)
    ("records", "/"): {"GET": "list"},
    ("records", "/decide/"): {"POST": "decide"},
    ("applicant", "/"): {"GET": "list"},
    ("applicant", "/details/"): {"GET": "details"},
    ("applicant", "/document/"): {"GET": "export"},
    ("applicant", "/correct/"): {"POST": "edit"},
    ("intake", "/register/"): {"POST": "register"},
    ("intake", "/dismiss/"): {"POST": "dismiss"},
    ("intake", "/raw/"): {"GET": "download"},
    ("intake", "/ukc-batch/"): {"GET": "create", "POST": "create"},
    ("intake", "/ukc-export/"): {"GET": "export"},
    ("intake", "/templates/"): {"GET": "details", "POST": "manage_templates"},
    ("intake", "/template/"): {"GET": "download"},
    ("intake", "/document/"): {"GET": APPEAL_DETAILS},
    ("intake", "/resend/"): {"POST": APPEAL_DISPATCH},
    ("order", "/sign/"): {"POST": "sign"},  # signing makes the appointment or dismissal
    # the bell's page: a user's own notifications
    ("notification", "/"): {"GET": "read"},
    ("notification", "/read-all/"): {"POST": "read"},
    ("notification", "/settings/"): {"POST": "read"},
}
PAGES = ("records", "applicant", "notification")  # endpoints with only EXTRA_ROUTES
# Bulk actions ("With selected"): (endpoint, action) → permission action, None = nobody.
BULK_ACTIONS = {
    ("appeal", "delete"): None,  # appeals leave only through their workflow
    ("executor", "delete"): "delete",
    ("structural_unit", "delete"): "delete",
    ("employee", "delete"): "delete",
    ("staff_position", "delete"): "delete",
    ("order", "delete"): "delete",
    ("budget_estimate", "delete"): "delete",
    ("budget_estimate", "approve"): "approve",
    ("budget_amendment", "delete"): "delete",
    ("budget_line", "delete"): "delete",
    ("expenditure", "delete"): "delete",
    ("report", "delete"): None,
    ("audit_log", "delete"): None,
    ("user", "delete"): None,
    ("user", "disable"): "edit",
    ("user", "enable"): "edit",
    ("calendar_day", "delete"): "delete",
    ("intake", "delete"): None,  # the inbox is a record: messages are set aside, never deleted
}
UNKNOWN_ACTION = "no-such-action"
ENDPOINTS = (
    "appeal",
    "executor",
    "structural_unit",
    "employee",
    "staff_position",
    "order",
    "budget_estimate",
    "budget_amendment",
    "budget_line",
    "expenditure",
    "report",
    "audit_log",
    "user",
    "calendar_day",
    "intake",
)


@dataclass(frozen=True)
class Case:
    endpoint: str
    rule: str
    method: str
    need: str
    bulk_action: str | None = None

    @property
    def id(self) -> str:
        extra = f"[{self.bulk_action}]" if self.bulk_action else ""
        return f"{self.method} {self.endpoint}{self.rule}{extra}"


def _cases() -> list[Case]:
    cases = [Case("admin", "/", "GET", HOME)]
    for endpoint in ENDPOINTS:
        for rule, methods in ROUTES.items():
            for method, need in methods.items():
                if need == "bulk":
                    actions = [a for (e, a) in BULK_ACTIONS if e == endpoint] + [UNKNOWN_ACTION]
                    cases += [Case(endpoint, rule, method, need, a) for a in actions]
                else:
                    cases.append(Case(endpoint, rule, method, need))
    for (endpoint, rule), methods in EXTRA_ROUTES.items():
        cases += [Case(endpoint, rule, method, need) for method, need in methods.items()]
    return cases


CASES = _cases()


def expected_allowed(role, case: Case, area: str) -> bool:
    """What the permission table says about ``role`` on this route."""
    if role == ANON:
        return False
    if case.need == HOME:
        return True
    if case.method != "GET" and is_read_only(role):
        return False
    if case.need == "bulk":
        needed = BULK_ACTIONS.get((case.endpoint, case.bulk_action))
        return needed is not None and can(role, area, needed)
    if case.need == LOOKUP:
        return can(role, area, "create") or can(role, area, "edit")
    if case.need == WORKFLOW:
        return can(role, area, "details")
    if case.need in (APPEAL_DETAILS, APPEAL_DISPATCH):
        return can(role, "appeal", case.need.split(":", 1)[1])
    if case.need == WEEKLY:
        return can(role, area, "details") and can_report(role, ReportKind.WEEKLY)
    if case.need == QUARTERLY:
        return can(role, area, "details") and can_report(role, ReportKind.QUARTERLY)
    return can(role, area, case.need)


# --- one app, one seeded database and one logged-in client per role for the module ------------


class Matrix:
    def __init__(self, app):
        self.app = app
        self.clients: dict = {}
        self.tokens: dict = {}  # each client's CSRF token, valid for its whole session
        self.ids: dict[str, str] = {}
        self.views = {v.endpoint: v for v in app.extensions["admin"][0].registry.values()}

    def area(self, endpoint: str) -> str:
        return "" if endpoint == "admin" else self.views[endpoint].area

    @contextmanager
    def writes(self):
        """Collect every INSERT, UPDATE or DELETE sent to the database (the audit log's aside)."""
        seen: list[str] = []

        def watch(conn, cursor, statement, parameters, context, executemany):
            verb = statement.lstrip().split(None, 1)[0].upper()
            if verb in ("INSERT", "UPDATE", "DELETE") and "audit_log" not in statement.split("(", 1)[0]:
                seen.append(statement)

        with self.app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", watch)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", watch)

    def denials(self) -> int:
        with self.app.app_context():
            return db.session.execute(
                sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == AuditAction.DENIED)
            ).scalar_one()


def _seed(app) -> dict[str, str]:
    """One row behind every screen, visible to every role's scope (the executor's body is assigned)."""
    with app.app_context():
        executor_user = f.make_user(Role.EXECUTOR, username="m_executor")
        signer = f.make_user(Role.SIGNER, username="m_signer")
        appeal = f.make_appeal(direction=signer.direction)
        f.make_assignment(appeal, executor_user.executor)
        line = f.make_line()
        f.make_expenditure(line)
        f.make_employee(position=f.make_position())
        f.make_order()
        from portal.models import BudgetAmendment
        from portal.models.reports import ReportRun

        db.session.add(BudgetAmendment(estimate=line.estimate, number="1", dated=date.today(), reason="Перерозподіл"))
        db.session.add(ReportRun(job_id="matrix-run", kind=ReportKind.WEEKLY, title="weekly"))
        from portal.models import CalendarDay
        from portal.models.enums import CalendarDayKind

        db.session.add(CalendarDay(day=date(2030, 1, 1), kind=CalendarDayKind.PUBLIC_HOLIDAY, name="Новий рік"))
        from portal.models.exchange import IntakeMessage, IntakeSource

        db.session.add(IntakeMessage(source=IntakeSource.UPLOAD, subject="Звернення УКЦ", data={"summary": "x"}))
        for role in Role:
            if role not in (Role.EXECUTOR, Role.SIGNER):
                f.make_user(role, username=f"m_{role.value}")
        db.session.commit()
        ids = {}
        for endpoint in ENDPOINTS:
            model = app.extensions["admin"][0].registry.values()
            view = next(v for v in model if v.endpoint == endpoint)
            first = db.session.execute(sa.select(view.model.id).order_by(view.model.id)).scalar()
            ids[endpoint] = str(first) if first is not None else MISSING
        return ids


def _no_disk_wait(dbapi_connection, record) -> None:
    cursor = dbapi_connection.cursor()
    if PG_URL:
        cursor.execute("SET synchronous_commit = off")
        dbapi_connection.commit()
    else:
        cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


@pytest.fixture(scope="module")
def matrix(_template_db, redis_url, tmp_path_factory):
    base = tmp_path_factory.mktemp("matrix")
    if PG_URL:
        url = PG_URL
    else:
        shutil.copyfile(_template_db["path"], base / "matrix.sqlite")
        url = f"sqlite:///{base / 'matrix.sqlite'}"
    app = create_app(_config(url, redis_url, base))
    if PG_URL:
        _truncate_all(app)
    with app.app_context():  # a throw-away database: no need to wait for the disk on every commit
        db.engine.dispose()
        event.listen(db.engine, "connect", _no_disk_wait)
    m = Matrix(app)
    m.ids = _seed(app)
    for role in ROLES:
        client = app.test_client()
        if role != ANON:
            response = AuthActions(client).login(f"m_{role.value}")
            assert response.status_code == 302, role
        m.clients[role] = client
        m.tokens[role] = _token(client, role)
    yield m
    with app.app_context():
        db.engine.dispose()


def _token(client, role) -> str:
    """The session's CSRF token: an anonymous visitor has one too (from the login form)."""
    html = client.get("/login" if role == ANON else "/admin/").get_data(as_text=True)
    return CSRF_RE.search(html).group(1)


def _request(m: Matrix, role, case: Case, allowed: bool):
    """Send the case's request. Allowed writes aim at a row that does not exist (nothing changes);
    refused ones aim at a real row with plausible data (so a missing check would change it)."""
    client = m.clients[role]
    row = MISSING if allowed and case.method == "POST" else m.ids.get(case.endpoint, MISSING)
    path = re.sub(r"<export_type>", "csv", case.rule)
    # a file route's own row rules (report kinds, appeal scope) are tested with their screens
    path = re.sub(r"<int:\w+>", MISSING if allowed else row, path)
    url = "/admin/" if case.endpoint == "admin" else f"/admin/{case.endpoint}{path}"
    if case.method == "GET":
        query = {"id": row}
        if case.rule == "/ajax/lookup/":
            query = {"name": "executor", "query": "a"}
        return client.get(url, query_string=query)
    data = {"csrf_token": m.tokens[role], "id": row, "url": f"/admin/{case.endpoint}/"}
    query = {"id": row}
    if case.need == "bulk":
        data.update(action=case.bulk_action, rowid=row)
    elif case.rule == "/ajax/update/":
        data.update(list_form_pk=row, name="changed", is_active="y", phone="0", full_name="changed")
    elif case.need == WORKFLOW:
        data.update(action="accept")
    elif case.rule in ("/new/", "/edit/") and not allowed:
        data.update(
            name="changed",
            summary="changed",
            username="changed",
            title="changed",
            number="9",
            full_name="changed",
            year="2031",
            reason="changed",
            amount="1",
            description="changed",
        )
    elif case.rule == "/password/":
        data.update(password="Changed-pass-2031", password_confirm="Changed-pass-2031")
    return client.post(url, data=data, query_string=query)


INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)([^>]*)>", re.I)


def _assert_csp_clean(page: str, csp: str) -> None:
    """Every page a role can open runs under the CSP: no inline handlers, inline scripts only with the nonce."""
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    handler = INLINE_HANDLER.search(page)
    assert handler is None, handler.group(0)
    for attrs in INLINE_SCRIPT.findall(page):
        assert f'nonce="{nonce}"' in attrs, attrs


def test_cases_cover_every_role_and_endpoint():
    assert {c.endpoint for c in CASES} == {"admin", *ENDPOINTS, *PAGES}
    assert len(ROLES) == len(Role) + 1


def test_every_admin_route_is_classified(matrix):
    """A route or bulk action added to any admin view must be classified here."""
    found = set()
    for rule in matrix.app.url_map.iter_rules():
        parts = rule.rule.split("/", 3)  # '', 'admin', '<endpoint>', rest
        if len(parts) < 3 or parts[1] != "admin" or rule.endpoint == "admin.static":
            continue
        endpoint = rule.endpoint.split(".", 1)[0]
        suffix = "/" + parts[3] if len(parts) > 3 else "/"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.add((endpoint, suffix, method))
    classified = {(c.endpoint, c.rule, c.method) for c in CASES}
    assert found - classified == set(), "unclassified admin routes"
    assert classified - found == set(), "classified routes that no longer exist"
    actions = {(endpoint, name) for endpoint, view in matrix.views.items() for name, _ in getattr(view, "_actions", [])}
    assert actions - set(BULK_ACTIONS) == set(), "unclassified bulk actions"
    assert set(BULK_ACTIONS) - actions == set(), "classified bulk actions that no longer exist"


@pytest.mark.parametrize("role", ROLES, ids=lambda r: getattr(r, "value", r))
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_route_answers_as_the_permission_table_says(matrix, case, role):
    allowed = expected_allowed(role, case, matrix.area(case.endpoint))
    denials = matrix.denials() if not allowed and role != ANON else None
    with matrix.writes() as writes:
        response = _request(matrix, role, case, allowed)
        page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()
    if role == ANON:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif allowed:
        assert response.status_code != 403
        assert response.status_code < 500, page[:2000]
        _assert_csp_clean(page, response.headers["Content-Security-Policy"])
    else:
        assert response.status_code == 403
        assert matrix.denials() == denials + 1
    if not allowed:
        assert writes == [], "a refused request wrote to the database"
