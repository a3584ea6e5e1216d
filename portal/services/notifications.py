"""What is new for a user: the bell in the top bar and the optional daily e-mail digest (issue 12, item 7).

Notifications are rows made where the events happen — the workflow's step (``workflow._move``
calls :func:`on_step`) — and, for a term that is ending, by a daily sweep. Stored rather than
computed from the status history because each one has a state of its own per user (read,
sent in a digest) and must not disappear or reappear when the appeal moves on; a computed
view would need those marks stored anyway. Who gets what:

=================  ============================================  =================================
event              step                                          who
=================  ============================================  =================================
to_resolve         route → on_resolution                         the signer it is routed to
assigned           resolve → assigned                            executor users of every body the
                                                                 resolution names to act (the
                                                                 responsible and co-executors)
to_sign            submit → on_signing                           the appeal's signer
returned           rework, recall, returned_by_center → in_work  executor users of the responsible
                                                                 body
term_ending        daily sweep: ≤ 3 days to the control date     executor users of the responsible
                                                                 body (once per term)
=================  ============================================  =================================

The actor is never notified of their own step. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from portal import mail
from portal.auth.permissions import can
from portal.extensions import db
from portal.i18n import format_date, kyiv_today
from portal.models.appeals import Appeal
from portal.models.base import utcnow
from portal.models.enums import OPEN_STATUSES, ExecutorRole, NotificationKind, Role
from portal.models.notifications import Notification
from portal.models.users import User
from portal.services import deadlines

K = NotificationKind
BELL_SIZE = 8
# steps after which the answer is back with the responsible executor
RETURN_STEPS = frozenset({"rework", "recall", "returned_by_center"})

TEXTS = {
    K.TO_RESOLVE: _l("Write the resolution on appeal %(reg)s"),
    K.ASSIGNED: _l("Appeal %(reg)s is assigned to your body"),
    K.TO_SIGN: _l("Sign the answers to appeal %(reg)s"),
    K.RETURNED: _l("The answer to appeal %(reg)s is returned for rework"),
    K.TERM_ENDING: _l("The term of appeal %(reg)s ends on %(due)s"),
}


def text_of(notification: Notification) -> str:
    """The notification's line, in the current language."""
    appeal = notification.appeal
    due = format_date(appeal.due_date) if appeal.due_date else "—"
    return str(TEXTS[NotificationKind(notification.kind)] % {"reg": appeal.reg_number, "due": due})


def may_receive(user) -> bool:
    """Does ``user``'s role have the bell at all (the permission table)?"""
    return bool(user) and getattr(user, "is_authenticated", False) and can(user, "notification", "read")


# --- made by the workflow ------------------------------------------------------------------------


def _executor_users(executor_ids) -> list[User]:
    ids = sorted({i for i in executor_ids if i is not None})
    if not ids:
        return []
    query = sa.select(User).where(User.role == Role.EXECUTOR, User.active.is_(True), User.executor_id.in_(ids))
    return list(db.session.execute(query.order_by(User.id)).scalars())


def _notify(users, appeal: Appeal, kind: NotificationKind, actor=None, dedup_key: str | None = None) -> int:
    actor_id = getattr(actor, "id", None)
    made = 0
    for user in users:
        if user is None or not user.active or user.id == actor_id or not can(user, "notification", "read"):
            continue
        db.session.add(Notification(user=user, appeal=appeal, kind=kind, dedup_key=dedup_key))
        made += 1
    return made


def _latest_resolution(appeal: Appeal):
    # a resolution made in this transaction has no id yet: it is the latest
    return max(appeal.resolutions, key=lambda r: (r.id is None, r.id or 0), default=None)


def on_step(appeal: Appeal, action: str, actor) -> int:
    """Make the notifications a workflow step causes (see the table above); returns how many."""
    with db.session.no_autoflush:
        if action == "route":
            return _notify([appeal.signer], appeal, K.TO_RESOLVE, actor)
        if action == "resolve":
            resolution = _latest_resolution(appeal)
            acting = (ExecutorRole.RESPONSIBLE, ExecutorRole.CO_EXECUTOR)
            bodies = [
                a.executor_id or (a.executor.id if a.executor else None)
                for a in (resolution.assignments if resolution is not None else [])
                if ExecutorRole(a.executor_role) in acting
            ]
            return _notify(_executor_users(bodies), appeal, K.ASSIGNED, actor)
        if action == "submit":
            signer = appeal.signer or (_latest_resolution(appeal).signer if appeal.resolutions else None)
            return _notify([signer], appeal, K.TO_SIGN, actor)
        if action in RETURN_STEPS:
            main = appeal.main_executor_id or (appeal.main_executor.id if appeal.main_executor else None)
            return _notify(_executor_users([main]), appeal, K.RETURNED, actor)
    return 0


def sweep_term_ending(today: date | None = None, user_id: int | None = None) -> int:
    """Notify executor users of their body's open appeals near the control date, once per term.

    Run by the daily digest job and at each login (for that user); re-running it makes nothing new.
    """
    today = today or kyiv_today()
    query = (
        sa.select(Appeal.id, Appeal.due_date, User.id)
        .join(User, sa.and_(User.executor_id == Appeal.main_executor_id, User.role == Role.EXECUTOR))
        .where(deadlines.near_due_clause(today), Appeal.status.in_(list(OPEN_STATUSES)), User.active.is_(True))
    )
    if user_id is not None:
        query = query.where(User.id == user_id)
    rows = db.session.execute(query).all()
    if not rows:
        return 0
    keys = {(uid, f"term:{appeal_id}:{due.isoformat()}"): appeal_id for appeal_id, due, uid in rows}
    existing = set(
        db.session.execute(
            sa.select(Notification.user_id, Notification.dedup_key).where(
                Notification.user_id.in_({uid for uid, _ in keys}),
                Notification.dedup_key.in_({key for _, key in keys}),
            )
        ).all()
    )
    made = 0
    for (uid, key), appeal_id in keys.items():
        if (uid, key) not in existing:
            db.session.add(Notification(user_id=uid, appeal_id=appeal_id, kind=K.TERM_ENDING, dedup_key=key))
            made += 1
    return made


# --- the bell ----------------------------------------------------------------------------------------


@dataclass
class Bell:
    unread: int
    items: list[Notification]


def _unread(user_id: int):
    return sa.and_(Notification.user_id == user_id, Notification.read_at.is_(None))


def bell(user, limit: int = BELL_SIZE) -> Bell | None:
    """The unread count and the newest unread notifications of ``user`` (None: no bell for the role)."""
    if not may_receive(user):
        return None
    count = db.session.execute(sa.select(sa.func.count()).where(_unread(user.id))).scalar_one()
    items = []
    if count:
        items = list(
            db.session.execute(
                sa.select(Notification)
                .where(_unread(user.id))
                .options(selectinload(Notification.appeal))
                .order_by(Notification.id.desc())
                .limit(limit)
            ).scalars()
        )
    return Bell(count, items)


def recent(user, limit: int = 100) -> list[Notification]:
    """The user's notifications, read and unread, newest first (the notifications page)."""
    return list(
        db.session.execute(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .options(selectinload(Notification.appeal))
            .order_by(Notification.id.desc())
            .limit(limit)
        ).scalars()
    )


def mark_read(user, appeal_id: int) -> int:
    """The user opened the appeal: its notifications are read. Returns how many changed."""
    if not may_receive(user):
        return 0
    result = db.session.execute(
        sa.update(Notification)
        .where(_unread(user.id), Notification.appeal_id == appeal_id)
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def mark_all_read(user) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(_unread(user.id))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_digest(user, enabled: bool) -> None:
    """The user's own choice of the daily e-mail digest."""
    user.email_digest = bool(enabled)


# --- the daily e-mail digest --------------------------------------------------------------------------


def _pending_digest(user_id: int):
    return sa.and_(_unread(user_id), Notification.emailed_at.is_(None))


def digest_recipients() -> list[int]:
    """Ids of the users who chose the digest, have an address and something unread not yet e-mailed."""
    query = (
        sa.select(User.id)
        .where(User.email_digest.is_(True), User.active.is_(True), User.email != "")
        .where(
            sa.exists().where(
                Notification.user_id == User.id, Notification.read_at.is_(None), Notification.emailed_at.is_(None)
            )
        )
        .order_by(User.id)
    )
    return list(db.session.execute(query).scalars())


def build_digest(user: User, items: list[Notification], portal_url: str = ""):
    """The digest e-mail: one line per notification with the link to the appeal."""
    from email.message import EmailMessage
    from email.utils import make_msgid

    from portal.services.dispatch import MAIL_POLICY

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        message = EmailMessage(policy=MAIL_POLICY)
        message["From"] = mail.sender_address()
        message["To"] = user.email
        message["Subject"] = str(_l("Contact center: what is new for you (%(n)s)", n=len(items)))
        domain = mail.sender_address().rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid(f"digest-{user.id}", domain=domain)
        lines = [str(_l("Good day, %(name)s!", name=str(user))), "", str(_l("What is new for you in the portal:")), ""]
        base = portal_url.rstrip("/")
        for item in items:
            link = f"{base}/admin/appeal/details/?id={item.appeal_id}" if base else ""
            lines.append(f"• {text_of(item)}" + (f"\n  {link}" if link else ""))
        lines += ["", str(_l("You receive this digest because you chose it in the portal's notifications."))]
        message.set_content("\n".join(lines) + "\n")
    return message


def send_digest(user_id: int, now: datetime | None = None) -> int:
    """E-mail ``user_id`` their unread notifications not yet e-mailed; mark them. Commits; 0 if nothing to send."""
    user = db.session.get(User, user_id)
    if user is None or not user.email_digest or not user.active or not user.email:
        db.session.rollback()
        return 0
    items = list(
        db.session.execute(
            sa.select(Notification)
            .where(_pending_digest(user.id))
            .options(selectinload(Notification.appeal))
            .order_by(Notification.id)
            .with_for_update(of=Notification)
        ).scalars()
    )
    if not items:
        db.session.rollback()
        return 0
    mail.send(build_digest(user, items, current_app.config.get("PORTAL_URL") or ""))
    stamp = now or utcnow()
    for item in items:
        item.emailed_at = stamp
    db.session.commit()
    return len(items)
