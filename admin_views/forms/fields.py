"""Field types and form rules shared by every admin screen."""

from __future__ import annotations

from flask_admin.form import rules
from markupsafe import Markup
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from portal.labels import enum_choices
from portal.models.budget import MONTH_NAMES, MONTHS


def coerce_enum(enum_cls):
    """A select's coerce: a stored value (or a member) to the member, empty to None."""

    def coerce(value):
        if value in (None, ""):
            return None
        return enum_cls(value.value if isinstance(value, enum_cls) else value)

    return coerce


def enum_select(enum_cls):
    """A select field of a LabeledEnum: translated labels, values stored, members in ``data``."""

    class EnumSelectField(SelectField):
        def __init__(self, label=None, validators=None, **kwargs):
            kwargs.pop("allow_blank", None)
            choices = [SelectChoice(value, label) for value, label in enum_choices(enum_cls)]
            super().__init__(label, validators, choices=choices, coerce=coerce_enum(enum_cls), **kwargs)

    return EnumSelectField


class MonthSelectField(SelectField):
    """Month 1–12 by its Ukrainian name."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("allow_blank", None)
        choices = [SelectChoice(str(m), MONTH_NAMES[m - 1]) for m in MONTHS]
        super().__init__(label, validators, choices=choices, coerce=int, **kwargs)


class CsrfTokenRule(rules.BaseRule):
    """Keeps the form's hidden CSRF token in a custom layout (``form_rules`` drop unlisted fields)."""

    @property
    def visible_fields(self):
        return ["csrf_token"]

    def __call__(self, form, form_opts=None, field_args=None):
        return Markup(form.csrf_token()) if "csrf_token" in form else ""


def form_errors(form) -> list[str]:
    """Every error of a form as «label: message», for flash messages."""
    return [f"{field.label.text}: {error}" for field in form for error in field.errors]
