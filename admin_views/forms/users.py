"""Forms of the user accounts screen: a new password, and the initial one on the create form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo


def _password_fields(label):
    password = PasswordField(label, validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    return password, confirm


class PasswordForm(FlaskForm):
    password, password_confirm = _password_fields(_l("New password"))


def create_user_form(base):
    """The create form of an account: its fields (``base``) and the initial password, twice."""

    class CreateUserForm(base):  # type: ignore[misc,valid-type]
        password, password_confirm = _password_fields(_l("Initial password"))

    return CreateUserForm
