"""Translatable labels of enum members (msgids in English; Ukrainian in translations/uk)."""

from __future__ import annotations

from flask import g, has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

ENUM_LABELS = {
    # Role
    "Role.director": _l("Director"),
    "Role.signer": _l("Signer"),
    "Role.clerk": _l("Clerk"),
    "Role.executor": _l("Executor"),
    "Role.accountant": _l("Accountant"),
    "Role.auditor": _l("Auditor"),
    "Role.admin": _l("Administrator"),
    # AppealType
    "AppealType.proposal": _l("Proposal (remark)"),
    "AppealType.statement": _l("Statement (petition)"),
    "AppealType.complaint": _l("Complaint"),
    # AppealSubject
    "AppealSubject.individual": _l("Individual"),
    "AppealSubject.collective": _l("Collective"),
    "AppealSubject.anonymous": _l("Anonymous"),
    # ReceiptSign
    "ReceiptSign.primary": _l("Primary"),
    "ReceiptSign.repeated": _l("Repeated"),
    "ReceiptSign.duplicate": _l("Duplicate"),
    "ReceiptSign.multiple": _l("Multiple"),
    "ReceiptSign.mass": _l("Mass"),
    # Channel
    "Channel.post": _l("Post (incl. e-mail)"),
    "Channel.phone": _l("Telephone"),
    "Channel.personal": _l("Personal reception"),
    "Channel.authorised": _l("Via an authorised person"),
    "Channel.government": _l("Government Contact Center (1545)"),
    "Channel.media": _l("Via media"),
    "Channel.other_body": _l("From other bodies"),
    "Channel.web": _l("Web form"),
    "Channel.api": _l("API"),
    # Sex
    "Sex.male": _l("Male"),
    "Sex.female": _l("Female"),
    "Sex.unknown": _l("Not stated"),
    # AppealStatus
    "AppealStatus.registered": _l("Registered"),
    "AppealStatus.on_resolution": _l("On resolution"),
    "AppealStatus.assigned": _l("Assigned"),
    "AppealStatus.in_work": _l("In work"),
    "AppealStatus.answer_drafted": _l("Answer drafted"),
    "AppealStatus.on_signing": _l("On signing"),
    "AppealStatus.signed": _l("Signed"),
    "AppealStatus.sent": _l("Sent"),
    "AppealStatus.closed": _l("Closed"),
    "AppealStatus.returned_to_applicant": _l("Returned to applicant"),
    "AppealStatus.not_considered": _l("Not considered"),
    "AppealStatus.forwarded": _l("Forwarded by competence"),
    "AppealStatus.cancelled": _l("Cancelled"),
    # ExecutorRole
    "ExecutorRole.responsible": _l("Responsible"),
    "ExecutorRole.co_executor": _l("Co-executor"),
    "ExecutorRole.for_information": _l("For information"),
    # AssignmentStatus
    "AssignmentStatus.new": _l("New"),
    "AssignmentStatus.accepted": _l("Accepted"),
    "AssignmentStatus.answered": _l("Answered"),
    "AssignmentStatus.returned": _l("Returned for rework"),
    # AnswerKind
    "AnswerKind.to_regional_center": _l("To the regional center"),
    "AnswerKind.to_applicant": _l("To the applicant"),
    # AttachmentKind
    "AttachmentKind.incoming": _l("Incoming letter"),
    "AttachmentKind.answer": _l("Answer"),
    "AttachmentKind.feedback_proof": _l("Proof of feedback"),
    "AttachmentKind.scan": _l("Signed scan"),
    "AttachmentKind.other": _l("Other"),
    # FeedbackMethod
    "FeedbackMethod.phone": _l("Phone call"),
    "FeedbackMethod.email": _l("E-mail"),
    "FeedbackMethod.meeting": _l("Meeting"),
    "FeedbackMethod.letter": _l("Letter"),
    # DeliveryStatus
    "DeliveryStatus.pending": _l("Pending"),
    "DeliveryStatus.sent": _l("Delivered"),
    "DeliveryStatus.failed": _l("Delivery failed"),
    # IntakeSource, IntakeState (the exchange with the regional center)
    "IntakeSource.mailbox": _l("Mailbox"),
    "IntakeSource.upload": _l("Uploaded file"),
    "IntakeSource.command": _l("Command line"),
    "IntakeSource.ukc_batch": _l("GCC batch file"),
    "IntakeState.draft": _l("New draft"),
    "IntakeState.registered": _l("Registered"),
    "IntakeState.duplicate": _l("Duplicate message"),
    "IntakeState.rejected": _l("Not usable"),
    "IntakeState.dismissed": _l("Set aside"),
    # ExecutorKind
    "ExecutorKind.internal": _l("Internal unit"),
    "ExecutorKind.external": _l("External body"),
    # OrderType
    "OrderType.appointment": _l("Appointment"),
    "OrderType.dismissal": _l("Dismissal"),
    "OrderType.transfer": _l("Transfer"),
    "OrderType.regulation": _l("Approval of a regulation"),
    "OrderType.staff_list": _l("Staff list"),
    "OrderType.budget": _l("Budget"),
    "OrderType.general": _l("General"),
    # NotificationKind
    "NotificationKind.to_resolve": _l("A resolution to write"),
    "NotificationKind.assigned": _l("A new assignment"),
    "NotificationKind.to_sign": _l("An answer to sign"),
    "NotificationKind.returned": _l("An answer returned for rework"),
    "NotificationKind.term_ending": _l("The term ends within 3 days"),
    # Fund
    "Fund.general": _l("General fund"),
    "Fund.special": _l("Special fund"),
    # DocumentState
    "DocumentState.draft": _l("Draft"),
    "DocumentState.approved": _l("Approved"),
    # CalendarDayKind
    "CalendarDayKind.public_holiday": _l("Public holiday"),
    "CalendarDayKind.day_off": _l("Non-working day"),
    # ReportKind
    "ReportKind.weekly": _l("Weekly analysis"),
    "ReportKind.quarterly": _l("Quarterly statistics"),
    "ReportKind.budget_execution": _l("Budget execution"),
    "ReportKind.staff_list": _l("Staff list"),
    "ReportKind.audit_export": _l("Audit log export"),
    "ReportKind.register_export": _l("Appeals register export"),
    # JobState
    "JobState.queued": _l("Queued"),
    "JobState.started": _l("In progress"),
    "JobState.finished": _l("Done"),
    "JobState.failed": _l("Failed"),
    # AuditAction
    "AuditAction.insert": _l("Created"),
    "AuditAction.update": _l("Changed"),
    "AuditAction.delete": _l("Deleted"),
    "AuditAction.login": _l("Login"),
    "AuditAction.login_failed": _l("Failed login"),
    "AuditAction.lockout": _l("Account locked"),
    "AuditAction.logout": _l("Logout"),
    "AuditAction.denied": _l("Access denied"),
    "AuditAction.export": _l("Export"),
    "AuditAction.download": _l("Download"),
    "AuditAction.view_personal_data": _l("Personal data viewed"),
}


def enum_label(member) -> str:
    """The translated label of an enum member; its value if none is defined.

    Lazy outside a request; in a request, translated once per member and language (a list
    page shows the same few labels on every row, and a lazy string looks its translation up
    each time it is shown).
    """
    if not has_request_context():
        return ENUM_LABELS.get(f"{type(member).__name__}.{member.value}", member.value)
    labels = g.setdefault("_portal_enum_labels", {})
    # the class too: members of two str enums with one value are equal (AppealStatus.SENT == DeliveryStatus.SENT)
    key = (type(member), member, get_locale())
    label = labels.get(key)
    if label is None:
        label = labels[key] = str(ENUM_LABELS.get(f"{type(member).__name__}.{member.value}", member.value))
    return label


def enum_choices(enum_cls) -> list[tuple[str, object]]:
    """(value, label) pairs for a select field."""
    return [(m.value, enum_label(m)) for m in enum_cls]


def _info_label(prop):
    """The ``info={"label": ...}`` of a column property or relationship (None when it has none)."""
    info = getattr(prop, "info", None) or {}
    if "label" not in info and hasattr(prop, "columns"):
        info = prop.columns[0].info or {}
    return info.get("label")


def _fallback(key: str) -> str:
    return key.replace("_", " ").capitalize()


def field_label(model_cls, key: str):
    """The human label of a model field: ``info={"label": ...}`` on its column or relationship."""
    from sqlalchemy import inspect as sa_inspect

    try:
        mapper = sa_inspect(model_cls)
    except Exception:
        return key
    prop = mapper.attrs.get(key) if hasattr(mapper.attrs, "get") else None
    if prop is None:
        return _fallback(key)
    label = _info_label(prop)
    return label if label is not None else _fallback(key)


def field_labels(model_cls, *, explicit_only: bool = False) -> dict:
    """Labels of every column and relationship of a model, keyed by attribute name.

    ``explicit_only``: only the fields that declare a label (others keep Flask-Admin's own);
    labels stay lazy, untranslated until shown, so this is safe at import time.
    """
    from sqlalchemy import inspect as sa_inspect

    labels = {}
    for prop in sa_inspect(model_cls).attrs:
        label = _info_label(prop)
        if label is not None or not explicit_only:
            labels[prop.key] = label if label is not None else _fallback(prop.key)
    return labels
