"""Response hardening and request guards.

- security headers on every response, with a per-request CSP nonce (no inline-script holes);
- a clear page (in the user's language) for a refused CSRF token or a forbidden request;
- a last line of defence: a read-only role's request can never flush a change to a record.
"""

from __future__ import annotations

import secrets

from flask import current_app, flash, g, has_request_context, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.services.errors import DomainError


class ReadOnlyRoleError(DomainError):
    """A read-only role (the auditor) tried to change a record."""


def csp_nonce() -> str:
    """The nonce of this request's CSP; templates put it on the few inline scripts they need."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _csp() -> str:
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{csp_nonce()}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    )


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", _csp())
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    endpoint = request.endpoint or ""
    if not (endpoint == "static" or endpoint.endswith(".static")):
        # pages, exports and downloads carry personal data: never kept by a browser or proxy
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- error pages ------------------------------------------------------------------


def _wants_text() -> bool:
    """Ajax calls (inline edits, pickers) get a short text answer, not a page."""
    return (
        request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or "/ajax/" in request.path
        or request.accept_mimetypes.best == "application/json"
    )


def _render_error(status: int, title, message):
    if _wants_text():
        return str(message), status, {"Content-Type": "text/plain; charset=utf-8"}
    from flask_admin import helpers

    view = helpers.get_current_view()
    if view is None:
        admins = current_app.extensions.get("admin") or []
        view = admins[0].index_view if admins else None
    if view is None:
        return str(message), status
    return view.render("admin/portal_error.html", title=title, message=message, status=status), status


def _forbidden(exc):
    return _render_error(403, _l("Access denied"), _l("You have no permission to open this page or to do this action."))


def _csrf_failed(exc: CSRFError):
    """A form sent without a valid security token: nothing was changed; explain and offer a retry."""
    message = _l(
        "The form has expired or did not come from this portal, so nothing was saved. "
        "Open the page again and repeat the action."
    )
    from flask_login import current_user

    if request.endpoint == "auth.login":
        from portal.auth.views import LoginForm

        return render_template("login.html", form=LoginForm(formdata=None), error=str(message)), 400
    if not current_user.is_authenticated:
        flash(message, "warning")
        return redirect(url_for("auth.login"))
    return _render_error(400, _l("Nothing was saved"), message)


# --- read-only roles never write ------------------------------------------------------


def _refuse_read_only_writes(session: Session, flush_context, instances) -> None:
    if not has_request_context():
        return
    user = g.get("_login_user")  # set by Flask-Login once the request has looked at the user
    if user is None or not getattr(user, "is_authenticated", False):
        return
    from portal.auth.permissions import is_read_only
    from portal.services.audit import is_audited

    if not is_read_only(user):
        return
    changed = [o for o in (*session.new, *session.deleted) if is_audited(o)]
    changed += [o for o in session.dirty if is_audited(o) and session.is_modified(o)]
    if changed:
        raise ReadOnlyRoleError(_l("Your role only reads: nothing was changed."))


def init_app(app) -> None:
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.register_error_handler(403, _forbidden)
    app.register_error_handler(CSRFError, _csrf_failed)
    if not event.contains(Session, "before_flush", _refuse_read_only_writes):
        event.listen(Session, "before_flush", _refuse_read_only_writes)
