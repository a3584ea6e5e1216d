"""The one permission table: role × area × action, and pure functions over it.

Areas are the admin endpoints of DESIGN §8. Actions are the generic ones Flask-Admin
exposes (list, details, create, edit, delete, export) plus the workflow and domain
actions of each area. Row-level scope (executor's own body, signer's own direction)
is applied on top of this table by ``portal.services.scope``; who may grant which role
is decided here too (:func:`may_assign_role`, :func:`may_manage_account`).
"""

from __future__ import annotations

from portal.models.enums import ReportKind, Role

READ = frozenset({"list", "details"})
READ_EXPORT = READ | {"export"}
CRUD = frozenset({"list", "details", "create", "edit", "delete", "export"})
# Appeals are never deleted: a wrong registration is cancelled and stays in the register.
APPEAL_RECORDS = CRUD - {"delete"}

AREAS = (
    "appeal",
    "executor",
    "structural_unit",
    "employee",
    "staff_position",
    "order",
    "budget_estimate",
    "budget_line",
    "expenditure",
    "report",
    "audit_log",
    "user",
    "budget_amendment",  # довідки про зміни: beyond §8, a screen of its own
    "calendar_day",  # the director's working-day calendar (control dates)
    "records",  # backups and the retention of personal data (issue 13)
    "applicant",  # the applicant's rights: what the portal holds about a person, corrections
    "intake",  # the exchange with the regional center: intake inbox, УКЦ batches, answer templates
    "notification",  # the bell: a user's own notifications ("read" marks them, sets the digest)
)

# Workflow actions on appeals (see portal.services.workflow for the transitions).
APPEAL_WORKFLOW = frozenset(
    {
        "route",
        "return_to_applicant",
        "not_consider",
        "forward",
        "resolve",
        "accept",
        "draft",
        "submit",
        "sign",
        "rework",
        "recall",
        "dispatch",
        "returned_by_center",
        "close",
        "reopen",
        "cancel",
        "extend_term",
        "paper_copy",
        "attach",
    }
)
# The intake inbox: take in (.eml, УКЦ batch), register a draft, set one aside, export to the УКЦ.
INTAKE_WORK = READ_EXPORT | {"create", "register", "dismiss", "download"}
# Account administration: accounts are disabled, never deleted (their history stays readable).
USER_ADMIN = READ_EXPORT | {"create", "edit", "reset_password"}

# A user's own notifications: see them, mark them read, choose the daily digest.
NOTIFICATIONS = frozenset({"list", "read"})

# Actions that only read. Everything else changes data and is closed to read-only roles.
READ_ACTIONS = frozenset({"list", "details", "export", "download", "view_personal_data"})

_TABLE: dict[Role, dict[str, frozenset[str]]] = {
    Role.DIRECTOR: {
        "appeal": APPEAL_RECORDS | APPEAL_WORKFLOW | {"view_personal_data"},
        "executor": CRUD,
        "structural_unit": CRUD,
        "employee": CRUD,
        "staff_position": CRUD,
        "order": CRUD | {"sign"},  # signing makes an appointment or dismissal take effect
        "budget_estimate": CRUD | {"approve"},
        "budget_amendment": CRUD | {"approve"},
        "budget_line": CRUD,
        "expenditure": CRUD,
        "report": READ | {"create", "download"},
        "audit_log": READ_EXPORT,  # the history is read by everyone who may, changed by nobody
        "user": USER_ADMIN,
        "calendar_day": CRUD,
        "records": READ | {"decide"},  # confirms (or dismisses) anonymisation proposals
        "applicant": READ_EXPORT | {"edit"},
        "intake": INTAKE_WORK | {"manage_templates"},  # the director replaces the answer templates
        "notification": NOTIFICATIONS,
    },
    Role.SIGNER: {
        "appeal": READ_EXPORT | {"resolve", "forward", "sign", "rework", "recall", "extend_term", "view_personal_data"},
        "executor": READ,
        "notification": NOTIFICATIONS,
        "report": READ | {"create", "download"},
    },
    Role.CLERK: {
        "appeal": READ_EXPORT
        | {
            "create",
            "edit",
            "view_personal_data",
            "route",
            "return_to_applicant",
            "not_consider",
            "forward",
            "dispatch",
            "returned_by_center",
            "paper_copy",
            "close",
            "attach",
        },
        "executor": READ_EXPORT,
        "report": READ | {"create", "download"},
        "applicant": READ_EXPORT | {"edit"},  # answers applicants' requests about their data
        "intake": INTAKE_WORK,
    },
    Role.EXECUTOR: {
        # only the appeals assigned to the user's own executor body (portal.services.scope)
        "appeal": READ | {"accept", "draft", "submit", "attach", "view_personal_data"},
        "notification": NOTIFICATIONS,
    },
    Role.ACCOUNTANT: {
        "structural_unit": READ,
        "staff_position": READ_EXPORT,
        "budget_estimate": READ_EXPORT | {"create", "edit"},  # drafts; approval is the director's
        "budget_amendment": CRUD,  # drafts (the service refuses to change an approved one)
        "budget_line": CRUD,
        "expenditure": CRUD,
        "report": READ | {"create", "download"},
    },
    Role.AUDITOR: {
        **dict.fromkeys(AREAS, READ_EXPORT),
        "appeal": READ_EXPORT | {"view_personal_data"},
        "report": READ | {"download"},  # running a report is a write
        "intake": READ_EXPORT | {"download"},
    },
    Role.ADMIN: {
        "user": USER_ADMIN,
        "records": READ,  # backups' state (system settings); anonymising is the director's
    },
}

# Reports a role may run and download: "only by roles allowed to see its data".
REPORT_KINDS: dict[Role, frozenset[ReportKind]] = {
    Role.DIRECTOR: frozenset(ReportKind),
    Role.AUDITOR: frozenset(ReportKind),
    # the full export of the register goes with exporting the appeals list (within the reader's scope)
    Role.SIGNER: frozenset({ReportKind.WEEKLY, ReportKind.QUARTERLY, ReportKind.REGISTER_EXPORT}),
    Role.CLERK: frozenset({ReportKind.WEEKLY, ReportKind.QUARTERLY, ReportKind.REGISTER_EXPORT}),
    Role.ACCOUNTANT: frozenset({ReportKind.BUDGET_EXECUTION, ReportKind.STAFF_LIST}),
}

WRITE_ACTIONS = (
    frozenset(
        {
            "create",
            "edit",
            "delete",
            "approve",
            "reset_password",
            "decide",
            "register",
            "dismiss",
            "manage_templates",
            "read",
            "sign",
        }
    )
    | APPEAL_WORKFLOW
)

# Who may grant a role or manage (edit, disable, reset the password of) an account holding it.
# Only the director hands out or touches the director's role: an administrator cannot
# make anyone — a second account of his own included — a director.
_ASSIGNABLE: dict[Role, frozenset[Role]] = {
    Role.DIRECTOR: frozenset(Role),
    Role.ADMIN: frozenset(Role) - {Role.DIRECTOR},
}


def _role(who) -> Role | None:
    if who is None:
        return None
    if isinstance(who, Role):
        return who
    if isinstance(who, str):
        return Role(who)
    if not getattr(who, "is_authenticated", False):
        return None
    return Role(who.role)


def can(who, area: str, action: str) -> bool:
    """May ``who`` (a user, a role or a role name) do ``action`` in ``area``?"""
    if area not in AREAS:
        raise KeyError(f"unknown permission area {area!r}")
    role = _role(who)
    if role is None:
        return False
    return action in _TABLE.get(role, {}).get(area, frozenset())


def actions(who, area: str) -> frozenset[str]:
    """Every action ``who`` may do in ``area``."""
    role = _role(who)
    return _TABLE.get(role, {}).get(area, frozenset()) if role else frozenset()


def is_read_only(who) -> bool:
    """A role whose every permission only reads (the auditor): no write path is open to it."""
    role = _role(who)
    if role is None:
        return True
    return all(acts <= READ_ACTIONS for acts in _TABLE.get(role, {}).values())


def can_report(who, kind: ReportKind | str) -> bool:
    """May ``who`` run and download a report of this kind?"""
    role = _role(who)
    return role is not None and ReportKind(kind) in REPORT_KINDS.get(role, frozenset())


def readable_areas(who) -> list[str]:
    """The areas whose list ``who`` may open, in menu order."""
    return [a for a in AREAS if can(who, a, "list")]


def assignable_roles(who) -> frozenset[Role]:
    """The roles ``who`` may give to an account."""
    role = _role(who)
    if role is None or not can(role, "user", "edit"):
        return frozenset()
    return _ASSIGNABLE.get(role, frozenset())


def may_assign_role(actor, target_user_id: int | None, current_role, new_role) -> bool:
    """May ``actor`` give ``new_role`` to the account ``target_user_id`` (None: a new account)?

    Nobody changes their own role, and nobody grants a role beyond their authority.
    """
    new_role = Role(new_role)
    own = target_user_id is not None and getattr(actor, "id", None) == target_user_id
    if own:
        return current_role is not None and Role(current_role) == new_role
    if current_role is not None and Role(current_role) not in assignable_roles(actor):
        return False
    return new_role in assignable_roles(actor)


def may_manage_account(actor, target_role) -> bool:
    """May ``actor`` edit, disable or reset the password of an account with ``target_role``?"""
    return Role(target_role) in assignable_roles(actor)
