"""User administration: create, disable, reset a password, change a role, bind an executor body.
Nobody raises their own role; an administrator sees only accounts; hashes are never shown."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import User
from portal.models.audit import AuditLog
from portal.models.enums import AuditAction, Role
from tests import factories as f
from tests.conftest import AuthActions, post_form

STRONG = "Kyiv-appeals-2026"


def _user(username: str) -> User | None:
    db.session.expire_all()
    return db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()


def _new_account(client, **fields):
    data = {
        "username": "newbie",
        "full_name": "Новенький Іван",
        "email": "",
        "role": "clerk",
        "password": STRONG,
        "password_confirm": STRONG,
        "active": "y",
        **fields,
    }
    return post_form(client, "/admin/user/new/", data)


def _edit(client, user: User, **fields):
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role.value,
        "active": "y" if user.active else "",
        "executor": str(user.executor_id or "__None"),
        "direction": str(user.direction_id or "__None"),
        **fields,
    }
    return post_form(client, f"/admin/user/edit/?id={user.id}", data)


# --- what the administrator sees ---------------------------------------------------------------


def test_admin_menu_offers_only_user_accounts(client, auth):
    auth.as_role(Role.ADMIN)
    page = client.get("/admin/").get_data(as_text=True)
    assert "/admin/user/" in page
    for endpoint in ("appeal", "executor", "employee", "budget_estimate", "report", "audit_log"):
        assert f"/admin/{endpoint}/" not in page


def test_password_hashes_are_never_shown(client, auth):
    admin = auth.as_role(Role.ADMIN)
    prefix = admin.password_hash.split("$")[0]
    for path in (
        "/admin/user/",
        f"/admin/user/details/?id={admin.id}",
        f"/admin/user/edit/?id={admin.id}",
        "/admin/user/new/",
        "/admin/user/export/csv/",
    ):
        page = client.get(path).get_data(as_text=True)
        assert prefix not in page and "password_hash" not in page and "Хеш пароля" not in page, path


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DIRECTOR])
def test_accounts_are_disabled_never_deleted(client, auth, role):
    clerk = f.make_user(Role.CLERK)
    auth.as_role(role)
    assert post_form(client, "/admin/user/delete/", {"id": clerk.id}).status_code == 403
    assert _user(clerk.username) is not None


# --- creating accounts ------------------------------------------------------------------------


def test_admin_creates_an_account_with_an_initial_password(client, auth):
    auth.as_role(Role.ADMIN)
    response = _new_account(client)
    assert response.status_code == 302
    user = _user("newbie")
    assert user.role == Role.CLERK and user.active and user.check_password(STRONG)


def test_a_new_account_can_log_in(app, client, auth):
    auth.as_role(Role.ADMIN)
    _new_account(client)
    other = app.test_client()
    assert AuthActions(other).login("newbie", STRONG).status_code == 302


@pytest.mark.parametrize("password", ["short1", "onlyletters-here", "newbie-2026-pass"])
def test_a_weak_initial_password_creates_nothing(client, auth, password):
    auth.as_role(Role.ADMIN)
    response = _new_account(client, password=password, password_confirm=password)
    assert response.status_code == 200
    assert _user("newbie") is None


def test_the_password_must_be_typed_twice_alike(client, auth):
    auth.as_role(Role.ADMIN)
    _new_account(client, password_confirm=STRONG + "x")
    assert _user("newbie") is None


def test_a_user_name_is_taken_once(client, auth):
    f.make_user(Role.CLERK, username="newbie")
    db.session.commit()
    auth.as_role(Role.ADMIN)
    assert _new_account(client, username="NEWBIE").status_code == 200
    assert (
        db.session.execute(
            db.select(db.func.count()).select_from(User).filter(db.func.lower(User.username) == "newbie")
        ).scalar()
        == 1
    )


def test_an_executor_account_needs_an_executor_body(client, auth):
    auth.as_role(Role.ADMIN)
    page = _new_account(client, role="executor").get_data(as_text=True)
    assert _user("newbie") is None
    assert "органу-виконавця" in page


def test_an_executor_account_is_bound_to_its_body(client, auth):
    body = f.make_executor()
    db.session.commit()
    auth.as_role(Role.ADMIN)
    assert _new_account(client, role="executor", executor=str(body.id)).status_code == 302
    assert _user("newbie").executor_id == body.id


def test_only_executor_accounts_are_bound_to_a_body(client, auth):
    body = f.make_executor()
    db.session.commit()
    auth.as_role(Role.ADMIN)
    _new_account(client, role="clerk", executor=str(body.id))
    assert _user("newbie") is None


def test_admin_cannot_create_a_director(client, auth):
    auth.as_role(Role.ADMIN)
    assert "director" not in client.get("/admin/user/new/").get_data(as_text=True).split('name="role"')[1][:2000]
    _new_account(client, role="director")
    assert _user("newbie") is None


def test_director_creates_a_director(client, auth):
    auth.as_role(Role.DIRECTOR)
    assert _new_account(client, role="director").status_code == 302
    assert _user("newbie").role == Role.DIRECTOR


# --- changing accounts ------------------------------------------------------------------------


def test_admin_changes_the_role_of_an_account(client, auth):
    clerk = f.make_user(Role.CLERK)
    db.session.commit()
    auth.as_role(Role.ADMIN)
    assert _edit(client, clerk, role="accountant").status_code == 302
    assert _user(clerk.username).role == Role.ACCOUNTANT


@pytest.mark.parametrize(
    "role,wanted", [(Role.ADMIN, "director"), (Role.ADMIN, "clerk"), (Role.DIRECTOR, "admin"), (Role.CLERK, "director")]
)
def test_nobody_changes_their_own_role(client, auth, role, wanted):
    me = auth.as_role(role)
    _edit(client, me, role=wanted)
    assert _user(me.username).role == role


def test_admin_cannot_promote_anyone_to_director(client, auth):
    clerk = f.make_user(Role.CLERK)
    db.session.commit()
    auth.as_role(Role.ADMIN)
    _edit(client, clerk, role="director")
    assert _user(clerk.username).role == Role.CLERK


def test_admin_cannot_touch_a_director_account(client, auth):
    director = f.make_user(Role.DIRECTOR)
    db.session.commit()
    auth.as_role(Role.ADMIN)
    assert client.get(f"/admin/user/edit/?id={director.id}").status_code == 403
    assert client.get(f"/admin/user/password/?id={director.id}").status_code == 403
    post_form(client, "/admin/user/action/", {"action": "disable", "rowid": director.id})
    assert _user(director.username).active


# --- disabling ---------------------------------------------------------------------------------


def test_disabling_an_account_ends_its_sessions(app, client, auth):
    clerk = f.make_user(Role.CLERK)
    db.session.commit()
    clerk_client = app.test_client()
    AuthActions(clerk_client).login(clerk.username)
    auth.as_role(Role.ADMIN)
    post_form(client, "/admin/user/action/", {"action": "disable", "rowid": clerk.id})
    user = _user(clerk.username)
    assert not user.active and user.session_version == 2
    assert clerk_client.get("/admin/").status_code == 302


def test_disabling_through_the_edit_form_ends_sessions_too(client, auth):
    clerk = f.make_user(Role.CLERK)
    db.session.commit()
    auth.as_role(Role.ADMIN)
    _edit(client, clerk, active="")
    user = _user(clerk.username)
    assert not user.active and user.session_version == 2


def test_enabling_an_account_again(client, auth):
    clerk = f.make_user(Role.CLERK, active=False)
    db.session.commit()
    auth.as_role(Role.ADMIN)
    post_form(client, "/admin/user/action/", {"action": "enable", "rowid": clerk.id})
    assert _user(clerk.username).active


def test_nobody_disables_their_own_account(client, auth):
    me = auth.as_role(Role.ADMIN)
    post_form(client, "/admin/user/action/", {"action": "disable", "rowid": me.id})
    assert _user(me.username).active
    assert client.get("/admin/").status_code == 200


# --- resetting a password ------------------------------------------------------------------------


def test_admin_resets_a_password(app, client, auth):
    clerk = f.make_user(Role.CLERK)
    db.session.commit()
    auth.as_role(Role.ADMIN)
    assert client.get(f"/admin/user/password/?id={clerk.id}").status_code == 200
    response = post_form(
        client, f"/admin/user/password/?id={clerk.id}", {"password": STRONG, "password_confirm": STRONG}
    )
    assert response.status_code == 302
    user = _user(clerk.username)
    assert user.check_password(STRONG) and user.session_version == 2 and user.password_changed_at is not None
    entry = (
        db.session.execute(
            db.select(AuditLog).filter_by(action=AuditAction.UPDATE, model="User", record_id=str(clerk.id))
        )
        .scalars()
        .all()[-1]
    )
    assert entry.changes["password_hash"] == ["***", "***"]


def test_a_weak_reset_password_is_refused_with_the_reason(client, auth):
    clerk = f.make_user(Role.CLERK)
    db.session.commit()
    old_hash = clerk.password_hash
    auth.as_role(Role.ADMIN)
    response = post_form(
        client, f"/admin/user/password/?id={clerk.id}", {"password": "weak", "password_confirm": "weak"}
    )
    assert response.status_code == 200 and "щонайменше" in response.get_data(as_text=True)
    assert _user(clerk.username).password_hash == old_hash


def test_resetting_ones_own_password_keeps_one_logged_in(client, auth):
    me = auth.as_role(Role.ADMIN)
    post_form(client, f"/admin/user/password/?id={me.id}", {"password": STRONG, "password_confirm": STRONG})
    assert _user(me.username).check_password(STRONG)
    assert client.get("/admin/").status_code == 200


# --- the command line ------------------------------------------------------------------------


def test_cli_create_user_binds_an_executor_body(runner):
    body = f.make_executor()
    db.session.commit()
    ok = runner.invoke(
        args=["create-user", "cliexec", "--role", "executor", "--password", STRONG, "--executor", str(body.id)]
    )
    assert ok.exit_code == 0, ok.output
    assert _user("cliexec").executor_id == body.id
