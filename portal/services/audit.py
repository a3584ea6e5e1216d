"""The audit trail: every insert, update and delete of a business record, in the same transaction.

Entries are written by a session ``after_flush`` hook with Core inserts on the flush's own
connection, so a rolled-back transaction leaves none and a committed one always has them.
ORM/Core bulk UPDATE and DELETE statements on audited tables are refused (they would bypass
the hook) unless wrapped in :func:`bulk_operation`, which logs the statement explicitly.
"""
from __future__ import annotations

import contextlib
import contextvars
import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, attributes

from portal.extensions import db
from portal.models.audit import AuditLog
from portal.models.enums import AuditAction

# Models whose rows are not business records.
NOT_AUDITED = {"AuditLog", "RegistrationCounter", "ReportRun"}
# Fields recorded as changed but whose values are never written to the log.
SECRET_FIELDS = {"password_hash"}
SKIPPED_FIELDS = {"updated_at", "created_at", "last_login_at"}  # login is its own event


class AuditBypassError(RuntimeError):
    """A bulk statement on an audited table, outside :func:`bulk_operation`."""


class AuditLogImmutableError(RuntimeError):
    """Someone tried to change or delete an audit entry."""


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: str
    ip: str


SYSTEM = Actor(None, "system", "", "")
_actor_override: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("audit_actor", default=None)
_bulk_allowed: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_bulk", default=None)


@contextlib.contextmanager
def acting_as(actor: Actor):
    """Attribute changes made inside the block to ``actor`` (CLI commands, jobs)."""
    token = _actor_override.set(actor)
    try:
        yield
    finally:
        _actor_override.reset(token)


def actor_for_user(user, ip: str = "") -> Actor:
    return Actor(user.id, user.username, str(getattr(user.role, "value", user.role)), ip)


def client_ip() -> str:
    return (request.remote_addr or "") if has_request_context() else ""


def current_actor() -> Actor:
    override = _actor_override.get()
    if override is not None:
        return override
    if has_request_context():
        from flask_login import current_user

        if getattr(current_user, "is_authenticated", False):
            return actor_for_user(current_user, client_ip())
        return Actor(None, "", "", client_ip())
    return SYSTEM


def is_audited(obj) -> bool:
    return type(obj).__name__ not in NOT_AUDITED and hasattr(type(obj), "__table__")


def to_json(value):
    """A JSON-safe, human-comparable form of a column value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def label_of(obj) -> str:
    try:
        return str(obj)[:300]
    except Exception:  # a half-loaded object must not break the flush
        return f"{type(obj).__name__} #{getattr(obj, 'id', '?')}"


class _Labeller:
    """Looks up labels of referenced rows once per flush (for foreign keys)."""

    def __init__(self, session: Session):
        self.session = session
        self.cache: dict[tuple, str] = {}

    def fk_label(self, column: sa.Column, value) -> str | None:
        if value is None:
            return None
        fks = list(column.foreign_keys)
        if not fks:
            return None
        table = fks[0].column.table
        key = (table.name, value)
        if key not in self.cache:
            mapper = next((m for m in db.Model.registry.mappers if m.local_table is table), None)
            obj = None
            if mapper is not None:
                with self.session.no_autoflush:
                    obj = self.session.get(mapper.class_, value)
            self.cache[key] = label_of(obj) if obj is not None else f"#{value}"
        return self.cache[key]


def _value(labeller, column, value):
    """A logged value: the raw value, with the referenced row's label for foreign keys."""
    raw = to_json(value)
    label = labeller.fk_label(column, value)
    return {"id": raw, "label": label} if label is not None else raw


def _column_changes(obj, action: AuditAction, labeller: _Labeller) -> dict:
    state = inspect(obj)
    changes: dict[str, list] = {}
    for prop in state.mapper.column_attrs:
        key = prop.key
        if key in SKIPPED_FIELDS:
            continue
        column = prop.columns[0]
        hist = attributes.get_history(obj, key, passive=attributes.PASSIVE_NO_INITIALIZE)
        if action is AuditAction.INSERT:
            new = getattr(obj, key, None)
            if new is None or key == "id":
                continue
            old_v, new_v = None, new
        elif action is AuditAction.DELETE:
            old = hist.deleted[0] if hist.deleted else (hist.unchanged[0] if hist.unchanged else None)
            if old is None:
                continue
            old_v, new_v = old, None
        else:
            if not hist.has_changes():
                continue
            old_v = hist.deleted[0] if hist.deleted else None
            new_v = hist.added[0] if hist.added else None
            if to_json(old_v) == to_json(new_v):
                continue
        if key in SECRET_FIELDS:
            changes[key] = ["***", "***"]
        else:
            changes[key] = [_value(labeller, column, old_v), _value(labeller, column, new_v)]
    # many-to-many collections (e.g. executor topics): record added and removed members
    for rel in state.mapper.relationships:
        if rel.secondary is None or action is AuditAction.DELETE:
            continue
        hist = attributes.get_history(obj, rel.key, passive=attributes.PASSIVE_NO_INITIALIZE)
        if hist.added or hist.deleted:
            changes[rel.key] = [sorted(label_of(o) for o in hist.deleted), sorted(label_of(o) for o in hist.added)]
    return changes


def _entry(actor: Actor, action: AuditAction, model: str, record_id, label: str, changes=None, detail="") -> dict:
    from portal.models.base import utcnow

    return {
        "at": utcnow(),
        "user_id": actor.user_id,
        "username": actor.username,
        "role": actor.role,
        "ip": actor.ip,
        "action": action,
        "model": model,
        "record_id": "" if record_id is None else str(record_id),
        "record_label": (label or "")[:300],
        "changes": changes,
        "detail": detail,
    }


def _pk(obj) -> str:
    ident = inspect(obj).identity
    return ",".join(str(v) for v in ident) if ident else ""


def _after_flush(session: Session, flush_context) -> None:
    rows = []
    labeller = _Labeller(session)
    actor = current_actor()
    for action, objs in (
        (AuditAction.INSERT, session.new),
        (AuditAction.UPDATE, session.dirty),
        (AuditAction.DELETE, session.deleted),
    ):
        for obj in objs:
            if not is_audited(obj):
                continue
            if action is AuditAction.UPDATE and not session.is_modified(obj, include_collections=True):
                continue
            changes = _column_changes(obj, action, labeller)
            if action is AuditAction.UPDATE and not changes:
                continue
            rows.append(_entry(actor, action, type(obj).__name__, _pk(obj), label_of(obj), changes))
    if rows:
        session.connection().execute(_insert_stmt(), rows)


def _insert_stmt():
    # Core insert; raw JSON column values are serialised by the column type
    return AuditLog.__table__.insert()


def _audited_tables() -> set[str]:
    return {
        m.local_table.name for m in db.Model.registry.mappers
        if m.class_.__name__ not in NOT_AUDITED
    }


def _guard_bulk(orm_execute_state) -> None:
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    table = getattr(orm_execute_state.statement, "table", None)
    name = getattr(table, "name", None)
    if name == AuditLog.__tablename__:
        raise AuditLogImmutableError("the audit log is append-only")
    if name in _audited_tables() and _bulk_allowed.get() is None:
        raise AuditBypassError(
            f"bulk {'UPDATE' if orm_execute_state.is_update else 'DELETE'} on audited table {name!r} "
            "would bypass the audit log; change rows through the ORM or use audit.bulk_operation()"
        )


@contextlib.contextmanager
def bulk_operation(model: str, reason: str):
    """Allow one explicit bulk statement on an audited table and log it as one entry."""
    token = _bulk_allowed.set(reason)
    try:
        yield
        log_event(AuditAction.UPDATE, model=model, detail=f"bulk: {reason}")
    finally:
        _bulk_allowed.reset(token)


def _refuse_change(mapper, connection, target):
    raise AuditLogImmutableError("the audit log is append-only")


def log_event(action: AuditAction, *, model: str = "", record_id=None, label: str = "", detail: str = "",
              actor: Actor | None = None, changes: dict | None = None) -> None:
    """Write a non-data event (login, denial, export, personal-data view) in the current transaction."""
    db.session.execute(
        _insert_stmt(), [_entry(actor or current_actor(), action, model, record_id, label, changes, detail)]
    )


def log_event_now(action: AuditAction, **kw) -> None:
    """Write an event and commit it at once (denials and failed logins must survive a rollback)."""
    log_event(action, **kw)
    db.session.commit()


def init_app(app) -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _guard_bulk)
        event.listen(AuditLog, "before_update", _refuse_change)
        event.listen(AuditLog, "before_delete", _refuse_change)


# Database triggers: the log refuses UPDATE and DELETE even outside the portal's ORM.
TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
        "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()",
    ],
}
