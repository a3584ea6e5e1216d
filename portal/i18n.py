"""Language and time zone: Ukrainian by default, English on request; dates дд.мм.рррр, Europe/Kyiv; money."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import has_request_context, request, session

from portal.extensions import babel

KYIV = ZoneInfo("Europe/Kyiv")
DATE_FORMAT = "%d.%m.%Y"
DATETIME_FORMAT = "%d.%m.%Y %H:%M"


def select_locale() -> str:
    from flask import current_app

    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():  # CLI and jobs speak the default language
        return default
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return session.get("lang") or default


def to_kyiv(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(KYIV)


def format_date(value) -> str:
    """дд.мм.рррр for dates; a datetime is shown as its Kyiv date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_kyiv(value)
    return value.strftime(DATE_FORMAT)


def format_datetime(value) -> str:
    """дд.мм.рррр гг:хх in Europe/Kyiv."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_kyiv(value).strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    return str(value)


def _locale_code() -> str:
    """The language code of this request (``uk``, ``en``) for ``<html lang>``."""
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale.language) if locale else "uk"


def format_money(value) -> str:
    """1234567.5 → '1 234 567.50' (a no-break space between thousands); None → '0.00'."""
    return f"{Decimal(value or 0):,.2f}".replace(",", "\u00a0")


def kyiv_today() -> date:
    return datetime.now(KYIV).date()


@contextlib.contextmanager
def default_locale():
    """Translate into the portal's default language outside a request (jobs, CLI)."""
    from flask import current_app
    from flask_babel import force_locale

    if has_request_context():
        yield
        return
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        yield


def translations_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")


def init_app(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translations_dir())
    check_catalogues(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    babel.init_app(app, locale_selector=select_locale, default_timezone="Europe/Kyiv")
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.globals.setdefault("get_locale", _locale_code)


def _catalogues(directory: str):
    """``(lang_dir, parts, compiled catalogue, newest part's mtime)`` for every language with parts."""
    for lang in sorted(os.listdir(directory)):
        lang_dir = os.path.join(directory, lang)
        parts = sorted(f for f in os.listdir(lang_dir) if f.endswith(".po")) if os.path.isdir(lang_dir) else []
        if parts:
            newest = max(os.path.getmtime(os.path.join(lang_dir, p)) for p in parts)
            yield lang, lang_dir, parts, os.path.join(lang_dir, "LC_MESSAGES", "messages.mo"), newest


def _is_fresh(target: str, newest: float) -> bool:
    return os.path.exists(target) and os.path.getmtime(target) >= newest


def check_catalogues(directory: str) -> None:
    """Refuse to start on a missing or stale compiled catalogue: the app never writes its source tree."""
    for _lang, _lang_dir, _parts, target, newest in _catalogues(directory):
        if not _is_fresh(target, newest):
            state = "is older than its .po parts" if os.path.exists(target) else "is missing"
            raise RuntimeError(
                f"The compiled catalogue {target} {state}: run `make translations` "
                "(or `python -m portal.i18n`) to compile the translations."
            )


def compile_catalogues(directory: str | None = None) -> list[str]:
    """Merge ``translations/<lang>/*.po`` parts into ``<lang>/LC_MESSAGES/messages.mo``.

    Each area of the code keeps its own part file, so parallel work never edits one big
    catalogue; the compiled file is rebuilt only when a part is newer than it. A build step
    (``make translations``, which ``make run`` and ``make test`` depend on), not start-up.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    directory = directory or translations_dir()
    written = []
    for lang, lang_dir, parts, target, newest in _catalogues(directory):
        if _is_fresh(target, newest):
            continue
        merged = Catalog(locale=lang)
        for part in parts:
            with open(os.path.join(lang_dir, part), "rb") as fh:
                for message in read_po(fh, locale=lang):
                    if message.id and message.string:
                        merged.add(message.id, message.string, context=message.context)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = f"{target}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            write_mo(fh, merged)
        os.replace(tmp, target)
        # stamp the catalogue with the parts' time it was built from: a part edited while
        # compiling stays newer than the catalogue and triggers the next rebuild
        os.utime(target, (newest, newest))
        written.append(target)
    return written


if __name__ == "__main__":  # python -m portal.i18n: the build step
    for path in compile_catalogues():
        print(f"compiled {path}")
