"""Sessions that really end.

The session cookie is signed, so it cannot be forged, but a copy of it would work as long as
the server believes it. The server-side identity of a session is the user's
``session_version`` (carried in the cookie's user id, checked by the user loader): logout,
a password change and disabling the account bump it, and every copy of every older cookie
(the "remember me" cookie included) stops working. On top of that a session ends after
``SESSION_IDLE_MINUTES`` without a request and ``SESSION_ABSOLUTE_HOURS`` after its login,
whatever the cookie's own expiry says (both times are inside the signed cookie).
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import logout_user, user_loaded_from_cookie, user_logged_in, user_logged_out

from portal.extensions import db

LOGIN_AT = "_login_at"
SEEN_AT = "_seen_at"
TOUCH_EVERY = 30  # seconds: the cookie is re-sent at most this often just to move the idle clock


def _start(sender, user, **extra) -> None:
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


def revoke(user) -> None:
    """End every session of ``user`` (the caller commits)."""
    user.session_version = (user.session_version or 0) + 1


def _ended_by_logout(sender, user, **extra) -> None:
    if getattr(user, "id", None) is None:
        return
    from portal.models.users import User

    row = db.session.get(User, user.id)
    if row is not None:
        revoke(row)
        db.session.commit()


def expired(now: float | None = None) -> bool:
    """Has the session of this request outlived its idle time or its absolute lifetime?"""
    now = time.time() if now is None else now
    cfg = current_app.config
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return True  # a session from before these rules, or one tampered into shape
    if now - seen_at > int(cfg["SESSION_IDLE_MINUTES"]) * 60:
        return True
    return now - login_at > int(cfg["SESSION_ABSOLUTE_HOURS"]) * 3600


def _check_session():
    if "_user_id" not in session:
        return None
    if expired():
        lang = session.get("lang")
        logout_user()  # this copy only: it is dead anyway (its clock is inside the signed cookie)
        session.clear()
        if lang:
            session["lang"] = lang
        if request.endpoint in (None, "static", "auth.login", "health.healthz"):
            return None
        flash(_l("Your session has ended. Please log in again."), "warning")
        return redirect(url_for("auth.login"))
    now = int(time.time())
    if now - session.get(SEEN_AT, 0) >= TOUCH_EVERY:
        session[SEEN_AT] = now
    return None


def init_app(app) -> None:
    """Register before the login check (``portal.auth``), so an expired session is gone first."""
    hours = int(app.config["SESSION_ABSOLUTE_HOURS"])
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=hours)
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(hours=hours)
    app.before_request(_check_session)
    user_logged_in.connect(_start, app)
    user_loaded_from_cookie.connect(_start, app)
    user_logged_out.connect(_ended_by_logout, app)
