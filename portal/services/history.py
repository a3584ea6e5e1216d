"""Reading the audit log: filters, search, a record's history and field-level diffs people can read.

Values are stored as written by ``portal.services.audit``: plain JSON values (enum values, ISO
dates, decimal strings), ``{"id": …, "label": …}`` for foreign keys and lists of those for
many-to-many collections. Here they become Ukrainian labels, дд.мм.рррр dates and Kyiv times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from portal.extensions import db
from portal.i18n import KYIV, format_date, format_datetime, format_money
from portal.labels import enum_label, field_label
from portal.models.audit import AuditLog
from portal.models.base import Model
from portal.models.enums import AuditAction

EMPTY = "—"

# Names of record types as people say them (msgctxt "record type" keeps them apart from
# the same English words used elsewhere). A model missing here is shown by its class name.
MODEL_LABELS = {
    "Appeal": lazy_pgettext("record type", "Appeal"),
    "Applicant": lazy_pgettext("record type", "Applicant"),
    "AppealIssue": lazy_pgettext("record type", "Issue of an appeal"),
    "Resolution": lazy_pgettext("record type", "Resolution"),
    "Assignment": lazy_pgettext("record type", "Assignment"),
    "Answer": lazy_pgettext("record type", "Answer"),
    "Attachment": lazy_pgettext("record type", "Attachment"),
    "FeedbackProof": lazy_pgettext("record type", "Proof of feedback"),
    "TermExtension": lazy_pgettext("record type", "Term extension"),
    "StatusChange": lazy_pgettext("record type", "Status change"),
    "Executor": lazy_pgettext("record type", "Executor"),
    "ExecutorContact": lazy_pgettext("record type", "Executor's contact person"),
    "StructuralUnit": lazy_pgettext("record type", "Structural unit"),
    "StaffPosition": lazy_pgettext("record type", "Staff list position"),
    "Employee": lazy_pgettext("record type", "Employee"),
    "Order": lazy_pgettext("record type", "Order"),
    "BudgetEstimate": lazy_pgettext("record type", "Budget estimate"),
    "BudgetLine": lazy_pgettext("record type", "Budget line"),
    "BudgetAmendment": lazy_pgettext("record type", "Budget amendment"),
    "AmendmentLine": lazy_pgettext("record type", "Amendment line"),
    "Expenditure": lazy_pgettext("record type", "Expenditure"),
    "User": lazy_pgettext("record type", "User account"),
    "Direction": lazy_pgettext("record type", "Direction"),
    "Topic": lazy_pgettext("record type", "Topic"),
    "SocialStatus": lazy_pgettext("record type", "Social status"),
    "PrivilegeCategory": lazy_pgettext("record type", "Privilege category"),
    "ResultCode": lazy_pgettext("record type", "Result code"),
    "Kekv": lazy_pgettext("record type", "Economic classification code"),
    "ReportRun": lazy_pgettext("record type", "Report"),
    "IntakeMessage": lazy_pgettext("record type", "Incoming e-mail"),
    "OutgoingMail": lazy_pgettext("record type", "Outgoing e-mail"),
    "DeliveryAttempt": lazy_pgettext("record type", "Delivery attempt"),
    "DocumentTemplate": lazy_pgettext("record type", "Answer template"),
    "CalendarDay": lazy_pgettext("record type", "Calendar day"),
    "CalendarSetting": lazy_pgettext("record type", "Calendar setting"),
    "AnonymisationProposal": lazy_pgettext("record type", "Anonymisation proposal"),
}
# Record types whose entries carry an applicant's personal data.
PERSONAL_DATA_MODELS = frozenset({"Applicant", "Appeal"})


def model_class(name: str):
    """The mapped class called ``name``, or None."""
    if not _CLASSES:
        _CLASSES.update({m.class_.__name__: m.class_ for m in Model.registry.mappers})
    return _CLASSES.get(name)


_CLASSES: dict[str, type] = {}


# Denials and exports are logged under the screen's area (DESIGN §8 endpoint), not a class name.
AREA_MODELS = {
    "appeal": "Appeal",
    "executor": "Executor",
    "structural_unit": "StructuralUnit",
    "staff_position": "StaffPosition",
    "employee": "Employee",
    "order": "Order",
    "budget_estimate": "BudgetEstimate",
    "budget_line": "BudgetLine",
    "budget_amendment": "BudgetAmendment",
    "expenditure": "Expenditure",
    "report": "ReportRun",
    "user": "User",
    "applicant": "Applicant",
    "calendar_day": "CalendarDay",
    "intake": "IntakeMessage",
}
AREA_LABELS = {
    "audit_log": lazy_pgettext("record type", "Change history"),
    "records": lazy_pgettext("record type", "Records and retention"),
    "ukc_results": lazy_pgettext("record type", "Results for the GCC"),
}


def model_label(name: str) -> str:
    """The Ukrainian name of a record type, given its class name or its screen's area."""
    if not name:
        return ""
    label = MODEL_LABELS.get(name) or MODEL_LABELS.get(AREA_MODELS.get(name, "")) or AREA_LABELS.get(name)
    return str(label) if label is not None else name


def model_name_of(text: str) -> str:
    """The class name a record type is given by: its class name or its Ukrainian name (any case).

    The audit log's "record with its parts" filter reads ``<type>:<id>``; the History tab links
    with the Ukrainian name, so the filter shows «Звернення:301», not a class name.
    """
    text = (text or "").strip()
    if text in MODEL_LABELS:
        return text
    wanted = text.casefold()
    for name, label in MODEL_LABELS.items():
        if str(label).casefold() == wanted:
            return name
    return text


def object_filter_value(model_name: str, record_id) -> str:
    """The "record with its parts" filter's value for a record, as the user reads it."""
    return f"{model_label(model_name)}:{record_id}"


def describe_record(model_name: str, record_id) -> str:
    """«Звернення T-301/26»: a record's type and its name as the log last recorded it (or its number)."""
    from portal.services.pii import reveal

    label = db.session.execute(
        sa.select(AuditLog.record_label)
        .where(AuditLog.model == model_name, AuditLog.record_id == str(record_id), AuditLog.record_label.is_not(None))
        .order_by(AuditLog.id.desc())
        .limit(1)
    ).scalar()
    shown = reveal(label) if label else ""
    return f"{model_label(model_name)} {shown or '№ ' + str(record_id)}"


def model_choices() -> list[tuple[str, object]]:
    """(class name, lazy label) of every audited model, for the type filter (read once, at start)."""
    from portal.services.audit import audited_models

    return [(c.__name__, MODEL_LABELS.get(c.__name__, c.__name__)) for c in audited_models()]


def action_choices() -> list[tuple[str, object]]:
    return [(a.value, enum_label(a)) for a in AuditAction]


# --- field-level diffs ----------------------------------------------------------------------


@dataclass(frozen=True)
class DiffRow:
    field: str
    old: str
    new: str
    action: AuditAction = AuditAction.UPDATE

    @property
    def text(self) -> str:
        """ "old → new" for a change; the value alone for a creation or a deletion."""
        if self.action is AuditAction.INSERT:
            return self.new
        if self.action is AuditAction.DELETE:
            return self.old
        return f"{self.old} → {self.new}"


def field_title(model_cls, key: str) -> str:
    """The Ukrainian label of a field; for a foreign key without one, its relationship's label."""
    if model_cls is None:
        return key
    mapper = sa.inspect(model_cls)
    prop = mapper.attrs.get(key)
    if prop is not None and hasattr(prop, "columns"):
        column = prop.columns[0]
        if "label" not in (prop.info or {}) and "label" not in (column.info or {}):
            for rel in mapper.relationships:
                if column in rel.local_columns and (rel.info or {}).get("label"):
                    return str(rel.info["label"])
    return str(field_label(model_cls, key))


def _column_type(model_cls, key):
    if model_cls is None:
        return None
    prop = sa.inspect(model_cls).attrs.get(key)
    if prop is None or not hasattr(prop, "columns"):
        return None
    column_type = prop.columns[0].type
    return getattr(column_type, "impl_instance", None) or column_type


def format_value(model_cls, key: str, value) -> str:
    """One logged value as people read it."""
    from portal.services.audit import SECRET, SECRET_FIELDS
    from portal.services.pii import reveal_json

    value = reveal_json(value)  # an applicant's sealed values: readable while the key exists
    if value is None or value == "":
        return EMPTY
    if isinstance(value, dict) and "label" in value:  # a foreign key
        return str(value.get("label") or f"#{value.get('id')}")
    if isinstance(value, list):  # members of a many-to-many collection
        return ", ".join(str(m.get("label") if isinstance(m, dict) else m) for m in value) or EMPTY
    if key in SECRET_FIELDS and value == SECRET:
        return str(_l("(hidden)"))
    column_type = _column_type(model_cls, key)
    try:
        if isinstance(column_type, sa.Enum) and column_type.enum_class is not None:
            return str(enum_label(column_type.enum_class(value)))
        if isinstance(value, bool) or isinstance(column_type, sa.Boolean):
            return str(_l("yes")) if value else str(_l("no"))
        if isinstance(column_type, sa.DateTime):
            return format_datetime(datetime.fromisoformat(value))
        if isinstance(column_type, sa.Date):
            return format_date(date.fromisoformat(value))
        if isinstance(column_type, sa.Numeric):
            return format_money(Decimal(value))
    except (ValueError, TypeError, InvalidOperation):
        pass
    return str(value)


def diff_rows(entry: AuditLog) -> list[DiffRow]:
    """Field label, old value, new value for each change an entry records."""
    if not entry.changes:
        return []
    model_cls = model_class(entry.model)
    return [
        DiffRow(
            field_title(model_cls, key),
            format_value(model_cls, key, pair[0]),
            format_value(model_cls, key, pair[1]),
            entry.action,
        )
        for key, pair in entry.changes.items()
        if isinstance(pair, (list, tuple)) and len(pair) == 2
    ]


def changes_text(entry: AuditLog) -> str:
    """The diff on one line (exports): "Field: old → new; …"."""
    return "; ".join(f"{r.field}: {r.text}" for r in diff_rows(entry))


# --- filters and search (shared by the audit screen and the export job) ---------------------

FILTER_KEYS = ("user", "model", "record", "object", "action", "from", "to")


def parse_date(raw) -> date:
    """A date typed as дд.мм.рррр or picked as рррр-мм-дд."""
    if isinstance(raw, date):
        return raw
    raw = (raw or "").strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


def kyiv_day_start(day: date) -> datetime:
    """The UTC instant a Kyiv calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=KYIV).astimezone(UTC)


def clean_filter(key: str, raw):
    """Check a filter's value; raises ValueError when it makes no sense."""
    if key in ("from", "to"):
        return parse_date(raw)
    value = str(raw or "").strip()
    if not value:
        raise ValueError(raw)
    if key == "action":
        return AuditAction(value)
    if key == "object":
        model, _, record_id = value.rpartition(":")
        if not model.strip() or not record_id.strip():
            raise ValueError(raw)
        return model_name_of(model), record_id.strip()
    return value


def apply_filter(query, key: str, value):
    """Narrow an audit-log query (``Query`` or ``Select``) by one cleaned filter value."""
    if key == "user":
        return query.filter(AuditLog.username == value)
    if key == "model":
        return query.filter(AuditLog.model == value)
    if key == "record":
        return query.filter(AuditLog.record_id == value)
    if key == "object":
        model, record_id = value
        return query.filter(
            sa.or_(
                sa.and_(AuditLog.model == model, AuditLog.record_id == record_id),
                sa.and_(AuditLog.parent_model == model, AuditLog.parent_id == record_id),
            )
        )
    if key == "action":
        return query.filter(AuditLog.action == AuditAction(value))
    if key == "from":
        start = kyiv_day_start(value)
        first = first_id_at_or_after(start)
        query = query.filter(AuditLog.at >= start)
        return query.filter(AuditLog.id >= first) if first is not None else query
    if key == "to":
        end = kyiv_day_start(value + timedelta(days=1))
        last = last_id_before(end)
        query = query.filter(AuditLog.at < end)
        return query.filter(AuditLog.id <= last) if last is not None else query
    raise KeyError(key)


# Dates → ids. Entries are numbered in the order they are written, and each one's time is
# taken just before it is written (the hook: microseconds; a denial or login: one statement).
# So an entry timed ``WRITE_DELAY`` or more after another was also written after it. That
# turns a date range into an id range, exactly: the list then reads its page by walking the
# primary key (or the "filter + id" indexes) inside that range instead of sorting every entry
# of the range. The time conditions stay in the query: the id bounds only narrow the walk.
WRITE_DELAY = timedelta(minutes=5)  # far above the real delay; a larger value is only slower
_FIRST_WINDOW = timedelta(hours=1)


def first_id_at_or_after(moment: datetime) -> int | None:
    """The smallest id of the entries timed at or after ``moment`` (None: there are none)."""
    window = _FIRST_WINDOW
    last_at = db.session.execute(sa.select(sa.func.max(AuditLog.at))).scalar()
    while True:
        low, earliest = db.session.execute(
            sa.select(sa.func.min(AuditLog.id), sa.func.min(AuditLog.at)).where(
                AuditLog.at >= moment, AuditLog.at < moment + window
            )
        ).one()
        # every later entry was written after an entry of the window timed WRITE_DELAY before
        # its end (if there is one), so its id is larger than this window's smallest
        if (
            (earliest is not None and earliest < moment + window - WRITE_DELAY)
            or last_at is None
            or moment + window > last_at
        ):
            return low
        window *= 4


def last_id_before(moment: datetime) -> int | None:
    """The largest id of the entries timed before ``moment`` (None: there are none)."""
    window = _FIRST_WINDOW
    first_at = db.session.execute(sa.select(sa.func.min(AuditLog.at))).scalar()
    while True:
        high, latest = db.session.execute(
            sa.select(sa.func.max(AuditLog.id), sa.func.max(AuditLog.at)).where(
                AuditLog.at < moment, AuditLog.at >= moment - window
            )
        ).one()
        if (
            (latest is not None and latest >= moment - window + WRITE_DELAY)
            or first_at is None
            or moment - window < first_at
        ):
            return high
        window *= 4


def _prefix(column, term: str):
    """``column`` starts with ``term``, in a form each database answers from a b-tree index."""
    if db.engine.dialect.name == "postgresql":  # the index uses varchar_pattern_ops
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(escaped + "%", escape="\\")
    return sa.and_(column >= term, column < term + "\U0010ffff")  # SQLite: binary collation


def apply_search(query, search: str):
    """A user name: that user's entries; any other text: records whose label starts with it.

    Either way one index answers it (an OR of the two would make the database gather and sort
    every entry of a busy user). The label is matched as typed, in lower case, capitalised
    and in capitals: "петренко" finds "Петренко Петро".
    """
    term = " ".join((search or "").split())
    if not term:
        return query
    is_user = db.session.execute(sa.select(AuditLog.id).where(AuditLog.username == term).limit(1)).first() is not None
    if is_user:
        return query.filter(AuditLog.username == term)
    variants = dict.fromkeys([term, term.lower(), term[:1].upper() + term[1:], term.upper()])
    return query.filter(sa.or_(*[_prefix(AuditLog.record_label, v) for v in variants]))


def filtered_query(filters, search: str = ""):
    """The audit-log ``Select`` for ``filters`` ([[key, raw value], …]) and ``search``, newest first."""
    query = sa.select(AuditLog)
    for key, raw in filters or []:
        if key in FILTER_KEYS:
            query = apply_filter(query, key, clean_filter(key, raw))
    return apply_search(query, search).order_by(AuditLog.id.desc())


def count_at_most(query, limit: int) -> int:
    """How many rows ``query`` returns, counting no further than ``limit`` (bounded cost)."""
    inner = query.order_by(None).with_only_columns(AuditLog.id).limit(limit).subquery()
    return db.session.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one()


# --- a record's History tab -------------------------------------------------------------------


# Views of personal data are many (every opening of a card) and say little one by one: the History
# tab shows them as one expandable line, so they do not push the changes out of it.
GROUPED_ACTIONS = (AuditAction.VIEW_PERSONAL_DATA,)


def record_entries(model_name: str, record_id, limit: int = 20, *, views: bool = True) -> tuple[list[AuditLog], bool]:
    """A record's entries and those of its parts, newest first; and whether there are more.
    ``views=False`` leaves the personal-data views out (see :func:`record_views`).

    Two index range reads (the record, its parts) merged here: each stays an index walk
    however long the log is.
    """
    record_id = str(record_id)
    skip = [] if views else [AuditLog.action.not_in(GROUPED_ACTIONS)]
    own = (
        db.session.execute(
            sa.select(AuditLog)
            .where(AuditLog.model == model_name, AuditLog.record_id == record_id, *skip)
            .order_by(AuditLog.id.desc())
            .limit(limit + 1)
        )
        .scalars()
        .all()
    )
    parts = (
        db.session.execute(
            sa.select(AuditLog)
            .where(AuditLog.parent_model == model_name, AuditLog.parent_id == record_id, *skip)
            .order_by(AuditLog.id.desc())
            .limit(limit + 1)
        )
        .scalars()
        .all()
    )
    merged = sorted({e.id: e for e in [*own, *parts]}.values(), key=lambda e: e.id, reverse=True)
    return merged[:limit], len(merged) > limit


def record_views(model_name: str, record_id, limit: int = 50) -> tuple[int, list[AuditLog]]:
    """How many times the record's personal data was viewed, and the latest views (newest first)."""
    where = (
        AuditLog.model == model_name,
        AuditLog.record_id == str(record_id),
        AuditLog.action.in_(GROUPED_ACTIONS),
    )
    total = db.session.execute(sa.select(sa.func.count()).select_from(AuditLog).where(*where)).scalar_one()
    latest = (
        db.session.execute(sa.select(AuditLog).where(*where).order_by(AuditLog.id.desc()).limit(limit)).scalars().all()
        if total
        else []
    )
    return total, list(latest)


def record_history(model, limit: int = 20):
    """What the History tab of ``model``'s details page shows, or None when it has none.

    Only for users who may read the audit log; never for an audit entry itself.
    """
    from flask import url_for
    from flask_login import current_user

    from portal.auth.permissions import can
    from portal.services.audit import is_audited, record_id_of

    if model is None or isinstance(model, AuditLog) or not is_audited(model):
        return None
    if not (getattr(current_user, "is_authenticated", False) and can(current_user, "audit_log", "list")):
        return None
    name, record_id = type(model).__name__, record_id_of(model)
    entries, more = record_entries(name, record_id, limit, views=False)
    view_count, views = record_views(name, record_id)
    from portal.services.pii import preload_keys

    preload_keys([(e.record_label, e.changes) for e in [*entries, *views]])  # one read for the whole tab
    return {
        "entries": [(e, diff_rows(e)) for e in entries],
        "more": more,
        "views": views,
        "view_count": view_count,
        "url": url_for("audit_log.index_view", flt0_object=object_filter_value(name, record_id)),
        "views_url": url_for(
            "audit_log.index_view",
            flt0_object=object_filter_value(name, record_id),
            flt1_action=AuditAction.VIEW_PERSONAL_DATA.value,
        ),
    }


# --- exports ------------------------------------------------------------------------------------


def export_header() -> list[str]:
    return [
        str(h)
        for h in (
            _l("Entry No."),
            _l("Time"),
            _l("User"),
            _l("Role"),
            _l("Client address"),
            _l("Action"),
            _l("Object type"),
            _l("Record ID"),
            _l("Record"),
            _l("Changes"),
            _l("Details"),
        )
    ]


def export_row(entry: AuditLog) -> list:
    from portal.services.export import safe_cell
    from portal.services.pii import reveal

    role = entry.role
    try:
        from portal.models.enums import Role

        role = str(enum_label(Role(role))) if role else ""
    except ValueError:
        pass
    values = [
        entry.id,
        format_datetime(entry.at),
        entry.username,
        role,
        entry.ip,
        str(enum_label(entry.action)),
        model_label(entry.model),
        entry.record_id,
        reveal(entry.record_label),
        changes_text(entry),
        entry.detail,
    ]
    return [safe_cell(v) for v in values]


def iter_csv(query, batch: int = 1000):
    """The rows of ``query`` as CSV lines (header first), read in batches: bounded memory."""
    from portal.services.export import csv_lines

    def rows():
        yield export_header()
        for entries in batches(query, batch):
            for entry in entries:
                yield export_row(entry)

    return csv_lines(rows())


def batches(query, size: int):
    """The entries of ``query`` in batches of ``size``.

    Keyset pagination by id (newest first): every batch is one short index walk.
    """
    last = None
    while True:
        page = query if last is None else query.where(AuditLog.id < last)
        entries = db.session.execute(page.limit(size)).scalars().all()
        if not entries:
            return
        yield entries
        last = entries[-1].id  # the identity map holds entries weakly: read ones are freed
        if len(entries) < size:
            return


def init_app(app) -> None:
    app.jinja_env.globals["record_history"] = record_history
    app.jinja_env.globals["audit_diff"] = diff_rows
    app.jinja_env.globals["audit_model_label"] = model_label
    from portal.services.pii import reveal

    app.jinja_env.filters["reveal"] = reveal
