"""The bell: who is told what by the workflow, read and unread, and the daily e-mail digest."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs import mail as mail_jobs
from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models.enums import AppealStatus, ExecutorRole, NotificationKind, Role
from portal.models.notifications import Notification
from portal.services import notifications, workflow
from tests.conftest import post_form
from tests.factories import (
    make_appeal,
    make_assignment,
    make_direction,
    make_executor,
    make_topic,
    make_user,
    result_code,
)
from tests.mail_servers import smtp_server
from tests.test_workflow import World, params_for

S = AppealStatus
K = NotificationKind


@pytest.fixture
def world(app):
    with app.test_request_context():
        w = World()
        w.co_user = make_user(Role.EXECUTOR, executor=w.other_body)  # the co-executor body's user
        w.idle_executor = make_user(Role.EXECUTOR, executor=make_executor())  # a body not named anywhere
        yield w


def _kinds(user) -> list[NotificationKind]:
    rows = db.session.execute(
        sa.select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)
    ).scalars()
    return [NotificationKind(k) for k in rows]


def _everyone(world) -> dict:
    return {
        **{role.value: user for role, user in world.users.items()},
        "co": world.co_user,
        "idle": world.idle_executor,
    }


# step taken (by whom) → what each user then has; nobody else gets anything
MATRIX = [
    ("route", Role.CLERK, S.REGISTERED, {"signer": [K.TO_RESOLVE]}),
    ("resolve", Role.SIGNER, S.ON_RESOLUTION, {"executor": [K.ASSIGNED], "co": [K.ASSIGNED]}),
    ("submit", Role.EXECUTOR, S.ANSWER_DRAFTED, {"signer": [K.TO_SIGN]}),
    ("rework", Role.SIGNER, S.ON_SIGNING, {"executor": [K.RETURNED]}),
    ("recall", Role.SIGNER, S.SIGNED, {"executor": [K.RETURNED]}),
    ("returned_by_center", Role.CLERK, S.SENT, {"executor": [K.RETURNED]}),
    ("accept", Role.EXECUTOR, S.ASSIGNED, {}),
    ("sign", Role.SIGNER, S.ON_SIGNING, {}),
    ("close", Role.CLERK, S.SENT, {}),
]


@pytest.mark.parametrize("action, actor, status, expected", MATRIX, ids=[m[0] for m in MATRIX])
def test_each_step_notifies_exactly_the_users_it_concerns(world, action, actor, status, expected):
    appeal = world.appeal(status)
    if action == "close":
        params = {"result_code": result_code("positive").id}
    else:
        params = params_for(action, world, appeal)
    workflow.perform(world.users[actor], appeal, action, **params)
    db.session.flush()
    got = {name: _kinds(user) for name, user in _everyone(world).items() if _kinds(user)}
    assert got == expected


def test_the_actor_is_not_told_of_their_own_step(world):
    appeal = world.appeal(S.REGISTERED)
    signer = world.users[Role.SIGNER]
    director = world.users[Role.DIRECTOR]
    appeal.signer = signer
    workflow.perform(director, appeal, "cancel", reason="Помилкова реєстрація")
    assert _kinds(signer) == [] and _kinds(director) == []


def test_a_resolution_does_not_notify_bodies_named_only_for_information(world):
    appeal = world.appeal(S.ON_RESOLUTION)
    informed = make_executor()
    informed_user = make_user(Role.EXECUTOR, executor=informed)
    workflow.resolve(
        world.users[Role.SIGNER], appeal, text="Розглянути", executors=[world.body.id], for_information=[informed.id]
    )
    assert _kinds(world.users[Role.EXECUTOR]) == [K.ASSIGNED]
    assert _kinds(informed_user) == [] and _kinds(world.co_user) == []


def test_a_term_ending_within_three_days_is_told_once_to_the_responsible_body(world):
    today = kyiv_today()
    near = world.appeal(S.IN_WORK, due_date=today + timedelta(days=1))
    world.appeal(S.IN_WORK, due_date=today + timedelta(days=20))  # far away: nothing
    make_assignment(near, world.other_body, executor_role=ExecutorRole.CO_EXECUTOR, position=2)
    assert notifications.sweep_term_ending(today) == 1
    assert notifications.sweep_term_ending(today) == 0  # swept again: nothing new
    executor = world.users[Role.EXECUTOR]
    assert _kinds(executor) == [K.TERM_ENDING] and _kinds(world.co_user) == []
    item = db.session.execute(sa.select(Notification).where(Notification.user_id == executor.id)).scalar_one()
    assert item.appeal_id == near.id


def _bell_count(html: str) -> int:
    match = re.search(r'portal-bell-count">(\d+)<', html)
    return int(match.group(1)) if match else 0


def test_the_bell_counts_unread_links_to_the_appeal_and_opening_it_reads_it(app, client, auth):
    signer = auth.as_role(Role.SIGNER, direction=make_direction())
    first, second = make_appeal(status=S.ON_RESOLUTION, signer=signer), make_appeal(status=S.ON_SIGNING, signer=signer)
    db.session.add_all(
        [
            Notification(user=signer, appeal=first, kind=K.TO_RESOLVE),
            Notification(user=signer, appeal=second, kind=K.TO_SIGN),
        ]
    )
    db.session.commit()
    home = client.get("/admin/").get_data(as_text=True)
    assert _bell_count(home) == 2
    assert (
        f"/admin/appeal/details/?id={first.id}" in home
        and f"Напишіть резолюцію щодо звернення {first.reg_number}" in home
    )
    card = client.get(f"/admin/appeal/details/?id={first.id}").get_data(as_text=True)
    assert _bell_count(card) == 1  # the opened appeal's notice is read already in this page's bell
    assert db.session.execute(sa.select(Notification.read_at).where(Notification.appeal_id == first.id)).scalar()
    assert (
        db.session.execute(sa.select(Notification.read_at).where(Notification.appeal_id == second.id)).scalar() is None
    )


def test_mark_all_read_empties_the_bell_and_the_page_keeps_the_history(client, auth):
    executor = auth.as_role(Role.EXECUTOR, executor=make_executor())
    for _ in range(3):
        db.session.add(Notification(user=executor, appeal=make_appeal(), kind=K.ASSIGNED))
    db.session.commit()
    assert _bell_count(client.get("/admin/").get_data(as_text=True)) == 3
    response = post_form(client, "/admin/notification/read-all/", {"next": "/admin/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    page = client.get("/admin/notification/").get_data(as_text=True)
    assert _bell_count(page) == 0 and page.count("прочитано") >= 3


def test_another_users_notifications_are_neither_shown_nor_read(client, auth):
    other = make_user(Role.SIGNER)
    appeal = make_appeal()
    db.session.add(Notification(user=other, appeal=appeal, kind=K.TO_SIGN))
    db.session.commit()
    auth.as_role(Role.SIGNER)
    assert _bell_count(client.get("/admin/").get_data(as_text=True)) == 0
    post_form(client, "/admin/notification/read-all/", {})
    assert db.session.execute(sa.select(Notification.read_at).where(Notification.user_id == other.id)).scalar() is None


@pytest.mark.parametrize("role", [Role.CLERK, Role.ACCOUNTANT, Role.AUDITOR, Role.ADMIN])
def test_roles_nothing_is_addressed_to_have_no_bell(client, auth, role):
    auth.as_role(role)
    assert 'id="portal-bell"' not in client.get("/admin/").get_data(as_text=True)


def test_the_digest_is_off_by_default_and_switched_on_by_the_user(client, auth):
    user = auth.as_role(Role.SIGNER, email="signer@example.gov.ua")
    assert user.email_digest is False
    post_form(client, "/admin/notification/settings/", {"email_digest": "y"})
    db.session.expire_all()
    assert db.session.get(type(user), user.id).email_digest is True
    post_form(client, "/admin/notification/settings/", {})
    db.session.expire_all()
    assert db.session.get(type(user), user.id).email_digest is False


def test_the_daily_digest_goes_through_the_smtp_server_once_and_only_to_users_who_chose_it(app):
    wants = make_user(Role.SIGNER, email="wants@example.gov.ua", email_digest=True)
    declines = make_user(Role.SIGNER, email="declines@example.gov.ua")
    read_already = make_user(Role.EXECUTOR, email="read@example.gov.ua", email_digest=True, executor=make_executor())
    appeal = make_appeal(status=S.ON_SIGNING, signer=wants, topic=make_topic())
    db.session.add_all(
        [
            Notification(user=wants, appeal=appeal, kind=K.TO_SIGN),
            Notification(user=declines, appeal=appeal, kind=K.TO_SIGN),
            Notification(user=read_already, appeal=appeal, kind=K.ASSIGNED, read_at=appeal.registered_at),
        ]
    )
    db.session.commit()
    assert notifications.digest_recipients() == [wants.id]
    with smtp_server() as server:
        app.config.update(SMTP_URL=server.url, PORTAL_URL="https://portal.example")
        try:
            assert mail_jobs.send_digest(wants.id) == 1
            assert mail_jobs.send_digest(wants.id) == 0  # each notification goes out once
            assert mail_jobs.send_digest(declines.id) == 0
        finally:
            app.config["SMTP_URL"] = ""
    assert [m.rcpt_tos for m in server.messages] == [["wants@example.gov.ua"]]
    message = email.message_from_bytes(server.messages[0].data, policy=email.policy.default)
    body = message.get_body().get_content()
    assert str(message["Subject"]) == "Контактний центр: що нового для вас (1)"
    assert f"Підпишіть відповіді на звернення {appeal.reg_number}" in body
    assert f"https://portal.example/admin/appeal/details/?id={appeal.id}" in body
    assert notifications.digest_recipients() == []


def test_the_morning_tick_sweeps_terms_and_queues_one_digest_per_user_who_chose_it(app, monkeypatch):
    from portal import digest_schedule

    body = make_executor()
    wants = make_user(Role.EXECUTOR, executor=body, email="e@example.gov.ua", email_digest=True)
    make_user(Role.EXECUTOR, executor=body, email="off@example.gov.ua")  # same body, digest off
    appeal = make_appeal(status=S.IN_WORK, due_date=kyiv_today() + timedelta(days=2), main_executor=body)
    make_assignment(appeal, body)
    db.session.commit()
    queued, scheduled = [], []
    monkeypatch.setattr(digest_schedule.queue, "enqueue", lambda name, *args, **kw: queued.append((name, args)))
    monkeypatch.setattr(digest_schedule, "ensure_digest_schedule", lambda: scheduled.append(1))
    assert mail_jobs.daily_digest_tick() == 1
    assert queued == [("jobs.mail.send_digest", (wants.id,))] and scheduled == [1]
    assert _kinds(wants) == [K.TERM_ENDING]


def test_a_term_ending_is_in_the_bell_right_after_login(client, auth):
    body = make_executor()
    user = make_user(Role.EXECUTOR, executor=body)
    appeal = make_appeal(status=S.IN_WORK, due_date=kyiv_today() + timedelta(days=1), main_executor=body)
    make_assignment(appeal, body)
    db.session.commit()
    assert auth.login(user.username).status_code == 302
    home = client.get("/admin/").get_data(as_text=True)
    assert _bell_count(home) == 1 and f"Строк розгляду звернення {appeal.reg_number} спливає" in home
