"""Lists that do not grow with the table: index plans, statements per page, keyset pages, capped counts.

The plan test replays every SQL statement a list request runs under ``EXPLAIN QUERY PLAN``
(SQLite) or ``EXPLAIN`` with sequential scans disabled (PostgreSQL: on a tiny test table the
planner would otherwise prefer one) and fails on a full scan of ``appeal`` or ``audit_log``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Appeal
from portal.models.enums import OPEN_STATUSES, AppealStatus, AuditAction, ExecutorRole, Role
from portal.services import audit
from tests.factories import make_appeal, make_applicant, make_assignment, make_executor, make_topic

LIST_ROW = re.compile(r"/admin/appeal/details/\?id=(\d+)")


def add_appeals(n: int, **kw) -> list[Appeal]:
    executor = make_executor()
    topic = make_topic()
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    appeals = []
    for i in range(n):
        appeal = make_appeal(
            applicant=make_applicant(),
            topic=topic,
            main_executor=executor,
            registered_at=start + timedelta(hours=i // 2),  # pairs share a moment: the id breaks ties
            **kw,
        )
        make_assignment(appeal, executor)
        appeals.append(appeal)
    db.session.commit()
    return appeals


class Spy:
    def __init__(self):
        self.statements: list[tuple[str, object]] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self)


def full_scans(statement: str, parameters, tables=("appeal", "audit_log")) -> list[str]:
    """The plan lines of ``statement`` that read all of one of ``tables`` (by default appeal or audit_log)."""
    names = "|".join(tables)
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            scans = [line for line in plan if re.match(rf"^SCAN ({names})\b(?! USING)", line)]
            # an unfiltered page walked in rowid order stops after LIMIT rows: not a full scan
            walk = " LIMIT " in statement and " WHERE " not in statement and not any("TEMP B-TREE" in x for x in plan)
            return [] if walk else scans
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = [row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]
        conn.rollback()
        return [line for line in plan if re.search(rf"Seq Scan on ({names})\b", line)]


LIST_URLS = [
    "/admin/appeal/",
    "/admin/appeal/?page=3",
    "/admin/appeal/?after=2026-01-05T10:00:00%2B00:00,3&page=1",
    "/admin/appeal/?before=",
    "/admin/appeal/?search=Петренко",
    "/admin/appeal/?search=0671234567",
    "/admin/appeal/?search=T-5/26",
    "/admin/appeal/?flt0_status=in_work",
    "/admin/appeal/?flt0_overdue=1",
    "/admin/appeal/?flt0_privileged=1",
    "/admin/appeal/?flt0_main_executor={executor}",
    "/admin/appeal/?flt0_executor={executor}",
    "/admin/appeal/?sort=9&desc=1",
    "/admin/appeal/?sort=9&desc=1&after=2026-02-04,3",
    "/admin/audit_log/",
    "/admin/audit_log/?after=5&page=2",
    "/admin/audit_log/?flt0_user=clerk1",
    "/admin/audit_log/?flt0_model=Appeal",
    "/admin/audit_log/?flt0_object=Appeal:1",
]


@pytest.mark.parametrize("url", LIST_URLS)
def test_no_list_query_reads_the_whole_appeal_or_audit_table(app, client, auth, url):
    appeals = add_appeals(6, status=AppealStatus.IN_WORK)
    with audit.acting_as(audit.Actor(None, "clerk1", "clerk", "")):
        audit.log_event(AuditAction.LOGIN, model="User", label="clerk1")
    db.session.commit()
    auth.as_role(Role.DIRECTOR if "/appeal/" in url else Role.AUDITOR)
    with Spy() as spy:
        response = client.get(url.format(executor=appeals[0].main_executor_id))
    assert response.status_code == 200
    selects = [
        (s, p)
        for s, p in spy.statements
        if s.lstrip().upper().startswith("SELECT") and re.search(r"\b(appeal|audit_log)\b", s)
    ]
    assert selects
    for statement, parameters in selects:
        assert not full_scans(statement, parameters), statement


# --- the home page of every role and the "overdue" list: only open appeals are read ------------

HOME_ROLES = [Role.DIRECTOR, Role.CLERK, Role.SIGNER, Role.EXECUTOR, Role.ACCOUNTANT, Role.AUDITOR]
OPEN_LISTS = ["/admin/appeal/?flt0_overdue=1", "/admin/appeal/?flt0_near_due=1", "/admin/appeal/?flt0_open=1"]


def wide_reads(statement: str, parameters) -> list[str]:
    """The parts of ``statement``'s plan that read appeals other than by their state or id (SQLite).

    Open appeals are a small share of the register, so a home page or a work list that starts
    from the state (an index whose constraint includes ``status``) reads a bounded number of
    rows, and so does a due date from today on (a term runs at most 45 days, so only the last
    weeks' appeals have one); a past range of due dates, a flag or an executor alone reads
    years of closed appeals, and so does a list of all the appeal ids an executor body was ever
    assigned (its open assignments are few: their partial index may be read whole). SQLite's
    plans follow the indexes (there are no statistics), so they are the same on a test's few
    rows as on a million; PostgreSQL picks by the tables' statistics, and on a
    few rows any index will do (its plans at scale: docs/benchmarks.md), so there only the full
    scans are checked.
    """
    with db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            return []
        plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    reads = [line for line in plan if re.match(r"^(SCAN|SEARCH) appeal\b", line)]
    # the state, alone or after an executor, direction or signer; one row by its id; due from today on
    wide = [line for line in reads if not re.search(r"\((\w+=\? AND )?(rowid|status)=|\(due_date>\?", line)]
    # a body's assignments are probed per appeal, never read whole (a body has years of them); its open
    # ones are few (ix_assignment_open_executor, partial): those may be read whole
    probes = [line for line in plan if re.match(r"^(SCAN|SEARCH) assignment\b", line)]
    return wide + [line for line in probes if "appeal_id=" not in line and "ix_assignment_open_executor (" not in line]


def _appeal_selects(spy) -> list[tuple[str, object]]:
    return [
        (s, p) for s, p in spy.statements if s.lstrip().upper().startswith("SELECT") and re.search(r"\bappeal\b", s)
    ]


def _home_world() -> dict:
    """Open appeals of every work state, some overdue, privileged, reworked, shared with a co-executor."""
    from portal.i18n import kyiv_today
    from tests.factories import make_direction

    direction, body, other = make_direction(), make_executor(), make_executor()
    today = kyiv_today()
    open_states = [s for s in AppealStatus if s in OPEN_STATUSES]
    for i, status in enumerate(open_states * 2 + [AppealStatus.SENT, AppealStatus.CLOSED]):
        appeal = make_appeal(
            status=status,
            direction=direction,
            main_executor=body,
            due_date=today + timedelta(days=(-3, 1, 20)[i % 3]),
            is_privileged=i % 2 == 0,
            rework_count=i % 2,
        )
        make_assignment(appeal, body)
        make_assignment(appeal, other, executor_role=ExecutorRole.CO_EXECUTOR, position=2)
    db.session.commit()
    return {"direction": direction, "executor": body}


def _login_home_user(auth, role: Role, world: dict):
    extra = {"direction": world["direction"]} if role == Role.SIGNER else {}
    if role == Role.EXECUTOR:
        extra = {"executor": world["executor"]}
    return auth.as_role(role, **extra)


@pytest.mark.parametrize("role", HOME_ROLES)
def test_the_home_page_reads_only_open_appeals(client, auth, role):
    world = _home_world()
    _login_home_user(auth, role, world)
    with Spy() as spy:
        response = client.get("/admin/")
    assert response.status_code == 200
    selects = _appeal_selects(spy)
    assert bool(selects) == (role != Role.ACCOUNTANT)  # the accountant's home has no appeals
    for statement, parameters in selects:
        assert not full_scans(statement, parameters), statement
        assert not wide_reads(statement, parameters), statement


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.EXECUTOR])
@pytest.mark.parametrize("url", OPEN_LISTS)
def test_the_overdue_and_other_work_lists_read_only_open_appeals(client, auth, role, url):
    world = _home_world()
    _login_home_user(auth, role, world)
    with Spy() as spy:
        response = client.get(url)
    assert response.status_code == 200 and LIST_ROW.search(response.get_data(as_text=True))
    selects = _appeal_selects(spy)
    assert selects
    for statement, parameters in selects:
        assert not full_scans(statement, parameters), statement
        assert not wide_reads(statement, parameters), statement


# --- work lists: their legal order read from the state index, one ordered read per state -------------

WORK_LISTS = [
    "/admin/appeal/?flt0_status=in_work",
    "/admin/appeal/?flt0_status=in_work&page=1",
    "/admin/appeal/?flt0_overdue=1",
    "/admin/appeal/?flt0_near_due=1",
    "/admin/appeal/?flt0_open=1",
    "/admin/appeal/?flt0_open=1&page=2",
    "/admin/appeal/?flt0_overdue=1&flt1_privileged=1",
]
WORK_INDEX = "ix_appeal_status_privileged_due"


def work_list_sorts(statement: str, parameters) -> list[str]:
    """What in ``statement``'s plan sorts appeals read other than by their id (empty: none).

    SQLite: every read of ``appeal`` is by rowid or a range of one state in WORK_INDEX, and a
    temporary B-tree sorts only what such reads gave (the merged states' keys, a page read by
    id). PostgreSQL (sorts disabled: on a few rows it would sort rather than walk an index):
    the state index is read, and a list over several states merges the ordered reads.
    """
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = list(conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            reads = [r for r in rows if re.match(r"^(SCAN|SEARCH) appeal\b", r[-1])]
            bad = [
                r[-1] for r in reads if "INTEGER PRIMARY KEY" not in r[-1] and f"{WORK_INDEX} (status=?" not in r[-1]
            ]
            for sort in (r for r in rows if "TEMP B-TREE" in r[-1]):
                bad += [r[-1] for r in reads if r[1] == sort[1] and "INTEGER PRIMARY KEY" not in r[-1]]
            return bad
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_sort = off")
        conn.exec_driver_sql("SET enable_incremental_sort = off")
        plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
        conn.rollback()
    several = statement.count(" UNION ALL ") > 0
    ok = WORK_INDEX in plan and ("Merge Append" in plan if several else True)
    return [] if ok else [plan]


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.EXECUTOR])
@pytest.mark.parametrize("url", WORK_LISTS)
def test_a_work_list_reads_its_page_in_the_legal_order_from_the_state_index(client, auth, role, url):
    world = _home_world()
    _login_home_user(auth, role, world)
    with Spy() as spy:
        response = client.get(url)
    assert response.status_code == 200
    pages = [(s, p) for s, p in _appeal_selects(spy) if "ORDER BY appeal.is_privileged DESC" in s]
    assert pages
    for statement, parameters in pages:
        assert "appeal.due_date, appeal.id" in statement  # the legal order, the id last
        assert not work_list_sorts(statement, parameters), statement
        assert not full_scans(statement, parameters), statement
    several = "status=" not in url
    assert any(" UNION ALL " in s for s, _ in pages) == several  # one ordered read per state, merged


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.CLERK, Role.EXECUTOR])
def test_the_home_pages_urgent_queue_reads_one_ordered_range_per_state(client, auth, role):
    world = _home_world()
    _login_home_user(auth, role, world)
    with Spy() as spy:
        assert client.get("/admin/").status_code == 200
    urgent = [(s, p) for s, p in _appeal_selects(spy) if "ORDER BY appeal.is_privileged DESC" in s]
    assert urgent and all(" UNION ALL " in s for s, _ in urgent)
    for statement, parameters in urgent:
        assert not work_list_sorts(statement, parameters), statement


# --- an executor's open appeals: read from the body's open assignments, never all it ever had ---------

OPEN_INDEX = "ix_assignment_open_executor"
EXECUTOR_OPEN_PAGES = [
    "/admin/",
    "/admin/appeal/?flt0_overdue=1",
    "/admin/appeal/?flt0_open=1",
    "/admin/appeal/?flt0_near_due=1",
    "/admin/appeal/?flt0_status=in_work",
    "/admin/appeal/?flt0_status=in_work&page=1",
    "/admin/appeal/?flt0_status=assigned&flt1_main_executor={executor}",
    "/admin/appeal/?flt0_open=1&flt1_co_executor={executor}",  # the home page's co-executions
    "/admin/appeal/?flt0_overdue=1&flt1_executor={executor}",
]


def body_reads(statement: str, parameters) -> list[str]:
    """What in ``statement``'s plan reads an executor body's assignments other than through its open ones' index
    (empty: none).

    A body has years of assignments (1.2 million at ten million appeals) and a few thousand
    open. SQLite: every read of ``assignment`` is in the open ones' partial index (its WHERE
    matched: a clause spelled otherwise would fall back to the index of all of them).
    PostgreSQL: on a test's few rows the planner's choice among the table's indexes turns on
    the statistics the suite left behind, so the plan is asked with every other index of
    ``assignment`` dropped (its primary key too, inside a savepoint rolled back) and without
    sequential scans: the partial index is then the only way in, and the planner takes it
    whenever the WHERE implies its predicate; a sequential scan is left where it does not.
    """
    conn = db.session.connection()  # the test's own: the rows it made are not committed
    if conn.dialect.name == "sqlite":
        plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
        reads = [line for line in plan if re.match(r"^(SCAN|SEARCH) assignment\b", line)]
        return [line for line in reads if OPEN_INDEX not in line] + ([] if reads else ["no read of assignment"])
    conn.exec_driver_sql("SAVEPOINT body_reads")
    try:
        conn.exec_driver_sql("ALTER TABLE assignment DROP CONSTRAINT pk_assignment CASCADE")
        others = conn.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'assignment' AND indexname <> %(open)s",
            {"open": OPEN_INDEX},
        ).scalars()
        for name in list(others):
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = [row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]
    finally:
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT body_reads")  # the indexes, the key and the setting come back
    bad = [line.strip() for line in plan if "Seq Scan on assignment" in line]
    return bad + ([] if bad or any(OPEN_INDEX in line for line in plan) else ["no read of assignment"])


@pytest.mark.parametrize("url", EXECUTOR_OPEN_PAGES)
def test_an_executors_home_and_work_lists_read_only_the_bodys_open_assignments(client, auth, url):
    world = _home_world()
    _login_home_user(auth, Role.EXECUTOR, world)
    with Spy() as spy:
        response = client.get(url.format(executor=world["executor"].id))
    assert response.status_code == 200
    scoped = [(s, p) for s, p in _appeal_selects(spy) if re.search(r"\bassignment\b", s)]
    assert scoped
    for statement, parameters in scoped:
        assert not body_reads(statement, parameters), statement


def test_an_executors_list_of_every_state_keeps_the_whole_scope(client, auth):
    """A list that may hold finished appeals (no filter, a finished state) finds them through every assignment."""
    world = _home_world()
    _login_home_user(auth, Role.EXECUTOR, world)
    for url in ("/admin/appeal/", "/admin/appeal/?flt0_status=closed", "/admin/appeal/?flt0_open=0"):
        with Spy() as spy:
            html = client.get(url).get_data(as_text=True)
        assert LIST_ROW.search(html), url  # the closed appeal of _home_world is listed
        assert not any("appeal_open" in s for s, _ in _appeal_selects(spy)), url


def test_a_work_list_over_several_states_pages_in_the_legal_order_and_counts_exactly(client, auth):
    from portal.i18n import kyiv_today

    today = kyiv_today()
    open_states = sorted((s for s in OPEN_STATUSES), key=lambda s: s.value)
    appeals = []
    for i in range(45):  # every open state, terms repeating across states, some privileged; a few finished
        appeals.append(
            make_appeal(
                status=open_states[i % len(open_states)],
                due_date=today - timedelta(days=1 + (i * 7) % 11),
                is_privileged=i % 5 == 0,
                registered_at=datetime(2026, 1, 5, tzinfo=UTC) + timedelta(hours=45 - i),
            )
        )
    for status in (AppealStatus.CLOSED, AppealStatus.SENT):
        make_appeal(status=status, due_date=today - timedelta(days=3), is_privileged=True)
    db.session.commit()
    expected = [a.id for a in sorted(appeals, key=lambda a: (not a.is_privileged, a.due_date, a.id))]
    auth.as_role(Role.DIRECTOR)
    for url in ("/admin/appeal/?flt0_overdue=1&page_size=20", "/admin/appeal/?flt0_open=1&page_size=20"):
        shown = []
        for page in range(3):
            html = client.get(f"{url}&page={page}").get_data(as_text=True)
            shown += _ids(html)
            count = re.search(r'portal-list-count">([^<]*)<', html)
            assert count and re.search(r"\b45\b", count.group(1))  # the count is exact below the cap
        assert shown == expected


@pytest.mark.parametrize(
    "args, work",
    [
        ("flt0_open=1", True),
        ("flt0_overdue=1", True),
        ("flt0_near_due=1", True),
        ("flt0_status=in_work", True),
        ("flt0_status=in_work&flt1_open=1", True),
        ("flt0_open=0", False),  # finished appeals: no queue, the register's order
        ("flt0_status=closed", False),
        ("flt0_status=closed&flt1_open=1", False),  # nothing can match: no queue
        ("flt0_privileged=1", False),
        ("", False),
    ],
)
def test_a_list_is_a_work_queue_exactly_when_its_filters_allow_only_states_awaiting_an_answer(client, auth, args, work):
    """One reading of the filters decides both whether a list is a queue (its legal order) and which
    states its page reads: the list, its export and its page plan cannot disagree."""
    from admin_views.appeals import _is_work_list, _work_list_states

    keys = [tuple(part.split("=")) for part in args.split("&") if part]
    states = _work_list_states([(key.split("_", 1)[1], value) for key, value in keys])
    assert _is_work_list(states) == work
    auth.as_role(Role.DIRECTOR)
    with Spy() as spy:
        assert client.get(f"/admin/appeal/?{args}").status_code == 200
    legal = any("ORDER BY appeal.is_privileged DESC" in s for s, _ in _appeal_selects(spy))
    assert legal == work


@pytest.mark.parametrize("role", HOME_ROLES)
def test_the_home_page_runs_the_same_few_statements_however_many_appeals(client, auth, role):
    world = _home_world()
    _login_home_user(auth, role, world)
    client.get("/admin/")  # after a commit: the kept menu, the calendar, the user reloaded
    few = _statements_for(client, "/admin/")
    _home_world()
    add_appeals(12, status=AppealStatus.IN_WORK)
    client.get("/admin/")
    many = _statements_for(client, "/admin/")
    assert few == many
    assert many <= 16


def _statements_for(client, url: str) -> int:
    with Spy() as spy:
        response = client.get(url)
    assert response.status_code == 200
    return len(spy.statements)


def test_a_page_runs_the_same_number_of_statements_whatever_its_size(app, client, auth):
    add_appeals(60)
    auth.as_role(Role.DIRECTOR)
    client.get("/admin/appeal/")  # first request: lazy option lists, caches
    small = _statements_for(client, "/admin/appeal/?page_size=20")
    large = _statements_for(client, "/admin/appeal/?page_size=100")
    assert small == large
    assert large <= 15


def _ids(html: str) -> list[int]:
    return [int(i) for i in dict.fromkeys(LIST_ROW.findall(html))]


def _walk_next_links(client, url: str, capped: tuple[str, ...], pages: int = 5) -> list[int]:
    """The row ids of a list followed through its "next" keyset links; every page says its count is capped."""
    seen: list[int] = []
    for _ in range(pages):
        html = client.get(url).get_data(as_text=True)
        seen += _ids(html)
        assert any(text in html for text in capped)
        nxt = re.search(r'href="([^"]*after=[^"]*)"[^>]*title="[^"]*"\s*>›', html)
        if not nxt:
            break
        url = nxt.group(1).replace("&amp;", "&")
    return seen


def test_keyset_links_walk_the_whole_list_once_in_order(app, client, auth):
    appeals = add_appeals(45)
    app.config["EXPORT_MAX_ROWS"] = 50_000
    auth.as_role(Role.DIRECTOR)
    from admin_views.appeals import AppealView

    AppealView.count_cap = 10  # "more than 10": the keyset pager
    try:
        seen = _walk_next_links(client, "/admin/appeal/?page_size=20", ("more than", "більше"))
        expected = [a.id for a in sorted(appeals, key=lambda a: (a.registered_at, a.id), reverse=True)]
        assert seen == expected
        last = client.get("/admin/appeal/?page_size=20&before=").get_data(as_text=True)
        assert _ids(last) == expected[-20:]
    finally:
        AppealView.count_cap = 10_000


def test_a_short_list_is_counted_exactly_and_a_long_one_says_more_than(app, client, auth):
    add_appeals(12)
    auth.as_role(Role.DIRECTOR)
    from admin_views.appeals import AppealView

    html = client.get("/admin/appeal/").get_data(as_text=True)
    assert "(12)" in html
    AppealView.count_cap = 10
    try:
        html = client.get("/admin/appeal/").get_data(as_text=True)
    finally:
        AppealView.count_cap = 10_000
    assert "(12)" not in html and "10" in html


def _counts(spy: Spy) -> int:
    return sum(1 for statement, _ in spy.statements if "count(" in statement.lower() and "appeal" in statement)


def test_a_list_over_its_cap_is_not_counted_again_for_a_minute_and_one_below_it_always_is(
    app, client, auth, monkeypatch
):
    from admin_views import paging
    from admin_views.appeals import AppealView

    add_appeals(12)
    auth.as_role(Role.DIRECTOR)
    monkeypatch.setattr(AppealView, "count_cap", 10)
    with Spy() as spy:
        first = client.get("/admin/appeal/").get_data(as_text=True)
    assert _counts(spy) == 1 and ("більше 10 " in first or "more than 10 " in first)
    with Spy() as spy:  # a reload, the next page, another sort: the same list
        for url in ("/admin/appeal/", "/admin/appeal/?page=1", "/admin/appeal/?sort=9&desc=1"):
            html = client.get(url).get_data(as_text=True)
            assert "більше 10 " in html or "more than 10 " in html
    assert _counts(spy) == 0
    # another list (a filter), which holds fewer than the cap, is counted exactly, every time
    executor_id = db.session.execute(sa.select(Appeal.main_executor_id)).scalars().first()
    short = f"/admin/appeal/?flt0_main_executor={executor_id}&flt1_privileged=1"
    assert "(0)" in client.get(short).get_data(as_text=True)
    make_appeal(main_executor_id=executor_id, is_privileged=True)
    db.session.commit()
    with Spy() as spy:
        assert "(1)" in client.get(short).get_data(as_text=True)
    assert _counts(spy) == 1
    # a minute later the long list is counted again
    monkeypatch.setattr(paging.time, "monotonic", lambda: 10**9)
    with Spy() as spy:
        client.get("/admin/appeal/")
    assert _counts(spy) == 1


def test_what_one_user_counted_is_not_anothers_count(app, client, auth, monkeypatch):
    from admin_views.appeals import AppealView

    add_appeals(12)
    monkeypatch.setattr(AppealView, "count_cap", 10)
    auth.as_role(Role.DIRECTOR)
    client.get("/admin/appeal/")
    auth.logout()
    auth.as_role(Role.CLERK)
    with Spy() as spy:
        client.get("/admin/appeal/")
    assert _counts(spy) == 1


def test_a_search_by_name_walks_its_matches_newest_registered_first_and_counts_to_its_own_cap(
    app, client, auth, monkeypatch
):
    appeals = add_appeals(45)  # every applicant of the factory is a Петренко
    auth.as_role(Role.DIRECTOR)
    from admin_views import paging
    from admin_views.appeals import AppealView

    # PostgreSQL: no planner's estimate, so the count runs. The estimate comes from the test database's
    # statistics, which autovacuum takes at moments of its own: once it said 200 or more for these 45
    # rows, and the page showed "about …" (the estimate's own tests below put theirs in).
    monkeypatch.setattr(paging, "estimated_rows", lambda query, pk: None)

    AppealView.search_count_cap = 10
    try:
        seen = _walk_next_links(
            client,
            "/admin/appeal/?search=%D0%BF%D0%B5%D1%82%D1%80%D0%B5%D0%BD%D0%BA%D0%BE&page_size=20",
            ("більше 10 ", "more than 10 "),
        )
        assert seen == [a.id for a in sorted(appeals, key=lambda a: (a.registered_at, a.id), reverse=True)]
    finally:
        AppealView.search_count_cap = 1_000
    html = client.get("/admin/appeal/?search=%D0%9F%D0%B5%D1%82%D1%80%D0%B5%D0%BD%D0%BA%D0%BE").get_data(as_text=True)
    assert "(45)" in html  # below the cap: exact


SEARCH_PETRENKO = "/admin/appeal/?search=%D0%9F%D0%B5%D1%82%D1%80%D0%B5%D0%BD%D0%BA%D0%BE"


@pytest.mark.parametrize(
    "role, extra, from_index",
    [
        (Role.DIRECTOR, "", True),  # the whole register, nothing else: the index's matches are the rows
        (Role.DIRECTOR, "&flt0_privileged=1", False),  # a filter narrows the matches
        (Role.EXECUTOR, "", False),  # a scope narrows them
    ],
)
def test_a_search_narrowed_by_nothing_else_counts_the_search_index_alone(client, auth, role, extra, from_index):
    """Counting a common word's matches joined to their appeals looked each appeal up (~10 ms for
    10,001 matches at a million); with no filter and no scope the index's matches are the list."""
    own, other = make_executor(), make_executor()
    for i in range(7):
        appeal = make_appeal(
            applicant=make_applicant(), main_executor=own if i < 3 else other, is_privileged=i in (0, 4)
        )
        make_assignment(appeal, own if i < 3 else other)
    make_appeal(applicant=make_applicant(full_name="Іваненко Іван Іванович"))
    db.session.commit()
    auth.as_role(role, **({"executor": own} if role == Role.EXECUTOR else {}))
    with Spy() as spy:
        html = client.get(SEARCH_PETRENKO + extra).get_data(as_text=True)
    counts = [s for s, _ in spy.statements if "count(" in s.lower() and ("appeal_fts" in s or "appeal_search" in s)]
    assert len(counts) == 1
    assert (" appeal JOIN " not in counts[0] and "FROM appeal " not in counts[0]) == from_index, counts[0]
    expected = {True: 7, False: 2 if extra else 3}[from_index]
    assert f"({expected})" in html
    assert len(_ids(html)) == expected


def test_a_search_page_by_name_reads_only_the_matches_it_shows(app, client, auth, monkeypatch):
    """The page is read in the search index's own order: SQLite sorts nothing; PostgreSQL orders by
    the document's key and checks the stored vector (never computing it again per row) when the
    matches are many, and sorts the few a search counted below its cap by an expression of the key
    (the planner's walk along the key for a word it wrongly thinks common read ten million rows)."""
    from admin_views.appeals import AppealView

    add_appeals(6)
    auth.as_role(Role.DIRECTOR)
    url = "/admin/appeal/?search=%D0%9F%D0%B5%D1%82%D1%80%D0%B5%D0%BD%D0%BA%D0%BE"
    with Spy() as spy:
        assert client.get(url).status_code == 200
    if db.engine.dialect.name == "postgresql":
        pages = [s for s, _ in spy.statements if "appeal_search.tsv @@" in s and " LIMIT 50" in s]
        assert pages and all(re.search(r"ORDER BY appeal_search.appeal_id \+ \S+ DESC", s) for s in pages)
        assert not any("to_tsvector" in s for s, _ in spy.statements)
        monkeypatch.setattr(AppealView, "search_count_cap", 3)  # over the cap: the walk along the key
        with Spy() as spy:
            html = client.get(url).get_data(as_text=True)
        pages = [s for s, _ in spy.statements if "appeal_search.tsv @@" in s and " LIMIT 50" in s]
        assert pages and all("ORDER BY appeal_search.appeal_id DESC" in s for s in pages)
        assert len(_ids(html)) == 6
        return
    pages = [(s, p) for s, p in spy.statements if "appeal_fts MATCH" in s and "ORDER BY" in s]
    assert pages
    with db.engine.connect() as conn:
        for statement, parameters in pages:
            plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            assert not any("TEMP B-TREE" in line for line in plan), plan
            assert plan[0].startswith("SCAN appeal_fts"), plan


@pytest.mark.parametrize("estimate, shown", [(50_321, "50 000"), (399, " 6 ")])
def test_a_search_estimated_far_over_its_cap_shows_the_estimate_and_counts_nothing(
    app, client, auth, monkeypatch, estimate, shown
):
    """A common word's count reads all its matches from PostgreSQL's GIN index (200 ms at ten million
    appeals): far over the cap, the planner's estimate is shown as one, rounded; near it, the count runs."""
    from admin_views import paging
    from admin_views.appeals import AppealView

    add_appeals(6)
    auth.as_role(Role.DIRECTOR)
    monkeypatch.setattr(AppealView, "search_count_cap", 20)
    monkeypatch.setattr(AppealView, "list_count_estimable", lambda self: True)
    monkeypatch.setattr(paging, "estimated_rows", lambda query, pk: estimate)
    with Spy() as spy:
        html = client.get("/admin/appeal/?search=%D0%9F%D0%B5%D1%82%D1%80%D0%B5%D0%BD%D0%BA%D0%BE").get_data(
            as_text=True
        )
    count = re.search(r'portal-list-count">([^<]*)<', html)
    assert count and shown in count.group(1)
    estimated = ("приблизно" in count.group(1)) or ("about" in count.group(1))
    assert estimated == (estimate >= paging.ESTIMATE_OVER * 20)
    assert _counts(spy) == (0 if estimated else 1)
    assert len(_ids(html)) == 6


def test_the_next_pages_of_an_estimated_search_show_its_estimate_without_asking_again(app, client, auth, monkeypatch):
    """Paging through a common word's matches (or reloading) shows the first page's estimate: the planner
    is not asked again, nothing is counted; another user, or another word, is asked afresh."""
    from admin_views import paging
    from admin_views.appeals import AppealView

    add_appeals(6)
    monkeypatch.setattr(AppealView, "search_count_cap", 20)
    monkeypatch.setattr(AppealView, "list_count_estimable", lambda self: True)
    asked = []
    monkeypatch.setattr(paging, "estimated_rows", lambda query, pk: asked.append(1) or 87_654)

    def shown(url):
        with Spy() as spy:
            html = client.get(url).get_data(as_text=True)
        count = re.search(r'portal-list-count">([^<]*)<', html)
        assert count, url
        return count.group(1), _counts(spy)

    petrenko = "/admin/appeal/?search=%D0%9F%D0%B5%D1%82%D1%80%D0%B5%D0%BD%D0%BA%D0%BE"
    auth.as_role(Role.DIRECTOR)
    first, counted = shown(petrenko)
    assert "88 000" in first and "приблизно" in first and counted == 0 and len(asked) == 1
    for url in (petrenko, petrenko + "&page=1", petrenko + "&sort=1"):
        assert shown(url) == (first, 0), url
    assert len(asked) == 1
    shown("/admin/appeal/?search=%D0%9A%D0%BE%D0%B2%D0%B0%D0%BB%D1%8C")  # another word
    assert len(asked) == 2
    auth.logout()
    auth.as_role(Role.CLERK)
    assert "88 000" in shown(petrenko)[0] and len(asked) == 3


def test_the_estimate_is_postgresqls_planners_and_sqlite_has_none(app):
    from admin_views import paging

    add_appeals(3)
    query = db.session.query(Appeal).filter(Appeal.status == AppealStatus.REGISTERED)
    estimate = paging.estimated_rows(query, Appeal.id)
    if db.engine.dialect.name == "postgresql":
        assert isinstance(estimate, int) and estimate >= 1
    else:
        assert estimate is None
    assert [paging.about(n) for n in (7, 153_211, 9_871_004)] == [7, 150_000, 9_900_000]


def test_a_signer_with_a_direction_pages_without_sorting_the_direction(app, client, auth):
    """SQLite: "direction OR signer" would read and sort the whole direction for a page of 50."""
    appeals = add_appeals(6)
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan is SQLite's; PostgreSQL is checked for full scans above")
    from tests.factories import make_direction

    direction = make_direction()
    for appeal in appeals[:4]:
        appeal.direction_id = direction.id
    db.session.commit()
    signer = auth.as_role(Role.SIGNER, direction_id=direction.id)
    appeals[5].signer_id = signer.id
    db.session.commit()
    with Spy() as spy:
        html = client.get("/admin/appeal/").get_data(as_text=True)
    assert sorted(_ids(html)) == sorted(a.id for a in appeals[:4] + [appeals[5]])
    pages = [(s, p) for s, p in spy.statements if " LIMIT 50" in s and "FROM appeal" in s and "count(" not in s]
    assert pages
    with db.engine.connect() as conn:
        for statement, parameters in pages:
            plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            assert not any("TEMP B-TREE" in line or "MULTI-INDEX OR" in line for line in plan), plan


# --- what a list page no longer does per request -----------------------------------------------


def test_rows_written_in_one_pass_keep_their_links_and_cells(app, client, auth):
    appeals = add_appeals(3, status=AppealStatus.IN_WORK)
    auth.as_role(Role.DIRECTOR)
    html = client.get("/admin/appeal/").get_data(as_text=True)
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)[1:]
    assert len(rows) == 3
    for appeal in appeals:
        row = next(r for r in rows if f">{appeal.reg_number}</a>" in r)
        assert f'href="/admin/appeal/details/?id={appeal.id}&amp;url=' in row  # the view icon, back to the list
        assert f'<a href="/admin/appeal/details/?id={appeal.id}">{appeal.reg_number}</a>' in row
        assert re.findall(r'<td class="col-(\w+)">', row) == [
            "reg_number",
            "received_at",
            "ukc_number",  # the channel is a column the user may choose; hidden by default
            "applicant",
            "is_privileged",
            "summary",
            "topic",
            "status",
            "due_date",
            "main_executor",
        ]
        assert 'class="badge badge-status' in row and str(appeal.applicant.full_name) in row


def test_a_list_with_another_row_action_is_still_drawn_by_the_template(client, auth):
    auth.as_role(Role.ADMIN)
    html = client.get("/admin/user/").get_data(as_text=True)
    assert "/admin/user/password/?id=" in html and 'class="action-checkbox"' in html


def test_a_new_executor_is_offered_by_the_filter_menu_at_once(app, client, auth):
    auth.as_role(Role.DIRECTOR)
    client.get("/admin/appeal/")  # the options are kept from here on
    executor = make_executor(name="Служба нового фільтра", short_name="Нова служба")
    db.session.commit()
    html = client.get("/admin/appeal/").get_data(as_text=True)
    assert "Нова служба" in html
    executor.short_name = "Перейменована служба"
    db.session.commit()
    html = client.get("/admin/appeal/").get_data(as_text=True)
    assert "Перейменована служба" in html and "Нова служба" not in html


def _active_menu_item(html: str) -> str | None:
    found = re.search(r'class="dropdown-item active[^"]*" href="([^"]+)"', html) or re.search(
        r'<li class="active">\s*<a class="nav-link[^"]*" href="([^"]+)"', html
    )
    return found.group(1) if found else None


def test_the_kept_menu_follows_the_role_and_the_screen(client, auth):
    auth.as_role(Role.DIRECTOR)
    director = client.get("/admin/appeal/").get_data(as_text=True)
    assert 'href="/admin/appeal/"' in director
    assert _active_menu_item(director) == "/admin/appeal/"
    assert 'href="/admin/appeal/"' in client.get("/admin/user/").get_data(as_text=True)  # kept for the director
    auth.logout()
    auth.as_role(Role.ADMIN)
    admin = client.get("/admin/user/").get_data(as_text=True)
    assert 'href="/admin/user/"' in admin and 'href="/admin/appeal/"' not in admin
    assert _active_menu_item(admin) == "/admin/user/"


def test_rows_written_in_one_pass_keep_the_delete_form_and_the_checkbox(client, auth):
    from tests.factories import make_expenditure, make_line

    spent = make_expenditure(make_line())
    db.session.commit()
    auth.as_role(Role.ACCOUNTANT)
    html = client.get("/admin/expenditure/").get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "Папір офісний" in r)
    assert f'<input type="checkbox" name="rowid" class="action-checkbox" value="{spent.id}"' in row
    assert f'<input type="hidden" name="id" value="{spent.id}">' in row and 'name="csrf_token"' in row
    assert f'href="/admin/expenditure/edit/?id={spent.id}&amp;url=' in row


def test_a_page_read_from_a_key_joins_what_its_rows_show_and_an_offset_page_reads_it_by_id(app, client, auth):
    add_appeals(22)
    auth.as_role(Role.DIRECTOR)

    def by_id(url: str) -> list[str]:
        db.session.expunge_all()  # the test's own rows would be found in the session, not read
        with Spy() as spy:
            assert client.get(url).status_code == 200
        return [s for s, _ in spy.statements if re.search(r"FROM (applicant|topic|executor)\s+WHERE \w+\.id IN", s)]

    assert by_id("/admin/appeal/") == []
    assert by_id("/admin/appeal/?page_size=20&page=1") != []  # OFFSET 20: no join for the skipped rows


def test_a_state_or_openness_known_makes_the_status_test_a_constant(app):
    from portal.services import deadlines, worklists

    overdue = deadlines.overdue_clause()
    one = sa.select(Appeal.id).where(overdue, Appeal.channel == "phone")

    def sql(element) -> str:
        return str(element.compile(db.engine, compile_kwargs={"literal_binds": True, "render_postcompile": True}))

    assert " IN " in sql(one)
    assert " IN " not in sql(worklists.in_state(one, AppealStatus.IN_WORK.value))
    assert "due_date <" in sql(worklists.in_state(one, AppealStatus.IN_WORK.value))
    assert " IN " not in sql(worklists.among_open(overdue))
    # a finished state in an open list's read: nothing; a list of some states only stays as it is
    assert "false" in sql(worklists.in_state(one, AppealStatus.CLOSED.value)).lower() or " 0 " in sql(
        worklists.in_state(one, AppealStatus.CLOSED.value)
    )
    some = Appeal.status.in_([AppealStatus.IN_WORK.value, AppealStatus.SIGNED.value])
    assert " IN " in sql(worklists.among_open(some))
