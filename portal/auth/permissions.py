"""The one permission table: role × area × action, and pure functions over it.

Areas are the admin endpoints of DESIGN §8. Actions are the generic ones Flask-Admin
exposes (list, details, create, edit, delete, export) plus the workflow and domain
actions of each area. Row-level scope (executor's own body, signer's own direction)
is applied on top of this table by ``portal.services.scope``.
"""
from __future__ import annotations

from portal.models.enums import ReportKind, Role

READ = frozenset({"list", "details"})
READ_EXPORT = READ | {"export"}
CRUD = frozenset({"list", "details", "create", "edit", "delete", "export"})

AREAS = (
    "appeal", "executor", "structural_unit", "employee", "staff_position", "order",
    "budget_estimate", "budget_line", "expenditure", "report", "audit_log", "user",
)

# Workflow actions on appeals (see portal.services.workflow for the transitions).
APPEAL_WORKFLOW = frozenset({
    "route", "return_to_applicant", "not_consider", "forward", "resolve", "accept",
    "draft", "submit", "sign", "rework", "dispatch", "close", "extend_term", "attach",
})

_TABLE: dict[Role, dict[str, frozenset[str]]] = {
    Role.DIRECTOR: {
        "appeal": CRUD | APPEAL_WORKFLOW | {"view_personal_data"},
        "executor": CRUD,
        "structural_unit": CRUD,
        "employee": CRUD,
        "staff_position": CRUD,
        "order": CRUD,
        "budget_estimate": CRUD | {"approve"},
        "budget_line": CRUD,
        "expenditure": CRUD,
        "report": READ | {"create", "download"},
        "audit_log": READ_EXPORT,
        "user": CRUD - {"export"},
    },
    Role.SIGNER: {
        "appeal": READ_EXPORT | {"resolve", "sign", "rework", "extend_term", "view_personal_data"},
        "executor": READ,
        "report": READ | {"create", "download"},
    },
    Role.CLERK: {
        "appeal": READ_EXPORT | {"create", "edit", "view_personal_data", "route", "return_to_applicant",
                                 "not_consider", "forward", "dispatch", "close", "attach"},
        "executor": READ_EXPORT,
        "report": READ | {"create", "download"},
    },
    Role.EXECUTOR: {
        "appeal": READ | {"accept", "draft", "submit", "attach", "view_personal_data"},
        "executor": READ,
    },
    Role.ACCOUNTANT: {
        "structural_unit": READ,
        "staff_position": READ_EXPORT,
        "budget_estimate": READ_EXPORT | {"create", "edit"},
        "budget_line": CRUD,
        "expenditure": CRUD,
        "report": READ | {"create", "download"},
    },
    Role.AUDITOR: {
        area: READ_EXPORT for area in AREAS if area not in ("report",)
    } | {"appeal": READ_EXPORT | {"view_personal_data"}, "report": READ | {"download"}},
    Role.ADMIN: {
        "user": CRUD - {"export"},
    },
}

# Reports a role may run and download: "only by roles allowed to see its data".
REPORT_KINDS: dict[Role, frozenset[ReportKind]] = {
    Role.DIRECTOR: frozenset(ReportKind),
    Role.AUDITOR: frozenset(ReportKind),
    Role.SIGNER: frozenset({ReportKind.WEEKLY, ReportKind.QUARTERLY}),
    Role.CLERK: frozenset({ReportKind.WEEKLY, ReportKind.QUARTERLY}),
    Role.ACCOUNTANT: frozenset({ReportKind.BUDGET_EXECUTION, ReportKind.STAFF_LIST}),
}

WRITE_ACTIONS = frozenset({"create", "edit", "delete"}) | APPEAL_WORKFLOW | {"approve"}


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


def can_report(who, kind: ReportKind | str) -> bool:
    """May ``who`` run and download a report of this kind?"""
    role = _role(who)
    return role is not None and ReportKind(kind) in REPORT_KINDS.get(role, frozenset())


def readable_areas(who) -> list[str]:
    """The areas whose list ``who`` may open, in menu order."""
    return [a for a in AREAS if can(who, a, "list")]
