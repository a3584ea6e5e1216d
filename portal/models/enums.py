"""Fixed classifications from the law and the design (labels live in ``portal.labels``)."""

from __future__ import annotations

from portal.models.base import LabeledEnum


class Role(LabeledEnum):
    DIRECTOR = "director"
    SIGNER = "signer"
    CLERK = "clerk"
    EXECUTOR = "executor"
    ACCOUNTANT = "accountant"
    AUDITOR = "auditor"
    ADMIN = "admin"


class AppealType(LabeledEnum):
    PROPOSAL = "proposal"  # пропозиція (зауваження)
    STATEMENT = "statement"  # заява (клопотання)
    COMPLAINT = "complaint"  # скарга


class AppealSubject(LabeledEnum):
    INDIVIDUAL = "individual"
    COLLECTIVE = "collective"  # КО
    ANONYMOUS = "anonymous"  # БП


class ReceiptSign(LabeledEnum):
    PRIMARY = "primary"  # первинне
    REPEATED = "repeated"  # повторне
    DUPLICATE = "duplicate"  # дублетне
    MULTIPLE = "multiple"  # неодноразове
    MASS = "mass"  # масове


class Channel(LabeledEnum):
    """Form of receipt, Classifier 858 §1, plus web form and API intake."""

    POST = "post"  # поштою (у т.ч. електронною)
    PHONE = "phone"
    PERSONAL = "personal"  # на особистому прийомі
    AUTHORISED = "authorised"  # через уповноважену особу
    GOVERNMENT = "government"  # від органів влади (УКЦ/1545 через обласний КЦ)
    MEDIA = "media"
    OTHER_BODY = "other_body"
    WEB = "web"
    API = "api"


class Sex(LabeledEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class AppealStatus(LabeledEnum):
    REGISTERED = "registered"
    ON_RESOLUTION = "on_resolution"
    ASSIGNED = "assigned"
    IN_WORK = "in_work"
    ANSWER_DRAFTED = "answer_drafted"
    ON_SIGNING = "on_signing"
    SIGNED = "signed"
    SENT = "sent"
    CLOSED = "closed"
    RETURNED_TO_APPLICANT = "returned_to_applicant"
    NOT_CONSIDERED = "not_considered"
    FORWARDED = "forwarded"
    CANCELLED = "cancelled"  # a wrong registration, cancelled by the director; stays in the register


# Open: still awaiting an answer. An answer sent, or a forwarding by competence, ends the
# consideration for timeliness (Art. 20), even before the case is closed.
OPEN_STATUSES = frozenset(
    s
    for s in AppealStatus
    if s
    not in (
        AppealStatus.SENT,
        AppealStatus.CLOSED,
        AppealStatus.RETURNED_TO_APPLICANT,
        AppealStatus.NOT_CONSIDERED,
        AppealStatus.FORWARDED,
        AppealStatus.CANCELLED,
    )
)


class CalendarDayKind(LabeledEnum):
    PUBLIC_HOLIDAY = "public_holiday"  # святковий день (switchable off, as under martial law)
    DAY_OFF = "day_off"  # a non-working day the director declared


class ExecutorRole(LabeledEnum):
    RESPONSIBLE = "responsible"  # перший виконавець
    CO_EXECUTOR = "co_executor"
    FOR_INFORMATION = "for_information"  # до відома


class AssignmentStatus(LabeledEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    ANSWERED = "answered"
    RETURNED = "returned"  # на доопрацювання


class AnswerKind(LabeledEnum):
    TO_REGIONAL_CENTER = "to_regional_center"  # додаток 1
    TO_APPLICANT = "to_applicant"  # додаток 2


class AttachmentKind(LabeledEnum):
    INCOMING = "incoming"  # the e-mail / letter itself
    ANSWER = "answer"
    FEEDBACK_PROOF = "feedback_proof"
    SCAN = "scan"  # signed outgoing scan
    OTHER = "other"


class FeedbackMethod(LabeledEnum):
    PHONE = "phone"
    EMAIL = "email"
    MEETING = "meeting"
    LETTER = "letter"


class DeliveryStatus(LabeledEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ExecutorKind(LabeledEnum):
    INTERNAL = "internal"  # a structural unit of the center
    EXTERNAL = "external"  # executive body, utility, ...


class OrderType(LabeledEnum):
    APPOINTMENT = "appointment"
    DISMISSAL = "dismissal"
    TRANSFER = "transfer"
    REGULATION = "regulation"  # approval of a unit's regulation
    STAFF_LIST = "staff_list"
    BUDGET = "budget"
    GENERAL = "general"


class NotificationKind(LabeledEnum):
    """What a notification in the top bar's bell tells its user (issue 12, item 7)."""

    TO_RESOLVE = "to_resolve"  # an appeal routed to the signer: a resolution to write
    ASSIGNED = "assigned"  # the executor's body is named in a resolution
    TO_SIGN = "to_sign"  # answers submitted to the signer
    RETURNED = "returned"  # the answer came back to the executor for rework
    TERM_ENDING = "term_ending"  # the term of the executor's appeal ends within 3 days


class Fund(LabeledEnum):
    GENERAL = "general"  # загальний фонд
    SPECIAL = "special"  # спеціальний фонд


class DocumentState(LabeledEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class ReportKind(LabeledEnum):
    WEEKLY = "weekly"
    QUARTERLY = "quarterly"
    BUDGET_EXECUTION = "budget_execution"
    STAFF_LIST = "staff_list"
    AUDIT_EXPORT = "audit_export"
    REGISTER_EXPORT = "register_export"  # the appeals register in full, as its list exports it (CSV)


class JobState(LabeledEnum):
    QUEUED = "queued"
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"


class AuditAction(LabeledEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKOUT = "lockout"
    LOGOUT = "logout"
    DENIED = "denied"
    EXPORT = "export"
    DOWNLOAD = "download"
    VIEW_PERSONAL_DATA = "view_personal_data"
