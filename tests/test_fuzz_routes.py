"""No 500 on any input: every route of ``app.url_map``, for every role, with hostile values in
each query parameter and form field it accepts. Fails on any 5xx, on an exception that escapes
a view, and on a streamed response (an export) that breaks off midway.

One shared app and data set for the module; a focused set of hostile values per parameter.
"""

from __future__ import annotations

import re
import shutil

import pytest

from portal import create_app
from portal.extensions import db
from portal.models.enums import Role
from tests import factories as f
from tests.conftest import CSRF_RE, PG_URL, AuthActions, _config, _truncate_all

HOSTILE = (
    "18446744073709551616",  # 2**64: beyond SQLite's and PostgreSQL's integers
    "0001-01-01",
    "9999-W52",
    "NaN",
    "Infinity",
    "x'\"<>%_\\\x01\t\r\n" + "é" * 600,  # longer than any String column (500)
)
QUERY_PARAMS = (
    "id",
    "page",
    "page_size",
    "sort",
    "desc",
    "search",
    "week",
    "quarter",
    "year",
    "kind",
    "query",
    "offset",
    "limit",
    "name",
    "lang",
    "run_id",
    "flt0_0",
)
FIELD_RE = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', re.I)
SKIP_FIELDS = {"csrf_token"}
ROLES = ["anonymous", *Role]


@pytest.fixture(scope="module")
def world(_template_db, redis_url, tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    if PG_URL:
        url = PG_URL
    else:
        shutil.copyfile(_template_db["path"], base / "fuzz.sqlite")
        url = f"sqlite:///{base}/fuzz.sqlite"
    app = create_app(_config(url, redis_url, base) | {"LOGIN_MAX_FAILURES": 10_000})
    if PG_URL:
        _truncate_all(app)

    def fresh_g():
        from flask import g

        vars(g._get_current_object()).clear()

    app.before_request_funcs.setdefault(None, []).insert(0, fresh_g)
    ctx = app.app_context()
    ctx.push()
    from portal.redis_conn import get_redis

    get_redis().flushdb()
    users = {role: f.make_user(role).username for role in Role}
    appeal = f.make_appeal()
    f.make_assignment(appeal)
    f.make_position()
    f.make_employee()
    f.make_order()
    f.make_expenditure(f.make_line())
    db.session.commit()
    clients = {"anonymous": app.test_client()}
    for role, username in users.items():
        client = app.test_client()
        assert AuthActions(client).login(username).status_code == 302
        clients[role] = client
    yield app, clients
    db.session.remove()
    ctx.pop()
    with app.app_context():
        db.engine.dispose()


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "admin.static") or rule.rule == "/logout":
            continue
        yield rule


def _paths(rule) -> list[str]:
    if not rule.arguments:
        return [rule.rule]
    paths = []
    for value in ("18446744073709551616", "0", "1", "csv", "xlsx", "x'<>"):
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(rf"<(?:[a-z]+:)?{arg}>", value, path)
        if "<" not in path and not (value.isdigit() is False and "int:" in rule.rule):
            paths.append(path)
    return paths


def _filter_params(app, endpoint: str) -> list[str]:
    for view in app.extensions["admin"][0]._views:
        if getattr(view, "endpoint", None) == endpoint and getattr(view, "_filters", None):
            return [f"flt{n}_{idx}" for n, idx in enumerate(range(len(view._filters)))]
    return []


def _check(failures, response, what) -> None:
    try:
        response.get_data()  # a streamed export is read to its end here
    except Exception as exc:
        failures.append((what, f"stream broke: {exc!r}"))
        return
    finally:
        response.close()
    if response.status_code >= 500:
        failures.append((what, response.status_code))


def _request(failures, client, method, path, what, **kw) -> None:
    try:
        response = client.open(path, method=method, **kw)
    except Exception as exc:
        failures.append((what, f"{type(exc).__name__}: {exc}"[:300]))
        return
    _check(failures, response, what)


def _form_fields(client, path: str) -> tuple[list[str], str | None]:
    response = client.get(path)
    page = response.get_data(as_text=True)
    token = CSRF_RE.search(page)
    fields = sorted(set(FIELD_RE.findall(page)) - SKIP_FIELDS)
    return fields, token.group(1) if token else None


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_no_route_answers_5xx_to_hostile_input(world, role):
    app, clients = world
    client = clients[role]
    failures: list = []
    token = _form_fields(client, "/admin/")[1] if role != "anonymous" else None
    for rule in _routes(app):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        endpoint = rule.endpoint.split(".")[0]
        # every hostile path value is requested; the parameter and form sweeps run once a rule,
        # on the first of its paths that answers (the others differ from it by the path alone)
        swept = posted = False
        for path in _paths(rule):
            if "GET" in methods:
                try:
                    first = client.get(path)
                except Exception as exc:
                    failures.append((f"GET {path}", repr(exc)[:300]))
                    continue
                allowed = first.status_code not in (302, 403, 404, 405) or path == "/login"
                _check(failures, first, f"GET {path}")
                if not allowed or swept:
                    continue
                swept = True
                params = list(QUERY_PARAMS) + _filter_params(app, endpoint)
                for value in HOSTILE:
                    _request(
                        failures,
                        client,
                        "GET",
                        path,
                        f"GET {path} ={value[:12]!r}",
                        query_string=dict.fromkeys(params, value),
                    )
                    # return addresses alone: a refused one (400) must not hide the other parameters
                    _request(
                        failures,
                        client,
                        "GET",
                        path,
                        f"GET {path} url={value[:12]!r}",
                        query_string={"url": value, "next": value},
                    )
            if "POST" in methods and not posted:
                posted = True
                fields, form_token = _form_fields(client, path) if "GET" in methods else ([], None)
                fields = fields or [
                    "id",
                    "action",
                    "rowid",
                    "list_form_pk",
                    "kind",
                    "name",
                    "password",
                    "username",
                    "week",
                    "amount",
                    "comment",
                    "file",
                ]
                for value in HOSTILE:
                    data = dict.fromkeys(fields, value)
                    if role != "anonymous" or path == "/login":
                        data["csrf_token"] = form_token or token or ""
                    if path == "/login":
                        data["csrf_token"] = _form_fields(client, "/login")[1] or ""
                    _request(failures, client, "POST", path, f"POST {path} ={value[:12]!r}", data=data)
    assert failures == []
