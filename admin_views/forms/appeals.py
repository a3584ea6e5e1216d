"""Forms of the appeal screens: the workflow steps (one per action), file upload, registration extras.

A step's form declares its fields and maps them to the service's parameters (``params``);
its choices and the values it starts with come from ``portal.services.workflow``.
CSRF is checked for every POST by CSRFProtect.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FileField,
    Form,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.extensions import db
from portal.i18n import KYIV
from portal.labels import enum_choices
from portal.models.appeals import Appeal
from portal.models.enums import AttachmentKind, FeedbackMethod, Sex
from portal.models.reference import PrivilegeCategory, SocialStatus
from portal.services import outgoing, workflow


def _kyiv_aware(value: datetime | None):
    """A ``datetime-local`` input is Kyiv wall-clock time."""
    return value.replace(tzinfo=KYIV) if value is not None and value.tzinfo is None else value


def _kyiv_local(value: datetime) -> datetime:
    """The naive Kyiv wall-clock time a ``datetime-local`` input shows."""
    return value.astimezone(KYIV).replace(tzinfo=None) if value.tzinfo is not None else value


class RouteForm(Form):
    signer = SelectField(
        _l("Signer"),
        choices=[],
        validate_choice=False,
        description=_l("Left empty: the signer of the topic's direction."),
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])

    def params(self):
        return {"signer": self.signer.data or None, "comment": self.comment.data or ""}


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=4000)])

    def params(self):
        return {"reason": self.reason.data}


class ForwardForm(Form):
    body = StringField(_l("Forwarded to (the competent body)"), validators=[InputRequired(), Length(max=300)])
    notified_on = DateField(_l("Applicant notified on"), validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])

    def params(self):
        return {"body": self.body.data, "notified_on": self.notified_on.data, "comment": self.comment.data or ""}


class ResolveForm(Form):
    text = TextAreaField(_l("Resolution text"), validators=[InputRequired(), Length(max=4000)])
    responsible = SelectField(_l("Responsible executor"), choices=[], validators=[InputRequired()])
    co_executors = SelectMultipleField(_l("Co-executors"), choices=[], validators=[Optional()])
    informed = SelectMultipleField(_l("For information"), choices=[], validators=[Optional()])
    resolved_on = DateField(_l("Resolution date"), validators=[InputRequired()])
    deadline = DateField(_l("Deadline"), validators=[InputRequired()])
    term_days = SelectField(
        _l("Term"),
        choices=[("30", _l("30 days")), ("15", _l("15 days: needs no additional study"))],
        validators=[Optional()],
        description=_l("The registration's choice is only a proposal; the resolution decides."),
    )

    def params(self):
        return {
            "term_days": self.term_days.data or None,
            "text": self.text.data,
            "executors": [self.responsible.data, *(self.co_executors.data or [])],
            "for_information": self.informed.data or [],
            "resolved_on": self.resolved_on.data,
            "deadline": self.deadline.data,
        }


class CommentForm(Form):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])

    def params(self):
        return {"comment": self.comment.data or ""}


class DraftForm(Form):
    to_regional_center = TextAreaField(_l("Answer to the regional center (appendix 1)"), validators=[InputRequired()])
    to_applicant = TextAreaField(_l("Answer to the applicant (appendix 2)"), validators=[InputRequired()])
    feedback_method = SelectField(
        _l("Feedback method"), choices=enum_choices(FeedbackMethod), validators=[InputRequired()]
    )
    contacted_at = DateTimeLocalField(_l("Contacted at"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    feedback_result = TextAreaField(_l("Feedback result"), validators=[InputRequired(), Length(max=4000)])
    file = FileField(_l("Proof of feedback (file)"))

    def params(self):
        return {
            "to_regional_center": self.to_regional_center.data,
            "to_applicant": self.to_applicant.data,
            "feedback_method": self.feedback_method.data,
            "contacted_at": _kyiv_aware(self.contacted_at.data),
            "feedback_result": self.feedback_result.data,
        }


class DispatchForm(Form):
    # shown, not typed: the outgoing journal assigns the number when the answer is dispatched
    outgoing_number = StringField(
        _l("Outgoing No."),
        render_kw={"readonly": True},
        description=_l("Assigned from the outgoing journal on dispatch: the next free number of the year."),
    )
    file = FileField(_l("Signed scan"), description=_l("Not needed if the scan is already attached."))
    paper_copy_sent = BooleanField(_l("Paper copy sent"))
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])

    def params(self):
        return {
            "paper_copy_sent": self.paper_copy_sent.data,
            "comment": self.comment.data or "",
        }


class CloseForm(Form):
    result_code = SelectField(_l("Result"), choices=[], validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])

    def params(self):
        return {"result_code": self.result_code.data, "comment": self.comment.data or ""}


class ExtendForm(Form):
    new_due_date = DateField(_l("New due date"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=4000)])
    notified_on = DateField(_l("Applicant notified on"), validators=[InputRequired()])

    def params(self):
        return {
            "new_due_date": self.new_due_date.data,
            "reason": self.reason.data,
            "notified_on": self.notified_on.data,
        }


class PaperCopyForm(Form):
    sent_on = DateField(_l("Paper copy sent on"), validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])

    def params(self):
        return {"sent_on": self.sent_on.data, "comment": self.comment.data or ""}


class AttachForm(Form):
    kind = SelectField(_l("Kind of file"), choices=enum_choices(AttachmentKind), default=AttachmentKind.OTHER.value)
    file = FileField(_l("File"))


ACTION_FORMS: dict[str, type[Any]] = {
    "route": RouteForm,
    "return_to_applicant": ReasonForm,
    "not_consider": ReasonForm,
    "forward": ForwardForm,
    "resolve": ResolveForm,
    "accept": CommentForm,
    "draft": DraftForm,
    "submit": CommentForm,
    "sign": CommentForm,
    "rework": ReasonForm,
    "recall": ReasonForm,
    "dispatch": DispatchForm,
    "returned_by_center": ReasonForm,
    "close": CloseForm,
    "reopen": ReasonForm,
    "cancel": ReasonForm,
    "extend_term": ExtendForm,
    "paper_copy": PaperCopyForm,
}
# steps that cannot be taken back: the card asks before it sends them
CONFIRM_ACTIONS = {
    "return_to_applicant": _l("Return the appeal to the applicant? This ends its consideration."),
    "not_consider": _l("Record that the appeal is not considered? This ends its consideration."),
    "forward": _l("Forward the appeal to another body? This ends its consideration here."),
    "sign": _l("Sign the answer? It goes to dispatch."),
    "dispatch": _l("Register the answer as sent? The regional center receives it by e-mail."),
    "close": _l("Close the appeal? Only the director can reopen it."),
    "extend_term": _l("Extend the term? The applicant must have been notified."),
}
# the file an action's form may carry, and the kind it is kept as
ACTION_FILES = {"draft": AttachmentKind.FEEDBACK_PROOF, "dispatch": AttachmentKind.SCAN}


def _form_locale() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale.language) if locale else "uk"


def build_action_form(action: str, appeal: Appeal, formdata=None, user=None):
    """The form of one workflow action with its choices; a blank form starts with the service's defaults."""
    # WTForms' own messages ("This field is required.") in the page's language
    form = ACTION_FORMS[action](formdata, meta={"locales": [_form_locale()], "cache_translations": True})
    if action == "route":
        form.signer.choices = [("", _l("— by the topic's direction —")), *workflow.signer_choices()]
    elif action == "resolve":
        executors = workflow.executor_choices()
        form.responsible.choices = [("", "—"), *executors]
        form.co_executors.choices = executors
        form.informed.choices = executors
    elif action == "close":
        form.result_code.choices = [("", "—"), *workflow.result_code_choices()]
    if formdata is None:
        for name, value in workflow.default_params(action, appeal, user).items():
            if name == "result_code":
                value = str(value)
            elif isinstance(value, datetime):
                value = _kyiv_local(value)
            form[name].data = value
    if action == "dispatch":
        form.outgoing_number.data = outgoing.proposed_number()
    if action == "dispatch" and not any(AttachmentKind(a.kind) == AttachmentKind.SCAN for a in appeal.attachments):
        # marked as required before sending, not only refused after
        form.file.validators = [InputRequired(message=str(_l("Attach the signed scan of the answer.")))]
        form.file.flags.required = True
        form.file.render_kw = {"required": True, "accept": ".pdf,.jpg,.jpeg,.png,.tif,.tiff"}
        form.file.description = _l("Required: the scan of the signed answer.")
    return form


def registration_form(base):
    """The registration form: the appeal's own fields (``base``), the term, and a new applicant."""

    class AppealCreateForm(base):  # type: ignore[misc,valid-type]
        received_at = DateTimeLocalField(
            _l("Received at"),
            format="%Y-%m-%dT%H:%M",
            validators=[Optional()],
            default=lambda: datetime.now(KYIV).replace(second=0, microsecond=0, tzinfo=None),
            description=_l(
                "The e-mail's date, or when the letter or call came (now if left empty); the term counts from it."
            ),
        )
        needs_study = BooleanField(_l("Needs additional study (30 days; otherwise 15)"), default=True)
        requested_term_days = IntegerField(
            _l("Shorter term requested by the applicant, days"), validators=[Optional(), NumberRange(min=1, max=30)]
        )
        new_applicant_name = StringField(
            _l("New applicant: surname, name, patronymic"), validators=[Optional(), Length(max=200)]
        )
        new_applicant_address = StringField(_l("New applicant: address"), validators=[Optional(), Length(max=300)])
        new_applicant_phone = StringField(_l("New applicant: phone"), validators=[Optional(), Length(max=50)])
        new_applicant_email = StringField(_l("New applicant: e-mail"), validators=[Optional(), Length(max=200)])
        new_applicant_sex = SelectField(_l("New applicant: sex"), choices=enum_choices(Sex), default=Sex.UNKNOWN.value)
        new_applicant_social_status = QuerySelectField(
            _l("New applicant: social status"),
            allow_blank=True,
            blank_text="—",
            query_factory=lambda: db.session.query(SocialStatus).order_by(SocialStatus.code),
        )
        new_applicant_privilege = QuerySelectField(
            _l("New applicant: privilege category"),
            allow_blank=True,
            blank_text="—",
            query_factory=lambda: db.session.query(PrivilegeCategory).order_by(PrivilegeCategory.code),
        )

        def received(self) -> datetime | None:
            """The moment of receipt as typed (Kyiv wall-clock time), aware; None: now."""
            return _kyiv_aware(self.received_at.data)

        def populate_obj(self, obj):
            # the extra fields are registration inputs, not appeal columns
            for field in self:
                if not field.short_name.startswith(
                    ("new_applicant_", "needs_study", "requested_term_days", "received_at")
                ):
                    field.populate_obj(obj, field.short_name)

    return AppealCreateForm
