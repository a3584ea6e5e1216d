"""The permission table as a specification: role × area × action, checked without HTTP."""

import pytest

from portal.auth import permissions as p
from portal.models.enums import ReportKind, Role

R = frozenset({"list", "details"})
RE = R | {"export"}
CRUD = frozenset({"list", "details", "create", "edit", "delete", "export"})
NOTE = frozenset({"list", "read"})  # a user's own notifications: see, mark read, choose the digest
USERS = RE | {"create", "edit", "reset_password"}
ALL_WORKFLOW = p.APPEAL_WORKFLOW

# The matrix we enforce (DESIGN §4). An area missing from a role's row is closed to it.
EXPECTED = {
    Role.DIRECTOR: {
        "appeal": (CRUD - {"delete"}) | ALL_WORKFLOW | {"view_personal_data"},  # never deleted: cancelled
        "executor": CRUD,
        "structural_unit": CRUD,
        "employee": CRUD,
        "staff_position": CRUD,
        "order": CRUD | {"sign"},
        "budget_estimate": CRUD | {"approve"},
        "budget_amendment": CRUD | {"approve"},
        "budget_line": CRUD,
        "expenditure": CRUD,
        "report": R | {"create", "download"},
        "audit_log": RE,
        "user": USERS,
        "calendar_day": CRUD,
        "records": R | {"decide"},
        "applicant": RE | {"edit"},
        "intake": RE | {"create", "register", "dismiss", "download", "manage_templates"},
        "notification": NOTE,
    },
    Role.SIGNER: {
        "appeal": RE | {"resolve", "forward", "sign", "rework", "recall", "extend_term", "view_personal_data"},
        "executor": R,
        "report": R | {"create", "download"},
        "notification": NOTE,
    },
    Role.CLERK: {
        "appeal": RE
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
        "executor": RE,
        "report": R | {"create", "download"},
        "applicant": RE | {"edit"},
        "intake": RE | {"create", "register", "dismiss", "download"},
    },
    Role.EXECUTOR: {
        "appeal": R | {"accept", "draft", "submit", "attach", "view_personal_data"},
        "notification": NOTE,
    },
    Role.ACCOUNTANT: {
        "structural_unit": R,
        "staff_position": RE,
        "budget_estimate": RE | {"create", "edit"},
        "budget_amendment": CRUD,
        "budget_line": CRUD,
        "expenditure": CRUD,
        "report": R | {"create", "download"},
    },
    Role.AUDITOR: {
        **dict.fromkeys(p.AREAS, RE),
        "appeal": RE | {"view_personal_data"},
        "report": R | {"download"},
        "intake": RE | {"download"},
    },
    Role.ADMIN: {"user": USERS, "records": R},
}

EVERY_ACTION = sorted(set().union(*(acts for row in EXPECTED.values() for acts in row.values())))


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("area", p.AREAS)
def test_table_grants_exactly_the_expected_actions(role, area):
    expected = EXPECTED[role].get(area, frozenset())
    assert p.actions(role, area) == expected
    for action in EVERY_ACTION:
        assert p.can(role, area, action) is (action in expected), (role, area, action)


def test_every_role_has_a_row():
    assert set(EXPECTED) == set(Role)


def test_nobody_writes_the_audit_log():
    writers = [r for r in Role if p.actions(r, "audit_log") - p.READ_ACTIONS]
    assert writers == []


@pytest.mark.parametrize("role", list(Role))
def test_only_the_auditor_is_read_only(role):
    assert p.is_read_only(role) is (role == Role.AUDITOR)


@pytest.mark.parametrize("area", p.AREAS)
def test_auditor_reads_every_area_and_writes_none(area):
    assert p.can(Role.AUDITOR, area, "list") and p.can(Role.AUDITOR, area, "details")
    assert p.actions(Role.AUDITOR, area) <= p.READ_ACTIONS


def test_admin_sees_only_user_accounts_and_the_state_of_backups():
    assert p.readable_areas(Role.ADMIN) == ["user", "records"]
    assert not p.can(Role.ADMIN, "records", "decide")  # anonymising is the director's decision


@pytest.mark.parametrize("role", list(Role))
def test_nobody_deletes_an_appeal(role):
    assert not p.can(role, "appeal", "delete")


@pytest.mark.parametrize("role", list(Role))
def test_only_the_director_cancels_and_reopens_appeals(role):
    assert p.can(role, "appeal", "cancel") is (role == Role.DIRECTOR)
    assert p.can(role, "appeal", "reopen") is (role == Role.DIRECTOR)


@pytest.mark.parametrize("role", list(Role))
def test_nobody_deletes_user_accounts(role):
    assert not p.can(role, "user", "delete")


def test_unknown_area_is_an_error():
    with pytest.raises(KeyError):
        p.can(Role.DIRECTOR, "nonexistent", "list")


def test_anonymous_may_do_nothing():
    assert not p.can(None, "appeal", "list")
    assert p.actions(None, "appeal") == frozenset()
    assert p.is_read_only(None)


def test_role_names_and_users_are_accepted():
    class FakeUser:
        is_authenticated = True
        role = "clerk"

    assert p.can("clerk", "appeal", "create")
    assert p.can(FakeUser(), "appeal", "create")


@pytest.mark.parametrize(
    "role,kinds",
    [
        (Role.DIRECTOR, set(ReportKind)),
        (Role.AUDITOR, set(ReportKind)),
        (Role.SIGNER, {ReportKind.WEEKLY, ReportKind.QUARTERLY, ReportKind.REGISTER_EXPORT}),
        (Role.CLERK, {ReportKind.WEEKLY, ReportKind.QUARTERLY, ReportKind.REGISTER_EXPORT}),
        (Role.ACCOUNTANT, {ReportKind.BUDGET_EXECUTION, ReportKind.STAFF_LIST}),
        (Role.EXECUTOR, set()),
        (Role.ADMIN, set()),
    ],
)
def test_report_kinds_per_role(role, kinds):
    assert {k for k in ReportKind if p.can_report(role, k)} == kinds


# --- who may grant which role ---------------------------------------------------------


class Actor:
    is_authenticated = True

    def __init__(self, role, id=1):
        self.role, self.id = role, id


@pytest.mark.parametrize(
    "actor_role,grantable",
    [
        (Role.DIRECTOR, set(Role)),
        (Role.ADMIN, set(Role) - {Role.DIRECTOR}),
        (Role.AUDITOR, set()),
        (Role.CLERK, set()),
    ],
)
def test_roles_an_actor_may_grant(actor_role, grantable):
    assert set(p.assignable_roles(actor_role)) == grantable


@pytest.mark.parametrize("actor_role", [Role.ADMIN, Role.DIRECTOR])
@pytest.mark.parametrize("new_role", list(Role))
def test_nobody_changes_their_own_role(actor_role, new_role):
    actor = Actor(actor_role, id=7)
    assert p.may_assign_role(actor, 7, actor_role, new_role) is (new_role == actor_role)


def test_admin_cannot_make_anyone_a_director():
    assert not p.may_assign_role(Actor(Role.ADMIN), None, None, Role.DIRECTOR)
    assert not p.may_assign_role(Actor(Role.ADMIN), 9, Role.CLERK, Role.DIRECTOR)


def test_admin_cannot_manage_a_director_account():
    assert not p.may_manage_account(Actor(Role.ADMIN), Role.DIRECTOR)
    assert not p.may_assign_role(Actor(Role.ADMIN), 9, Role.DIRECTOR, Role.CLERK)
    assert p.may_manage_account(Actor(Role.DIRECTOR), Role.DIRECTOR)


def test_admin_grants_ordinary_roles():
    assert p.may_assign_role(Actor(Role.ADMIN), 9, Role.CLERK, Role.SIGNER)
    assert p.may_assign_role(Actor(Role.ADMIN), None, None, Role.EXECUTOR)
