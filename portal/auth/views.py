"""Authentication: login, logout and the session checks (the login blueprint and the login manager)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from portal.extensions import db, login_manager
from portal.models.enums import AuditAction
from portal.models.users import User
from portal.services import accounts, audit, notifications

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (see :mod:`portal.redirects`)."""
    from portal.redirects import safe_next

    return safe_next(target, url_for("admin.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        result = accounts.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        if result.user is not None:
            lang = session.get("lang")
            session.clear()  # a new session at login: nothing carried over from before
            g.pop("csrf_token", None)  # the CSRF token belonged to the old session: a new one is made
            if lang:
                session["lang"] = lang
            login_user(result.user)
            session.permanent = True
            # terms ending within 3 days are in the bell from the first page, not only after the morning's job
            if notifications.sweep_term_ending(user_id=result.user.id):
                db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        error, status = result.error, (429 if result.locked else 401)
    elif request.method == "POST":
        error, status = str(_l("Fill in the user name and the password.")), 401
    return render_template("login.html", form=form, error=error), status


@bp.route("/logout", methods=["GET", "POST"])
@login_required
def logout():
    if request.method == "GET":  # leaving is a state change: it takes a POST with the CSRF token
        return render_template("logout.html")
    audit.log_event(AuditAction.LOGOUT, model="User", record_id=current_user.id, label=current_user.username)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_l("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@login_manager.user_loader
def load_user(ident: str):
    """Sessions carry 'id:version'; a changed password or a disabled account ends them."""
    try:
        user_id, version = (int(x) for x in ident.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)

    @app.before_request
    def _require_login():
        # no page is reachable without login, except these
        if request.endpoint in (None, "static", "auth.login", "health.healthz") or (request.endpoint or "").endswith(
            ".static"
        ):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None
