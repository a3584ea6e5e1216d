"""Forms of the intake inbox: a draft's fields for the clerk to check, a template upload."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FileField,
    Form,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from portal.extensions import db
from portal.i18n import KYIV, to_kyiv
from portal.labels import enum_choices
from portal.models.enums import AnswerKind, AppealType
from portal.models.reference import PrivilegeCategory, SocialStatus, Topic


def _choices(model, blank=True):
    rows = db.session.execute(sa.select(model).order_by(model.code)).scalars()
    return ([("", "—")] if blank else []) + [(str(r.id), f"{r.code} {r.name}") for r in rows]


class RegisterDraftForm(Form):
    """The draft's fields as read from the message, for the clerk to check before registering."""

    received_at = DateTimeLocalField(
        _l("Received at"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired()],
        description=_l("The e-mail's date; the term counts from it."),
    )
    ukc_number = StringField(_l("GCC (1545) No."), validators=[Optional(), Length(max=32)])
    ukc_date = DateField(_l("GCC (1545) date"), validators=[Optional()])
    regional_number = StringField(_l("Regional center No."), validators=[Optional(), Length(max=32)])
    regional_date = DateField(_l("Regional center date"), validators=[Optional()])
    applicant_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    social_status_id = SelectField(_l("Social status"), choices=[], validate_choice=False)
    privilege_category_id = SelectField(_l("Privilege category"), choices=[], validate_choice=False)
    topic_id = SelectField(_l("Topic"), choices=[], validate_choice=False)
    appeal_type = SelectField(_l("Appeal type"), choices=enum_choices(AppealType))
    summary = StringField(_l("Summary"), validators=[InputRequired(), Length(max=500)])
    content = TextAreaField(_l("Content"), validators=[Optional()])
    needs_study = BooleanField(_l("Needs additional study (30 days; otherwise 15)"), default=True)

    def fill(self, data: dict) -> None:
        for name in ("ukc_number", "regional_number", "applicant_name", "address", "phone", "email", "summary",
                     "content"):  # fmt: skip
            getattr(self, name).data = data.get(name) or ""
        for name in ("ukc_date", "regional_date"):
            getattr(self, name).data = date.fromisoformat(data[name]) if data.get(name) else None
        for name in ("social_status_id", "privilege_category_id", "topic_id"):
            getattr(self, name).data = str(data[name]) if data.get(name) else ""
        self.appeal_type.data = data.get("appeal_type") or AppealType.STATEMENT.value
        received = datetime.fromisoformat(data["received_at"]) if data.get("received_at") else None
        self.received_at.data = to_kyiv(received).replace(tzinfo=None) if received else None
        self.needs_study.data = bool(data.get("needs_study", True))

    def changes(self) -> dict:
        def ident(value):
            return int(value) if value and str(value).isdigit() else None

        return {
            "received_at": self.received_at.data.replace(tzinfo=KYIV).isoformat(),
            "ukc_number": (self.ukc_number.data or "").strip(),
            "ukc_date": self.ukc_date.data.isoformat() if self.ukc_date.data else "",
            "regional_number": (self.regional_number.data or "").strip(),
            "regional_date": self.regional_date.data.isoformat() if self.regional_date.data else "",
            "applicant_name": (self.applicant_name.data or "").strip(),
            "address": (self.address.data or "").strip(),
            "phone": (self.phone.data or "").strip(),
            "email": (self.email.data or "").strip(),
            "social_status_id": ident(self.social_status_id.data),
            "privilege_category_id": ident(self.privilege_category_id.data),
            "topic_id": ident(self.topic_id.data),
            "appeal_type": self.appeal_type.data,
            "summary": (self.summary.data or "").strip(),
            "content": self.content.data or "",
            "needs_study": bool(self.needs_study.data),
        }


def register_form(formdata=None) -> RegisterDraftForm:
    form = RegisterDraftForm(formdata)
    form.social_status_id.choices = _choices(SocialStatus)
    form.privilege_category_id.choices = _choices(PrivilegeCategory)
    form.topic_id.choices = _choices(Topic)
    return form


class TemplateForm(Form):
    kind = SelectField(_l("Addressee"), choices=enum_choices(AnswerKind))
    file = FileField(_l("Template (.docx)"))
