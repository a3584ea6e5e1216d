"""All models, imported so that metadata and mappers are complete."""

from portal.models.appeals import (  # noqa: F401
    Answer,
    Appeal,
    AppealIssue,
    AppealSearch,
    Applicant,
    Assignment,
    Attachment,
    FeedbackProof,
    OutgoingCounter,
    RegistrationCounter,
    Resolution,
    StatusChange,
    TermExtension,
)
from portal.models.audit import AuditLog  # noqa: F401
from portal.models.budget import AmendmentLine, BudgetAmendment, BudgetEstimate, BudgetLine, Expenditure  # noqa: F401
from portal.models.calendar import CalendarDay, CalendarSetting  # noqa: F401
from portal.models.enums import *  # noqa: F403
from portal.models.exchange import DeliveryAttempt, DocumentTemplate, IntakeMessage, OutgoingMail  # noqa: F401
from portal.models.notifications import Notification  # noqa: F401
from portal.models.org import Employee, Executor, ExecutorContact, Order, StaffPosition, StructuralUnit  # noqa: F401
from portal.models.records import AnonymisationProposal, AnonymisedApplicant, ApplicantKey, BackupRun  # noqa: F401
from portal.models.reference import Direction, Kekv, PrivilegeCategory, ResultCode, SocialStatus, Topic  # noqa: F401
from portal.models.reports import ReportRun  # noqa: F401
from portal.models.users import ListPreference, User  # noqa: F401
