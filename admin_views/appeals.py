"""Appeal screens: the register (list), registration, the appeal card with its workflow, files.

The view stays declarative: registration, transitions and files go through
``portal.services.registration``, ``workflow`` and ``attachments``.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, send_file
from flask_admin import expose
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.form import rules
from flask_admin.model import filters as base_filters
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import CombinedMultiDict
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

from admin_views.base import PortalModelView
from portal.auth.permissions import can
from portal.extensions import db
from portal.i18n import KYIV, format_date, kyiv_today
from portal.labels import enum_choices, enum_label
from portal.models.appeals import Appeal, Applicant, Assignment, Attachment
from portal.models.enums import (
    AppealStatus,
    AppealSubject,
    AppealType,
    AttachmentKind,
    AuditAction,
    Channel,
    ExecutorRole,
    FeedbackMethod,
    ReceiptSign,
    Role,
    Sex,
)
from portal.models.org import Executor
from portal.models.reference import Direction, PrivilegeCategory, ResultCode, SocialStatus, Topic
from portal.models.users import User
from portal.services import attachments, audit, deadlines, registration, workflow
from portal.services.errors import DomainError
from portal.services.scope import can_see_appeal, scope_appeals

STATUS_BADGES = {
    AppealStatus.REGISTERED: "secondary",
    AppealStatus.ON_RESOLUTION: "info",
    AppealStatus.ASSIGNED: "info",
    AppealStatus.IN_WORK: "primary",
    AppealStatus.ANSWER_DRAFTED: "primary",
    AppealStatus.ON_SIGNING: "warning",
    AppealStatus.SIGNED: "warning",
    AppealStatus.SENT: "success",
    AppealStatus.CLOSED: "dark",
    AppealStatus.RETURNED_TO_APPLICANT: "light",
    AppealStatus.NOT_CONSIDERED: "light",
    AppealStatus.FORWARDED: "light",
}


# --- list filters: stable url keys (flt0_status=…) whatever the language ----------------------


class LazyOptions:
    """Filter options read from the database when the list renders, not at start-up."""

    def __init__(self, load):
        self.load = load

    def __bool__(self) -> bool:
        return True

    def __iter__(self):
        return iter(self.load())


def _options(model, order, label=str):
    return LazyOptions(
        lambda: [(str(o.id), label(o)) for o in db.session.execute(sa.select(model).order_by(*order)).scalars()]
    )


class EnumFilter(sqla_filters.FilterEqual):
    def __init__(self, column, name, enum_cls, url_key):
        super().__init__(column, name, options=enum_choices(enum_cls))
        self.enum_cls, self.url_key = enum_cls, url_key

    def validate(self, value) -> bool:
        return value in {m.value for m in self.enum_cls}

    def clean(self, value):
        return self.enum_cls(value)


class IdFilter(sqla_filters.FilterEqual):
    def __init__(self, column, name, options, url_key):
        super().__init__(column, name, options=options)
        self.url_key = url_key

    def clean(self, value) -> int:
        return int(value)


class ExecutorFilter(IdFilter):
    """Any assignment of the executor body (responsible, co-executor or informed)."""

    def apply(self, query, value, alias=None):
        return query.filter(sa.exists().where(Assignment.appeal_id == Appeal.id, Assignment.executor_id == value))


class CoExecutorFilter(IdFilter):
    """The executor body is a co-executor or informed (not the responsible one)."""

    def apply(self, query, value, alias=None):
        return query.filter(
            sa.exists().where(
                Assignment.appeal_id == Appeal.id,
                Assignment.executor_id == value,
                Assignment.executor_role != ExecutorRole.RESPONSIBLE,
            )
        )


class FlagFilter(sqla_filters.BaseSQLAFilter, base_filters.BaseBooleanFilter):
    """Yes/no over a WHERE clause built at request time (e.g. overdue against today's date)."""

    def __init__(self, name, clause, url_key):
        super().__init__(Appeal.id, name)  # BaseBooleanFilter supplies the yes/no options
        self.clause, self.url_key = clause, url_key

    def apply(self, query, value, alias=None):
        clause = self.clause()
        return query.filter(clause if value == "1" else sa.not_(clause))

    def operation(self):
        return sqla_filters.FilterEqual.operation(self)


class KyivDateBetweenFilter(sqla_filters.DateBetweenFilter):
    """A range of Kyiv calendar days over a UTC timestamp column."""

    def __init__(self, column, name, url_key):
        super().__init__(column, name)
        self.url_key = url_key

    def apply(self, query, value, alias=None):
        start, end = value
        lower = datetime.combine(start, time.min, KYIV)
        upper = datetime.combine(end + timedelta(days=1), time.min, KYIV)
        column = self.get_column(alias)
        return query.filter(column >= lower, column < upper)


class DateRangeFilter(sqla_filters.DateBetweenFilter):
    def __init__(self, column, name, url_key):
        super().__init__(column, name)
        self.url_key = url_key


def _keyed(flt, url_key):
    flt.url_key = url_key
    return flt


def _filters():
    return [
        EnumFilter(Appeal.status, _l("Status"), AppealStatus, "status"),
        FlagFilter(_l("Open (not finished)"), lambda: deadlines.open_clause(by_exclusion=True), "open"),
        FlagFilter(_l("Overdue"), lambda: deadlines.overdue_clause(by_exclusion=True), "overdue"),
        FlagFilter(_l("Due within 3 days"), lambda: deadlines.near_due_clause(by_exclusion=True), "near_due"),
        FlagFilter(_l("Returned for rework"), lambda: Appeal.rework_count > 0, "reworked"),
        _keyed(sqla_filters.BooleanEqualFilter(Appeal.is_privileged, _l("Privileged applicant")), "privileged"),
        EnumFilter(Appeal.channel, _l("Channel"), Channel, "channel"),
        EnumFilter(Appeal.appeal_type, _l("Appeal type"), AppealType, "type"),
        EnumFilter(Appeal.subject, _l("Appeal subject"), AppealSubject, "subject"),
        EnumFilter(Appeal.sign, _l("Receipt sign"), ReceiptSign, "sign"),
        IdFilter(Appeal.topic_id, _l("Topic"), _options(Topic, [Topic.code]), "topic"),
        IdFilter(Appeal.direction_id, _l("Direction"), _options(Direction, [Direction.name]), "direction"),
        ExecutorFilter(Appeal.id, _l("Executor (any assignment)"), _options(Executor, [Executor.name]), "executor"),
        CoExecutorFilter(Appeal.id, _l("Co-executor or informed"), _options(Executor, [Executor.name]), "co_executor"),
        IdFilter(
            Appeal.main_executor_id, _l("Executor of record"), _options(Executor, [Executor.name]), "main_executor"
        ),
        DateRangeFilter(Appeal.due_date, _l("Due date"), "due"),
        KyivDateBetweenFilter(Appeal.registered_at, _l("Registration date"), "registered"),
    ]


# --- pickers: prefix and equality lookups that an index serves --------------------------------


class _PickerLoader(QueryAjaxModelLoader):
    """A picker that applies its own scope; a submitted id is an integer primary key."""

    _portal_scoped = True  # PortalModelView leaves its scoping to the loader

    def scoped(self, query):
        return query

    def get_one(self, pk):
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            return None
        with db.session.no_autoflush:
            query = self.scoped(sa.select(self.model).where(self.model.id == pk))
            return db.session.execute(query).scalar_one_or_none()


class ApplicantLoader(_PickerLoader):
    def __init__(self):
        super().__init__("applicant", db, Applicant, fields=["full_name"])

    def format(self, model):
        if model is None:
            return None
        extra = ", ".join(x for x in (model.phone, model.address) if x)
        return model.id, f"{model.full_name} ({extra})" if extra else model.full_name

    def get_list(self, term, offset=0, limit=10):
        term = (term or "").strip()
        who = [registration.prefix_range(Applicant.full_name, v) for v in registration.name_variants(term)]
        if any(ch.isdigit() for ch in term):
            who.append(Applicant.phone.in_(registration.phone_variants(term)))
        if "@" in term:
            who.append(Applicant.email.in_({term, registration.normalise_email(term)}))
        if not who:
            return []
        query = sa.select(Applicant).where(sa.or_(*who)).order_by(Applicant.full_name, Applicant.id)
        return list(db.session.execute(query.offset(offset or 0).limit(limit)).scalars())


class TopicLoader(_PickerLoader):
    def __init__(self):
        super().__init__("topic", db, Topic, fields=["code", "name"])

    def get_list(self, term, offset=0, limit=10):
        term = (term or "").strip()
        query = sa.select(Topic).order_by(Topic.code)
        if term:
            query = query.where(
                sa.or_(Topic.code.startswith(term), Topic.name.contains(term), Topic.name.contains(term.capitalize()))
            )
        return list(db.session.execute(query.offset(offset or 0).limit(limit)).scalars())


class AppealLoader(_PickerLoader):
    def __init__(self):
        super().__init__("repeat_of", db, Appeal, fields=["reg_number"])

    def scoped(self, query):
        return scope_appeals(query, current_user)

    def format(self, model):
        if model is None:
            return None
        return model.id, f"{model.reg_number} {format_date(model.registered_at)} {model.applicant or ''}".strip()

    def get_list(self, term, offset=0, limit=10):
        if not (term or "").strip():
            return []
        query = self.scoped(
            sa.select(Appeal)
            .where(registration.search_clause(term))
            .order_by(Appeal.registered_at.desc(), Appeal.id.desc())
        )
        return list(db.session.execute(query.offset(offset or 0).limit(limit)).scalars())


# --- list cells --------------------------------------------------------------------------------


def status_badge(status) -> Markup:
    status = AppealStatus(status)
    return Markup('<span class="badge badge-status badge-{}">{}</span>').format(
        STATUS_BADGES.get(status, "secondary"), enum_label(status)
    )


def due_cell(appeal: Appeal) -> Markup:
    state = deadlines.deadline_state(appeal.due_date, appeal.status)
    text = format_date(appeal.due_date)
    if state == "overdue":
        return Markup('<span class="portal-overdue" title="{}">{}</span>').format(_l("Overdue"), text)
    if state == "near_due":
        return Markup('<span class="portal-near-due" title="{}">{}</span>').format(_l("Due within 3 days"), text)
    return Markup("{}").format(text)


def _fmt_reg_number(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(view.get_url(".details_view", id=model.id), model.reg_number)


def _fmt_status(view, context, model, name):
    return status_badge(model.status)


def _fmt_due(view, context, model, name):
    return due_cell(model)


def _fmt_privileged(view, context, model, name):
    if not model.is_privileged:
        return ""
    return Markup('<span class="fa fa-star portal-privileged" role="img" title="{0}" aria-label="{0}"></span>').format(
        _l("Privileged applicant")
    )


def _fmt_cut(view, context, model, name):
    """A related record or a label cut to the column's width; the whole text on hover."""
    value = getattr(model, name)
    text = "" if value is None else str(value)
    return Markup('<span class="portal-cut" title="{}">{}</span>').format(text, text)


def _fmt_summary(view, context, model, name):
    text = model.summary or ""
    short = text if len(text) <= 60 else text[:58] + "…"
    return Markup('<span class="portal-cut" title="{}">{}</span>').format(text, short)


# --- workflow forms (one per action; CSRF is checked for every POST by CSRFProtect) -------------


def _kyiv_aware(value: datetime | None):
    return value.replace(tzinfo=KYIV) if value is not None and value.tzinfo is None else value


def _coerce_enum(enum_cls):
    def coerce(value):
        if value in (None, "") or isinstance(value, enum_cls):
            return value or None
        return enum_cls(value)

    return coerce


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

    def params(self):
        return {
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
    outgoing_number = StringField(_l("Outgoing No."), validators=[InputRequired(), Length(max=32)])
    file = FileField(_l("Signed scan"), description=_l("Not needed if the scan is already attached."))
    paper_copy_sent = BooleanField(_l("Paper copy sent"))
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])

    def params(self):
        return {
            "outgoing_number": self.outgoing_number.data,
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


class AttachForm(Form):
    kind = SelectField(_l("Kind of file"), choices=enum_choices(AttachmentKind), default=AttachmentKind.OTHER.value)
    file = FileField(_l("File"))


ACTION_FORMS = {
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
    "dispatch": DispatchForm,
    "close": CloseForm,
    "extend_term": ExtendForm,
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


def _executor_choices():
    rows = db.session.execute(sa.select(Executor).where(Executor.is_active.is_(True)).order_by(Executor.name))
    return [(str(e.id), e.name) for e in rows.scalars()]


def _form_locale() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale.language) if locale else "uk"


def build_action_form(action: str, appeal: Appeal, formdata=None):
    """The form of one workflow action, with its choices and sensible defaults for this appeal."""
    # WTForms' own messages ("This field is required.") in the page's language
    form = ACTION_FORMS[action](formdata, meta={"locales": [_form_locale()], "cache_translations": True})
    today = kyiv_today()
    if action == "route":
        signers = db.session.execute(
            sa.select(User).where(User.role == Role.SIGNER, User.active.is_(True)).order_by(User.full_name)
        ).scalars()
        form.signer.choices = [("", _l("— by the topic's direction —"))] + [
            (str(u.id), f"{u} ({u.direction})" if u.direction else str(u)) for u in signers
        ]
    elif action == "resolve":
        executors = _executor_choices()
        form.responsible.choices = [("", "—")] + executors
        form.co_executors.choices = executors
        form.informed.choices = executors
        if formdata is None:
            form.resolved_on.data = today
            form.deadline.data = appeal.due_date
    elif action == "close":
        codes = db.session.execute(sa.select(ResultCode).order_by(ResultCode.id)).scalars()
        form.result_code.choices = [("", "—")] + [(str(c.id), c.name) for c in codes]
        if formdata is None and AppealStatus(appeal.status) == AppealStatus.FORWARDED:
            code = db.session.execute(sa.select(ResultCode).filter_by(code="forwarded")).scalar_one_or_none()
            form.result_code.data = str(code.id) if code else ""
    elif formdata is None and action in ("forward",):
        form.notified_on.data = today
    elif formdata is None and action == "extend_term":
        form.notified_on.data = today
        form.new_due_date.data = min(
            deadlines.latest_due_date(appeal.registered_at), max(appeal.due_date, today) + timedelta(days=15)
        )
    elif formdata is None and action == "return_to_applicant":
        missing = registration.describe_missing(registration.completeness_problems(appeal))
        if missing:
            form.reason.data = str(
                _l(
                    'The appeal lacks (Art. 5 of the Law of Ukraine "On citizens\' appeals"): %(items)s.',
                    items=", ".join(str(m) for m in missing),
                )
            )
    elif formdata is None and action == "not_consider":
        form.reason.data = str(registration.not_considered_reason(appeal) or "")
    elif formdata is None and action == "draft":
        form.contacted_at.data = datetime.now(KYIV).replace(second=0, microsecond=0, tzinfo=None)
    if action == "dispatch" and not any(AttachmentKind(a.kind) == AttachmentKind.SCAN for a in appeal.attachments):
        # marked as required before sending, not only refused after
        form.file.validators = [InputRequired(message=str(_l("Attach the signed scan of the answer.")))]
        form.file.flags.required = True
        form.file.render_kw = {"required": True, "accept": ".pdf,.jpg,.jpeg,.png,.tif,.tiff"}
        form.file.description = _l("Required: the scan of the signed answer.")
    return form


def _form_errors(form) -> list[str]:
    return [f"{field.label.text}: {error}" for field in form for error in field.errors]


# --- the view -----------------------------------------------------------------------------------


class AppealView(PortalModelView):
    area = "appeal"
    logs_personal_data = True
    details_template = "admin/appeal_details.html"
    create_template = "admin/appeal_create.html"
    list_template = "admin/appeal_list.html"

    # list
    simple_list_pager = True
    column_auto_select_related = False  # get_query loads the related rows with separate IN queries
    column_list = (
        "reg_number",
        "registered_at",
        "channel",
        "ukc_number",
        "applicant",
        "is_privileged",
        "summary",
        "topic",
        "status",
        "due_date",
        "main_executor",
    )
    column_sortable_list = ("reg_number", "registered_at", "channel", "is_privileged", "status", "due_date")
    column_default_sort = [("registered_at", True), ("id", True)]
    column_searchable_list = ("reg_number", "ukc_number", "regional_number")
    column_formatters = {
        "reg_number": _fmt_reg_number,
        "status": _fmt_status,
        "due_date": _fmt_due,
        "is_privileged": _fmt_privileged,
        "summary": _fmt_summary,
        "applicant": _fmt_cut,
        "topic": _fmt_cut,
        "channel": _fmt_cut,
        "main_executor": _fmt_cut,
    }
    column_formatters_export: dict = {}
    column_export_list = (
        "reg_number",
        "registered_at",
        "channel",
        "ukc_number",
        "regional_number",
        "applicant",
        "is_privileged",
        "appeal_type",
        "subject",
        "sign",
        "topic",
        "direction",
        "summary",
        "status",
        "due_date",
        "main_executor",
        "outgoing_number",
        "sent_at",
        "result_code",
        "closed_at",
    )
    column_labels = {
        "main_executor": _l("Executor of record"),
        "is_privileged": _l("Privileged"),
        "channel": _l("Received via"),
        "reg_number": _l("Reg. No."),
    }

    # forms: status and everything the workflow sets are not editable here
    form_columns = (
        "channel",
        "ukc_number",
        "regional_number",
        "applicant",
        "appeal_type",
        "subject",
        "sign",
        "topic",
        "summary",
        "content",
        "signed_by_applicant",
        "repeat_of",
    )
    form_overrides = {
        "channel": SelectField,
        "appeal_type": SelectField,
        "subject": SelectField,
        "sign": SelectField,
        "content": TextAreaField,
    }
    form_args = {
        "channel": {"choices": enum_choices(Channel), "coerce": _coerce_enum(Channel)},
        "appeal_type": {"choices": enum_choices(AppealType), "coerce": _coerce_enum(AppealType)},
        "subject": {
            "choices": enum_choices(AppealSubject),
            "coerce": _coerce_enum(AppealSubject),
            "default": AppealSubject.INDIVIDUAL.value,
        },
        "sign": {
            "choices": enum_choices(ReceiptSign),
            "coerce": _coerce_enum(ReceiptSign),
            "default": ReceiptSign.PRIMARY.value,
            "description": _l(
                "A repeat of an appeal of the same applicant on the same topic within a year "
                "is found and marked at registration."
            ),
        },
        "summary": {"validators": [InputRequired(), Length(max=500)]},
        "applicant": {"description": _l("Pick a known applicant, or leave empty and fill in a new one below.")},
    }
    form_widget_args = {"content": {"rows": 6}}
    form_ajax_refs = {"applicant": ApplicantLoader(), "topic": TopicLoader(), "repeat_of": AppealLoader()}
    _registration_fields = (
        "channel",
        "ukc_number",
        "regional_number",
        "appeal_type",
        "subject",
        "sign",
        "topic",
        "summary",
        "content",
        "signed_by_applicant",
        "repeat_of",
    )
    form_edit_rules = (
        rules.FieldSet(_registration_fields, _l("Appeal")),
        rules.FieldSet(("applicant",), _l("Applicant")),
    )
    form_create_rules = (
        rules.FieldSet(_registration_fields, _l("Appeal")),
        rules.FieldSet(("needs_study", "requested_term_days"), _l("Term")),
        rules.FieldSet(
            (
                "applicant",
                "new_applicant_name",
                "new_applicant_address",
                "new_applicant_phone",
                "new_applicant_email",
                "new_applicant_sex",
                "new_applicant_social_status",
                "new_applicant_privilege",
            ),
            _l("Applicant"),
        ),
    )

    # custom routes → permission action (the workflow service then checks the specific step)
    extra_view_actions = {"transition_view": "details", "attach_view": "attach", "download_view": "details"}
    action_permissions: dict = {}

    def __init__(self, model, *args, **kwargs):
        self.column_filters = _filters()
        super().__init__(model, *args, **kwargs)

    # --- queries --------------------------------------------------------------------------
    def scope_query(self, query):
        return scope_appeals(query, current_user)

    def get_query(self):
        # separate IN queries, not joins: a join would run for every row an OFFSET skips
        return (
            super()
            .get_query()
            .options(selectinload(Appeal.applicant), selectinload(Appeal.topic), selectinload(Appeal.main_executor))
        )

    def get_filter_arg(self, index, flt):
        return getattr(flt, "url_key", None) or str(index)

    def search_placeholder(self):
        return str(_l("Reg. No., GCC No., regional No. or applicant's name"))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        clause = registration.search_clause(search)
        query = query.filter(clause)
        if count_query is not None:
            count_query = count_query.filter(clause)
        return query, count_query, joins, count_joins

    # --- registration and edits -------------------------------------------------------------
    def get_create_form(self):
        base = self.get_form()

        class AppealCreateForm(base):
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
            new_applicant_sex = SelectField(
                _l("New applicant: sex"), choices=enum_choices(Sex), default=Sex.UNKNOWN.value
            )
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

            def populate_obj(self, obj):
                # the extra fields are registration inputs, not appeal columns
                for name, field in self._fields.items():
                    if not name.startswith(("new_applicant_", "needs_study", "requested_term_days")):
                        field.populate_obj(obj, name)

        return AppealCreateForm

    def on_model_change(self, form, model, is_created):
        if is_created:
            with db.session.no_autoflush:
                self._attach_new_applicant(form, model)
            result = registration.register_appeal(
                model,
                user=current_user,
                needs_study=bool(form.needs_study.data),
                requested_term_days=form.requested_term_days.data or None,
            )
            g.appeal_registration = result
            return
        history = sa.inspect(model).attrs.status.history
        if history.has_changes():
            raise DomainError(_l("The state of an appeal changes only through its workflow actions."))
        registration.refresh_derived(model)

    def _attach_new_applicant(self, form, model):
        typed = (form.new_applicant_name.data or "").strip()
        if model.applicant is not None:
            if typed:
                raise DomainError(_l("Either pick a known applicant or fill in a new one, not both."))
            return
        if not typed:
            return
        model.applicant = registration.new_applicant(
            full_name=typed,
            address=form.new_applicant_address.data or "",
            phone=form.new_applicant_phone.data or "",
            email=form.new_applicant_email.data or "",
            sex=Sex(form.new_applicant_sex.data or Sex.UNKNOWN.value),
            social_status=form.new_applicant_social_status.data,
            privilege_category=form.new_applicant_privilege.data,
        )

    def after_model_change(self, form, model, is_created):
        result = g.pop("appeal_registration", None)
        if not is_created or result is None:
            return
        flash(
            _l("Registered as %(number)s, due %(date)s.", number=model.reg_number, date=format_date(model.due_date)),
            "success",
        )
        if result.repeat_of is not None:
            flash(
                _l(
                    "The same applicant wrote on this topic within a year (%(number)s): marked as repeated.",
                    number=result.repeat_of.reg_number,
                ),
                "warning",
            )
        if result.missing:
            flash(
                _l(
                    "The appeal lacks: %(items)s. Return it to the applicant with an explanation (Art. 5).",
                    items=", ".join(str(m) for m in registration.describe_missing(result.missing)),
                ),
                "warning",
            )
        if result.not_considered_reason:
            flash(str(result.not_considered_reason), "warning")

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)

    def on_model_delete(self, model):
        g.appeal_files = [attachments.path_of(a) for a in model.attachments]

    def after_model_delete(self, model):
        # the rows went with the appeal (cascade); their files go once the delete is committed
        for path in g.pop("appeal_files", []):
            if os.path.exists(path):
                os.remove(path)

    # --- the appeal card ------------------------------------------------------------------------
    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs.update(self.details_context(model))
        return super().render(template, **kwargs)

    def details_context(self, appeal: Appeal) -> dict:
        actions = workflow.available_actions(current_user, appeal)
        refused = g.get("refused_action") or {}  # a refused step's form, with what was typed
        status = AppealStatus(appeal.status)
        return {
            "status_badge": status_badge(appeal.status),
            "due_cell": due_cell(appeal),
            "deadline_state": deadlines.deadline_state(appeal.due_date, appeal.status),
            "days_left": deadlines.days_left(appeal.due_date),
            "latest_due": deadlines.latest_due_date(appeal.registered_at),
            "missing": (
                registration.describe_missing(registration.completeness_problems(appeal))
                if status == AppealStatus.REGISTERED
                else []
            ),
            "not_considered_hint": (
                registration.not_considered_reason(appeal) if status == AppealStatus.REGISTERED else None
            ),
            "show_personal": can(current_user, "appeal", "view_personal_data"),
            "actions": [(a, workflow.action_label(a), refused.get(a) or build_action_form(a, appeal)) for a in actions],
            "refused_action": next(iter(refused), None),
            "confirm_actions": CONFIRM_ACTIONS,
            "action_files": ACTION_FILES,
            "attach_form": AttachForm() if workflow.can_attach(current_user, appeal) else None,
            "max_upload_mb": round(attachments.max_bytes() / 1024 / 1024, 1),
            "responsible": workflow.responsible_assignment(appeal),
        }

    def _appeal_from_form(self) -> Appeal:
        appeal = self.get_one(request.form.get("id", ""))
        if appeal is None:
            abort(404)
        return appeal

    def _back(self, appeal: Appeal):
        if can_see_appeal(current_user, appeal):
            return redirect(self.get_url(".details_view", id=appeal.id))
        return redirect(self.get_url(".index_view"))

    @expose("/transition/", methods=("POST",))
    def transition_view(self):
        appeal = self._appeal_from_form()
        action = request.form.get("action", "")
        if action not in ACTION_FORMS:
            abort(400)
        if not self.allowed(action):
            return self.deny()
        form = build_action_form(action, appeal, CombinedMultiDict([request.form, request.files]))
        if not form.validate():
            flash(_l("The step was not done: correct the fields marked below."), "error")
            return self._refused(appeal, action, form)
        saved = []
        upload = request.files.get("file")
        try:
            params = form.params()
            if action in ACTION_FILES and upload is not None and upload.filename:
                saved.append(attachments.save_upload(appeal, upload, kind=ACTION_FILES[action], user=current_user))
                if action == "draft":
                    params["feedback_attachment"] = saved[-1]
            workflow.perform(current_user, appeal, action, **params)
            db.session.commit()
        except workflow.NotAllowed:
            self._discard(saved)
            return self.deny()
        except DomainError as exc:
            self._discard(saved)
            flash(str(exc), "error")
            field = getattr(exc, "field", None)
            if field and field in form:
                form[field].errors = [*form[field].errors, str(exc)]
            if upload is not None and upload.filename:
                flash(_l("Choose the file again: a browser never keeps a chosen file."), "warning")
            return self._refused(appeal, action, form)
        flash(_l("Done: %(action)s.", action=workflow.action_label(action)), "success")
        return self._back(appeal)

    def _refused(self, appeal: Appeal, action: str, form):
        """The card again, the refused step's form open with what was typed and its messages."""
        appeal = self.get_one(str(appeal.id)) or appeal  # reloaded after a rollback
        g.refused_action = {action: form}
        return self.render(
            self.details_template,
            model=appeal,
            details_columns=self._details_columns,
            get_value=self.get_detail_value,
            return_url=self.get_url(".index_view"),
        )

    def _discard(self, saved):
        db.session.rollback()
        for attachment in saved:
            with contextlib.suppress(OSError, DomainError):
                os.remove(attachments.path_of(attachment))

    @expose("/attach/", methods=("POST",))
    def attach_view(self):
        appeal = self._appeal_from_form()
        if not workflow.can_attach(current_user, appeal):
            return self.deny()
        form = AttachForm(CombinedMultiDict([request.form, request.files]))
        saved = []
        try:
            if not form.validate():
                raise DomainError("; ".join(_form_errors(form)))
            saved.append(
                attachments.save_upload(appeal, request.files.get("file"), kind=form.kind.data, user=current_user)
            )
            db.session.commit()
        except DomainError as exc:
            self._discard(saved)
            flash(str(exc), "error")
        else:
            flash(_l("File attached: %(name)s.", name=saved[0].filename), "success")
        return self._back(appeal)

    @expose("/attachment/<int:attachment_id>")
    def download_view(self, attachment_id: int):
        attachment = db.session.get(Attachment, attachment_id)
        if attachment is None:
            abort(404)
        if self.get_one(str(attachment.appeal_id)) is None:
            return self.deny()
        try:
            path = attachments.path_of(attachment)
        except DomainError:
            abort(404)
        if not os.path.exists(path):
            abort(404)
        audit.log_event_now(
            AuditAction.DOWNLOAD,
            model="Attachment",
            record_id=attachment.id,
            label=f"{attachment.appeal}: {attachment.filename}",
        )
        return send_file(
            path, mimetype=attachment.content_type, as_attachment=True, download_name=attachment.filename, max_age=0
        )


def register(admin) -> None:
    from admin_views import CATEGORY_APPEALS

    admin.add_view(AppealView(Appeal, name=_l("Appeals"), category=CATEGORY_APPEALS))
