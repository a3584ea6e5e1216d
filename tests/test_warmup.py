"""A server process compiles its templates and loads its catalogues before its first request."""

from __future__ import annotations

import pytest

from portal.models.enums import Role
from portal.warmup import warm_up


def test_after_the_warm_up_no_page_compiles_a_template(app, client, auth, monkeypatch):
    warm_up(app)
    assert len(app.jinja_env.cache) > 40
    auth.as_role(Role.DIRECTOR)
    compiled = []
    monkeypatch.setattr(app.jinja_env, "compile", lambda source, name=None, *a, **k: compiled.append(name))
    for url in ["/admin/appeal/", "/admin/appeal/?search=%D0%9F%D0%B5%D1%82%D1%80%D0%B5%D0%BD%D0%BA%D0%BE", "/admin/"]:
        assert client.get(url).status_code == 200, url
    assert compiled == []


@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_warm_up_loads_each_language_once(app, language):
    from flask_babel import force_locale, get_translations

    warm_up(app)
    with app.test_request_context("/"), force_locale(language):
        first = get_translations()
        assert get_translations() is first
        if language == "uk":
            assert first.gettext("Appeals") != "Appeals"
