"""The Ukrainian catalogue is compiled by a build step; the app refuses to start without it."""

import os
import shutil

import pytest

from portal import create_app
from portal.i18n import compile_catalogues, translations_dir


@pytest.fixture
def parts(tmp_path):
    """A copy of the catalogue's .po parts, not yet compiled."""
    target = tmp_path / "translations"
    shutil.copytree(translations_dir(), target, ignore=shutil.ignore_patterns("LC_MESSAGES"))
    return target


def _app(directory, redis_url):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "REDIS_URL": redis_url,
            "DATABASE_URL": "sqlite://",
            "BABEL_TRANSLATION_DIRECTORIES": str(directory),
        }
    )


def test_the_app_refuses_to_start_without_a_compiled_catalogue(parts, redis_url):
    with pytest.raises(RuntimeError, match=r"messages\.mo is missing: run `make translations`"):
        _app(parts, redis_url)
    assert not (parts / "uk" / "LC_MESSAGES").exists()  # the app wrote nothing


def test_the_app_starts_on_a_compiled_catalogue(parts, redis_url):
    assert compile_catalogues(str(parts)) == [str(parts / "uk" / "LC_MESSAGES" / "messages.mo")]
    app = _app(parts, redis_url)
    with app.test_request_context():
        from flask_babel import gettext

        assert gettext("Appeals") != "Appeals"


def test_the_app_refuses_a_catalogue_older_than_a_part(parts, redis_url):
    compile_catalogues(str(parts))
    part = parts / "uk" / "core.po"
    later = os.path.getmtime(parts / "uk" / "LC_MESSAGES" / "messages.mo") + 10
    os.utime(part, (later, later))
    with pytest.raises(RuntimeError, match="older than its .po parts"):
        _app(parts, redis_url)
    assert compile_catalogues(str(parts)) != []  # the build step brings it up to date
    _app(parts, redis_url)
