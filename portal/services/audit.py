"""The audit trail: every insert, update and delete of a business record, in the same transaction.

How it works:

* A session ``after_flush`` hook collects, for every new, changed and deleted audited object,
  the changed fields (old → new) while the attribute history is still there; an
  ``after_flush_postexec`` hook, still inside the flush and on its connection, adds the
  readable labels (the record's own and those of referenced rows) and writes the entries
  with one Core insert. A rolled-back transaction therefore leaves none and a committed one
  always has them. Labels are taken after the flush because then every new object is in the
  identity map: loading a referenced row can never shadow an object being inserted.
* ORM/Core bulk INSERT, UPDATE and DELETE statements on audited tables (which bypass the
  hook) are refused, unless run inside :func:`bulk_operation`, which logs each statement.
  Raw SQL text is not inspected: the portal never writes business tables that way.
* The log itself refuses changes: ORM ``before_update``/``before_delete`` raise, the bulk
  guard refuses statements on it, and database triggers (installed by the migration
  ``c_audit_triggers``) refuse raw SQL.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import cast

import sqlalchemy as sa
from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import RelationshipDirection, Session, attributes

from portal.extensions import db
from portal.models.audit import AuditLog
from portal.models.base import Model
from portal.models.enums import AuditAction

# Rows that are not business records: the log itself, the registration-number counter
# (bumped on every registration; the appeal's own entry shows the number), report runs
# (job bookkeeping, updated many times per run; requesting and downloading a report are
# logged as events), backup runs (bookkeeping), applicants' keys (logging a key would defeat
# it: see portal.services.pii), the list of anonymised applicants (the anonymisation is
# logged as an event and by its own redacted changes) and the appeals' search documents
# (derived from audited rows), and the columns a user chose for a list (a screen preference,
# not a business record). StatusChange IS audited: it is a workflow record anybody may query.
NOT_AUDITED = {
    "AuditLog",
    "RegistrationCounter",
    "ReportRun",
    "BackupRun",
    "ApplicantKey",
    "AnonymisedApplicant",
    "AppealSearch",
    "ListPreference",
    "OutgoingCounter",  # like the registration counter: the appeal's entry shows the number
    "Notification",  # derived from audited workflow steps; reading one is personal, not a business change
}
# Fields recorded as changed but whose values are never written to the log.
SECRET_FIELDS = {"password_hash"}
SECRET = "***"
# login, logout: own events; an assignment's open mark follows its appeal's state, logged with the appeal
SKIPPED_FIELDS = {"updated_at", "created_at", "last_login_at", "session_version", "appeal_open"}
LABEL_MAX = 300


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


# --- which models, and how their values are written ---------------------------------------


def is_audited_class(cls) -> bool:
    return cls.__name__ not in NOT_AUDITED and hasattr(cls, "__table__")


def is_audited(obj) -> bool:
    return is_audited_class(type(obj))


def audited_models() -> list[type]:
    """Every mapped class whose changes are logged, by name."""
    return sorted((m.class_ for m in Model.registry.mappers if is_audited_class(m.class_)), key=lambda c: c.__name__)


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
    """The record's readable label (its ``__str__``), or "Model #id" when it has none."""
    try:
        text = str(obj)
    except Exception:  # a half-loaded object must not break the flush
        text = ""
    if not text or (text.startswith("<") and text.endswith(">") and type(obj).__name__ in text):
        ident = record_id_of(obj)
        text = f"{type(obj).__name__} #{ident}" if ident else type(obj).__name__
    return text[:LABEL_MAX]


@contextlib.contextmanager
def _stored_locale():
    """Labels are stored in the portal's default language, whatever the user's screen shows."""
    if not has_app_context():
        yield
        return
    from flask_babel import force_locale, get_locale

    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "uk")
    if has_request_context() and str(get_locale()) == default:
        yield  # the usual case: the screen is in the default language already
        return
    locale = _LOCALES.get(default)
    if locale is None:
        from babel import Locale

        locale = _LOCALES[default] = Locale.parse(default)
    with force_locale(locale):
        yield


_LOCALES: dict = {}


class _MapperInfo:
    """What the hook needs to know about one mapped class, computed once."""

    def __init__(self, mapper):
        self.name = mapper.class_.__name__
        self.columns = []  # (key, column, target mapper of its foreign key or None)
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if prop.key in SKIPPED_FIELDS or not isinstance(column, sa.Column):
                continue
            target = None
            fks = list(column.foreign_keys)
            if len(fks) == 1:
                table = fks[0].column.table
                target = next((m for m in Model.registry.mappers if m.local_table is table), None)
            self.columns.append((prop.key, column, target))
        self.collections = [rel.key for rel in mapper.relationships if rel.secondary is not None]
        # the owner of a dependent record (an appeal's assignments, an estimate's lines):
        # the many-to-one side of a one-to-many that deletes its orphans
        self.parent = None
        for rel in mapper.relationships:
            if rel.direction is not RelationshipDirection.MANYTOONE or not rel.back_populates:
                continue
            back = rel.mapper.relationships.get(rel.back_populates)
            if back is not None and back.cascade.delete_orphan and len(rel.local_columns) == 1:
                column = next(iter(rel.local_columns))
                self.parent = (rel.mapper.class_.__name__, column.key)
                break


_INFO: dict = {}


def _info(mapper) -> _MapperInfo:
    info = _INFO.get(mapper)
    if info is None:
        info = _INFO[mapper] = _MapperInfo(mapper)
    return info


def record_id_of(obj) -> str:
    """The primary key from the object's attributes (set for new objects already in after_flush)."""
    try:
        values = inspect(obj).mapper.primary_key_from_instance(obj)
    except Exception:
        return ""
    return ",".join("" if v is None else str(v) for v in values)


# --- the flush hooks ------------------------------------------------------------------------

_PENDING = "portal_audit_pending"
_ORIGINALS = "portal_audit_originals"


def _before_flush(session: Session, flush_context, instances) -> None:
    """Read the stored values the attribute history does not know (the "old" side of a diff).

    An attribute set after its object was expired (e.g. after a commit) has no old value in
    its history: one SELECT by primary key per such object fetches the stored values before
    the flush overwrites them. An expired object being deleted is simply loaded again.
    """
    for obj in session.deleted:
        state = inspect(obj)
        if is_audited(obj) and state.key is not None and state.expired_attributes:
            # the row still exists: load what was expired, so the entry shows it (and its label)
            expired = [k for k in state.expired_attributes if k in state.mapper.column_attrs]
            if expired:
                getattr(obj, expired[0])
    originals = {}
    for obj in session.dirty:
        if not is_audited(obj):
            continue
        state = inspect(obj)
        if state.key is not None:
            info = _info(state.mapper)
            missing = [
                key for key, _c, _t in info.columns if state.committed_state.get(key, None) is attributes.NO_VALUE
            ]
            if not missing:
                continue
            columns = {key: column for key, column, _t in info.columns}
            pk = [c == v for c, v in zip(state.mapper.primary_key, state.key[1])]
            row = session.connection().execute(sa.select(*[columns[k] for k in missing]).where(*pk)).first()
            if row is not None:
                originals[state] = dict(zip(missing, row))
    if originals:
        flush_context.attributes[_ORIGINALS] = originals


class _Ref:
    """A value of a foreign key, to be shown with the referenced row's label."""

    __slots__ = ("mapper", "value", "label")

    def __init__(self, mapper, value, label=None):
        self.mapper, self.value, self.label = mapper, value, label


def _normalise(column, value):
    """Decimals at the column's scale, so 1000 and 1000.00 read the same."""
    if isinstance(value, Decimal) and isinstance(column.type, sa.Numeric) and column.type.scale is not None:
        try:
            return value.quantize(Decimal(1).scaleb(-column.type.scale))
        except ArithmeticError:
            return value
    return value


def _column_changes(obj, state, action: AuditAction, info: _MapperInfo, originals: dict) -> dict:
    changes: dict[str, list] = {}
    for key, column, target in info.columns:
        if action is AuditAction.INSERT:
            if column.primary_key:
                continue
            old_v, new_v = None, _normalise(column, state.dict.get(key))
            if new_v is None or new_v == "":
                continue
        elif action is AuditAction.DELETE:
            hist = attributes.get_history(obj, key, passive=attributes.PASSIVE_NO_INITIALIZE)
            old_v = hist.deleted[0] if hist.deleted else (hist.unchanged[0] if hist.unchanged else originals.get(key))
            new_v = None
            old_v = _normalise(column, old_v)
            if old_v is None or old_v == "":
                continue
        else:
            if key not in state.committed_state:  # only changed attributes are recorded there
                continue
            hist = attributes.get_history(obj, key, passive=attributes.PASSIVE_NO_INITIALIZE)
            if not hist.added and not hist.deleted:
                continue
            old_v = hist.deleted[0] if hist.deleted else originals.get(key)
            new_v = hist.added[0] if hist.added else None
            old_v, new_v = _normalise(column, old_v), _normalise(column, new_v)
            if old_v == new_v or to_json(old_v) == to_json(new_v) or (old_v in (None, "") and new_v in (None, "")):
                continue
        if key in SECRET_FIELDS:
            changes[key] = [None if old_v is None else SECRET, None if new_v is None else SECRET]
        elif target is not None:
            changes[key] = [
                None if old_v is None else _Ref(target, old_v),
                None if new_v is None else _Ref(target, new_v),
            ]
        else:
            changes[key] = [to_json(old_v), to_json(new_v)]
    # many-to-many collections (an executor's topics): the members before and after
    for key in info.collections:
        hist = attributes.get_history(obj, key, passive=attributes.PASSIVE_NO_INITIALIZE)
        if action is AuditAction.DELETE:
            before, after = list(hist.unchanged) + list(hist.deleted), []
            if not before:
                continue
        else:
            if not hist.added and not hist.deleted:
                continue
            before = list(hist.unchanged) + list(hist.deleted)
            after = list(hist.unchanged) + list(hist.added)
        changes[key] = [before, after]
    return changes


def _after_flush(session: Session, flush_context) -> None:
    """Collect what changed while the attribute history is still there."""
    pending = []
    all_originals = flush_context.attributes.get(_ORIGINALS, {})
    for action, objs in (
        (AuditAction.INSERT, session.new),
        (AuditAction.UPDATE, session.dirty),
        (AuditAction.DELETE, session.deleted),
    ):
        for obj in objs:
            if not is_audited(obj):
                continue
            state = inspect(obj)
            info = _info(state.mapper)
            changes = _column_changes(obj, state, action, info, all_originals.get(state, {}))
            if action is AuditAction.UPDATE and not changes:
                continue  # nothing really changed (same value set again, or only timestamps)
            parent = ("", "")
            if info.parent is not None:
                value = state.dict.get(info.parent[1])
                if value is None and action is AuditAction.DELETE:
                    hist = attributes.get_history(obj, info.parent[1], passive=attributes.PASSIVE_NO_INITIALIZE)
                    value = (hist.deleted or hist.unchanged or [all_originals.get(state, {}).get(info.parent[1])])[0]
                if value is not None:
                    parent = (info.parent[0], str(value))
            item = {
                "action": action,
                "obj": obj,
                "model": info.name,
                "record_id": record_id_of(obj),
                "changes": changes,
                "parent": parent,
                "label": None,
            }
            if action is AuditAction.DELETE:
                # a deleted object is detached after the flush: label it now
                with session.no_autoflush, _stored_locale():
                    keep = _prefetch(session, [item], {})  # noqa: F841
                    _resolve(session, item, {})
            pending.append(item)
    if pending:
        flush_context.attributes.setdefault(_PENDING, []).extend(pending)


def _prefetch(session: Session, items: list[dict], cache: dict) -> list:
    """Load, one query per referenced table, the referenced rows not already in the session.

    Rows a form has shown are usually in the identity map; the others come in with a single
    ``IN`` query per table instead of one query per value. Returns the loaded objects (the
    identity map holds objects weakly: the caller keeps them alive while labelling).
    """
    missing: dict = {}
    for item in items:
        for pair in item["changes"].values():
            for value in pair:
                if isinstance(value, _Ref) and (value.mapper, value.value) not in cache:
                    identity = value.mapper.identity_key_from_primary_key([value.value])
                    if session.identity_map.get(identity) is None:
                        missing.setdefault(value.mapper, set()).add(value.value)
    loaded: list[object] = []
    for mapper, values in missing.items():
        pk = mapper.primary_key[0]
        if len(mapper.primary_key) == 1:
            loaded.extend(session.execute(sa.select(mapper.class_).where(pk.in_(values))).scalars())
    return loaded


def _ref_label(session: Session, ref: _Ref, cache: dict) -> str:
    key = (ref.mapper, ref.value)
    if key not in cache:
        identity = ref.mapper.identity_key_from_primary_key([ref.value])
        target = session.identity_map.get(identity)
        cache[key] = label_of(target) if target is not None else f"#{ref.value}"
    return cache[key]


def _json_value(session, value, cache):
    if isinstance(value, _Ref):
        return {"id": to_json(value.value), "label": _ref_label(session, value, cache)}
    if isinstance(value, list):  # members of a many-to-many collection
        return sorted(({"id": record_id_of(o), "label": label_of(o)} for o in value), key=lambda m: m["label"])
    return value


def _resolve(session: Session, item: dict, cache: dict) -> None:
    item["changes"] = {
        key: [_json_value(session, old, cache), _json_value(session, new, cache)]
        for key, (old, new) in item["changes"].items()
    }
    if item["label"] is None:
        item["label"] = label_of(item["obj"])
        if not item["record_id"]:
            item["record_id"] = record_id_of(item["obj"])


def _after_flush_postexec(session: Session, flush_context) -> None:
    """Label and write the collected entries, on the flush's connection."""
    pending = flush_context.attributes.pop(_PENDING, None)
    if not pending:
        return
    actor = current_actor()
    from portal.models.base import utcnow

    now = utcnow()
    cache: dict = {}
    rows = []
    with session.no_autoflush, _stored_locale():
        keep = _prefetch(session, [i for i in pending if i["action"] is not AuditAction.DELETE], cache)  # noqa: F841
        for item in pending:
            if item["action"] is not AuditAction.DELETE:
                _resolve(session, item, cache)
            rows.append(
                _entry(
                    actor,
                    item["action"],
                    item["model"],
                    item["record_id"],
                    item["label"],
                    item["changes"],
                    parent=item["parent"],
                    at=now,
                )
            )
    from portal.services import pii

    rows = pii.seal(session.connection(), rows)  # applicants' personal values, encrypted per applicant
    session.connection().execute(cast(sa.Table, AuditLog.__table__).insert(), rows)


def _entry(
    actor: Actor,
    action: AuditAction,
    model: str,
    record_id,
    label: str,
    changes=None,
    detail="",
    parent: tuple[str, str] = ("", ""),
    at=None,
) -> dict:
    from portal.models.base import utcnow

    return {
        "at": at or utcnow(),
        "user_id": actor.user_id,
        "username": (actor.username or "")[:64],
        "role": actor.role or "",
        "ip": (actor.ip or "")[:64],
        "action": action,
        "model": model or "",
        "record_id": "" if record_id is None else str(record_id)[:64],
        "record_label": (label or "")[:LABEL_MAX],
        "parent_model": parent[0],
        "parent_id": parent[1],
        "changes": changes,
        "detail": detail or "",
    }


# --- bulk statements ---------------------------------------------------------------------------

_TABLES: dict[str, str] = {}


def _audited_tables() -> dict[str, str]:
    """Audited table name → model name (computed once: mappers do not change at run time)."""
    if not _TABLES:
        for m in Model.registry.mappers:
            if is_audited_class(m.class_):
                _TABLES[cast(sa.Table, m.local_table).name] = m.class_.__name__
    return _TABLES


def _guard_bulk(orm_execute_state):
    """Refuse (or, inside :func:`bulk_operation`, run and log) bulk DML on audited tables."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete or orm_execute_state.is_insert):
        return None
    table = getattr(orm_execute_state.statement, "table", None)
    name = getattr(table, "name", None)
    if name == AuditLog.__tablename__:
        if orm_execute_state.is_insert:
            return None
        raise AuditLogImmutableError("the audit log is append-only")
    model = _audited_tables().get(name) if name is not None else None
    if model is None:
        return None
    kind = "INSERT" if orm_execute_state.is_insert else "UPDATE" if orm_execute_state.is_update else "DELETE"
    reason = _bulk_allowed.get()
    if reason is None:
        raise AuditBypassError(
            f"bulk {kind} on audited table {name!r} would bypass the audit log; "
            "change rows through the ORM or wrap the statement in audit.bulk_operation()"
        )
    result = orm_execute_state.invoke_statement()
    params = orm_execute_state.parameters
    if kind == "INSERT" and isinstance(params, (list, tuple)):
        count = len(params)
    else:
        count = result.rowcount
    action = {"INSERT": AuditAction.INSERT, "UPDATE": AuditAction.UPDATE, "DELETE": AuditAction.DELETE}[kind]
    sql = " ".join(
        str(orm_execute_state.statement.compile(dialect=orm_execute_state.session.get_bind().dialect)).split()
    )
    orm_execute_state.session.execute(
        cast(sa.Table, AuditLog.__table__).insert(),
        [
            _entry(
                current_actor(),
                action,
                model,
                None,
                f"bulk: {reason}",
                detail=f"bulk {kind}: {reason}; rows: {count}; {sql[:2000]}",
            )
        ],
    )
    return result


@contextlib.contextmanager
def bulk_operation(model: str, reason: str):
    """Allow bulk statements on audited tables inside the block; each is logged as one entry.

    ``model`` names what the block changes (kept for callers; the entry names the statement's
    own table's model), ``reason`` says why a bulk statement was needed.
    """
    token = _bulk_allowed.set(f"{reason} ({model})" if model else reason)
    try:
        yield
    finally:
        _bulk_allowed.reset(token)


def _refuse_change(mapper, connection, target):
    raise AuditLogImmutableError("the audit log is append-only")


# --- events that are not data changes --------------------------------------------------------


def log_event(
    action: AuditAction,
    *,
    model: str = "",
    record_id=None,
    label: str = "",
    detail: str = "",
    actor: Actor | None = None,
    changes: dict | None = None,
) -> None:
    """Write a non-data event (login, denial, export, personal-data view) in the current transaction."""
    db.session.execute(
        cast(sa.Table, AuditLog.__table__).insert(),
        [_entry(actor or current_actor(), action, model, record_id, label, changes, detail)],
    )


def log_event_now(action: AuditAction, **kw) -> None:
    """Write an event and commit at once (denials and failed logins must survive a rollback).

    It commits the session: call it only where the request has nothing else pending (before a
    view does its work, or on a read-only page).
    """
    log_event(action, **kw)
    db.session.commit()


def init_app(app) -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_flush_postexec", _after_flush_postexec)
        event.listen(Session, "do_orm_execute", _guard_bulk)
        event.listen(AuditLog, "before_update", _refuse_change)
        event.listen(AuditLog, "before_delete", _refuse_change)
