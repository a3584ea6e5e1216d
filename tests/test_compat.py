"""Flask-Admin's private names are used in one module only (admin_views/compat.py), pinned here.

An upgrade of Flask-Admin that renames or reshapes one of them fails this test, not a page
in production; the copied templates say which upstream file and version they follow.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import pathlib
import re

import flask_admin
import pytest

from admin_views import compat

ROOT = pathlib.Path(__file__).resolve().parent.parent
UPSTREAM_TEMPLATES = pathlib.Path(flask_admin.__file__).parent / "templates" / "bootstrap4" / "admin"
# the documented hook for a view's access checks (Flask-Admin's docs tell subclasses to override it)
DOCUMENTED_HOOKS = {"_handle_view"}


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_installed_flask_admin_is_the_pinned_version():
    assert importlib.metadata.version("flask-admin") == compat.FLASK_ADMIN_VERSION


@pytest.mark.parametrize(("owner", "name"), [key for key, params in compat.PINNED.items() if params is not None])
def test_private_method_keeps_its_signature(owner, name):
    method = getattr(_resolve(owner), name)
    assert tuple(inspect.signature(method).parameters) == compat.PINNED[(owner, name)]


@pytest.mark.parametrize(("owner", "name"), [key for key, params in compat.PINNED.items() if params is None])
def test_private_attribute_is_still_set_on_a_view(app, owner, name):
    views = [v for v in app.extensions["admin"][0].registry.values() if isinstance(v, _resolve(owner))]
    assert views and all(hasattr(v, name) for v in views)


def _flask_admin_private_names(app) -> set[str]:
    """Every single-underscore name defined by a Flask-Admin class or set on a Flask-Admin object."""
    names: set[str] = set()
    objects = [app.extensions["admin"][0], *app.extensions["admin"][0].registry.values()]
    classes = {cls for obj in objects for cls in type(obj).__mro__}
    for module_name in (
        "flask_admin.contrib.sqla.ajax",
        "flask_admin.contrib.sqla.filters",
        "flask_admin.contrib.sqla.fields",
        "flask_admin.model.filters",
        "flask_admin.form.rules",
    ):
        module = importlib.import_module(module_name)
        classes |= {c for _, c in inspect.getmembers(module, inspect.isclass)}
    for cls in classes:
        if cls.__module__.startswith("flask_admin"):
            names |= set(vars(cls))
    for obj in objects:
        names |= set(vars(obj))
    return {n for n in names if n.startswith("_") and not n.startswith("__")} - DOCUMENTED_HOOKS


def test_no_private_flask_admin_name_outside_compat(app):
    private = _flask_admin_private_names(app)
    files = [*(ROOT / "admin_views").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")]
    found = []
    for path in files:
        if path.name == "compat.py" and path.parent.name == "admin_views":
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in re.finditer(r"(?:\.|\bdef )(_[A-Za-z]\w*)", line):
                if match.group(1) in private:
                    found.append(f"{path.relative_to(ROOT)}:{lineno}: {match.group(1)}")
    assert found == []


def test_compat_uses_only_pinned_private_names(app):
    source = (ROOT / "admin_views" / "compat.py").read_text(encoding="utf-8")
    used = set(re.findall(r"(?:\.|\bdef )(_[A-Za-z]\w*)", source)) & _flask_admin_private_names(app)
    assert used <= {name for _, name in compat.PINNED}


def _overrides():
    local = ROOT / "templates" / "admin"
    return sorted(
        p.relative_to(local).as_posix()
        for p in local.rglob("*.html")
        if (UPSTREAM_TEMPLATES / p.relative_to(local)).exists()
    )


def test_the_copied_templates_are_the_known_six():
    assert _overrides() == [
        "actions.html",
        "base.html",
        "model/inline_list_base.html",
        "model/layout.html",
        "model/row_actions.html",
        "static.html",
    ]


@pytest.mark.parametrize("relative", _overrides())
def test_a_copied_template_names_the_upstream_version_and_file_it_follows(relative):
    first_line = (ROOT / "templates" / "admin" / relative).read_text(encoding="utf-8").splitlines()[0]
    expected = f"Follows Flask-Admin {compat.FLASK_ADMIN_VERSION}, flask_admin/templates/bootstrap4/admin/{relative}"
    assert first_line.startswith("{#") and expected in first_line


def test_a_cell_function_gives_what_flask_admins_list_value_gives_for_every_list_column(app, client, auth):
    """Each list's rows, every column, through both: the appeals list has formatters, choices and typed values."""
    from flask import g

    from portal.models.enums import Role
    from tests.factories import make_appeal, make_assignment, make_executor

    executor = make_executor()
    appeal = make_appeal(main_executor=executor)
    make_assignment(appeal, executor)
    user = auth.as_role(Role.DIRECTOR)
    views = [v for v in app.extensions["admin"][0].registry.values() if hasattr(v, "get_list") and v.column_list]
    checked = 0
    from flask_login import login_user

    for view in views:
        with app.test_request_context(f"{view.url}/"):
            login_user(user)
            g.pop("_portal_row_urls", None)
            try:
                _, rows = view.get_list(0, None, False, None, [], page_size=5)
            except Exception:  # a view whose list needs its own request arguments
                continue
            for name in view.column_list:
                name = name if isinstance(name, str) else name.key
                cell = compat.cell_function(view, name)
                for row in rows:
                    assert str(cell(row)) == str(compat.list_value(view, row, name)), (view.endpoint, name)
                    checked += 1
    assert checked > 50
