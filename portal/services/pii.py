"""Applicants' personal values in the audit log, sealed with a key per applicant (crypto-shredding).

The audit log is append-only: an entry is never rewritten, so a personal value written into it
in clear could never be removed. Instead, when the audit hook writes its entries, :func:`seal`
replaces every personal value with an envelope ``pii1:<applicant id>:<base64>`` — the value
encrypted with AES-256-GCM under that applicant's own random key (table ``applicant_key``; the
applicant id is the associated data, so an envelope cannot be passed off as another person's).
Which values are personal: the applicant's own fields (:data:`APPLICANT_FIELDS`) and its label,
the applicant's name where another record refers to it, and the free texts of the appeal's
records (:data:`FREE_TEXT`), which often quote the applicant. Screens call :func:`reveal`:
while the key exists the reader sees the value; anonymisation deletes the key
(:func:`destroy_key`) and every envelope of that applicant reads «знищено» for good — in the
database, in every later backup and export — although not one entry was changed.

Inside :func:`redacting` (the anonymisation itself) the hook keeps no old value at all: its
entries say which fields were cleared, marked :data:`REMOVED`, and show the replacements.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import os
import re

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import g, has_app_context
from flask_babel import lazy_gettext as _l

from portal.models.records import ApplicantKey

PREFIX = "pii1:"
REMOVED = "pii1:removed"
_ENVELOPE = re.compile(r"^pii1:(\d+):([A-Za-z0-9_-]+={0,2})$")
NONCE = 12
TAG = 16

# The applicant's own fields whose values identify the person (sex, status and privilege
# category stay readable: they are the statistics' categories, not identities).
APPLICANT_FIELDS = ("full_name", "address", "phone", "phone2", "email")
# Free texts of an appeal's records: sealed in the log with the appeal's applicant's key,
# and cleaned of the applicant's values by anonymisation.
FREE_TEXT = {
    "Appeal": ("summary", "content", "decision_reason"),
    "AppealIssue": ("text",),
    "Resolution": ("text",),
    "Answer": ("body",),
    "FeedbackProof": ("result",),
    "TermExtension": ("reason",),
    "StatusChange": ("comment",),
    "Attachment": ("filename",),
}
# Records whose label is personal (an applicant's name, a file's name) and references that show it.
LABELLED_BY_APPLICANT = frozenset({"Applicant", "Attachment"})
REFERENCES_BY_APPLICANT = {"FeedbackProof": ("attachment_id",)}
LABEL_MAX = 300

_redacting: contextvars.ContextVar[bool] = contextvars.ContextVar("pii_redacting", default=False)


@contextlib.contextmanager
def redacting():
    """Changes made inside the block are logged without their old values (anonymisation)."""
    token = _redacting.set(True)
    try:
        yield
    finally:
        _redacting.reset(token)


# --- keys -------------------------------------------------------------------------------------


def _keys_table():
    return ApplicantKey.__table__


def keys_for(connection, applicant_ids, *, create: bool) -> dict[int, bytes]:
    """The keys of these applicants (made on first use when ``create``), read on ``connection``."""
    ids = sorted({int(i) for i in applicant_ids if i is not None})
    if not ids:
        return {}
    table = _keys_table()
    found = dict(
        connection.execute(sa.select(table.c.applicant_id, table.c.key).where(table.c.applicant_id.in_(ids))).all()
    )
    missing = [i for i in ids if i not in found]
    if missing and create:
        from portal.models.base import utcnow

        rows = [
            {"applicant_id": i, "key": AESGCM.generate_key(bit_length=256), "created_at": utcnow()} for i in missing
        ]
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        # two transactions may key the same applicant at once: the first key wins, both use it
        connection.execute(insert(table).on_conflict_do_nothing(index_elements=["applicant_id"]), rows)
        found.update(
            connection.execute(
                sa.select(table.c.applicant_id, table.c.key).where(table.c.applicant_id.in_(missing))
            ).all()
        )
    return found


def destroy_key(session, applicant_id: int) -> None:
    """Delete the applicant's key: every value sealed with it becomes unreadable (the caller commits)."""
    table = _keys_table()
    session.execute(table.delete().where(table.c.applicant_id == int(applicant_id)))
    forget_cache()


def sealed(applicant_id: int, text: str, *, limit: int | None = None) -> str:
    """``text`` sealed with the applicant's key, for an event the caller logs about that applicant."""
    from portal.extensions import db

    keys = keys_for(db.session.connection(), [applicant_id], create=True)
    return encrypt(keys[applicant_id], applicant_id, text, limit=limit) if text else text


def has_key(session, applicant_id: int) -> bool:
    table = _keys_table()
    return (
        session.execute(sa.select(table.c.applicant_id).where(table.c.applicant_id == applicant_id)).first() is not None
    )


# --- sealing ------------------------------------------------------------------------------------


def encrypt(key: bytes, applicant_id: int, text: str, *, limit: int | None = None) -> str:
    """The envelope of ``text``; with ``limit``, the text is shortened until the envelope fits."""
    data = text.encode("utf-8")
    if limit is not None:
        # base64 turns every started 3 bytes into 4 characters
        room = (limit - len(f"{PREFIX}{applicant_id}:")) // 4 * 3 - NONCE - TAG
        if len(data) > room:
            data = data[: max(room, 0)].decode("utf-8", "ignore").encode("utf-8")
    nonce = os.urandom(NONCE)
    sealed = AESGCM(key).encrypt(nonce, data, str(applicant_id).encode())
    return f"{PREFIX}{applicant_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def is_sealed(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def _seal_value(keys, applicant_id, value):
    if not isinstance(value, str) or value == "" or applicant_id is None or is_sealed(value):
        return value
    return encrypt(keys[applicant_id], applicant_id, value)


def _ref_id(value):
    if isinstance(value, dict) and value.get("id") is not None:
        try:
            return int(value["id"])
        except (TypeError, ValueError):
            return None
    return None


def _needs_owner(row) -> bool:
    """Does the row hold values of its appeal's applicant (free texts, a file's name)?"""
    model, changes = row["model"], row.get("changes") or {}
    if model == "Appeal" and "applicant_id" in changes:
        return False  # the applicant is named in the entry itself
    return (
        any(key in changes for key in FREE_TEXT.get(model, ()))
        or model in LABELLED_BY_APPLICANT
        or any(key in changes for key in REFERENCES_BY_APPLICANT.get(model, ()))
    )


def _appeal_of(row) -> int | None:
    appeal_id = (
        row["record_id"] if row["model"] == "Appeal" else row["parent_id"] if row["parent_model"] == "Appeal" else ""
    )
    return int(appeal_id) if str(appeal_id).isdigit() else None


def seal(connection, rows: list[dict]) -> list[dict]:
    """Seal the personal values of audit rows about to be written (called by the audit hook)."""
    if _redacting.get():
        for row in rows:
            for pair in (row.get("changes") or {}).values():
                if isinstance(pair, list) and len(pair) == 2 and pair[0] not in (None, ""):
                    pair[0] = REMOVED
            if row["model"] == "Attachment":  # a file's name (the applicant's own label is the new one)
                row["record_label"] = REMOVED
        return rows
    appeal_ids = {_appeal_of(row) for row in rows if _needs_owner(row)} - {None}
    owner = {}
    if appeal_ids:
        from portal.models.appeals import Appeal

        table = Appeal.__table__
        owner = dict(
            connection.execute(sa.select(table.c.id, table.c.applicant_id).where(table.c.id.in_(appeal_ids))).all()
        )
    plan = []  # (row, the applicant whose values the row holds)
    needed: set[int] = set()
    for row in rows:
        model, changes = row["model"], row.get("changes") or {}
        own = None
        if model == "Applicant" and row["record_id"].isdigit():
            own = int(row["record_id"])
        elif model == "Appeal" and "applicant_id" in changes:
            own = _ref_id(changes["applicant_id"][1]) or _ref_id(changes["applicant_id"][0])
        elif _needs_owner(row):
            own = owner.get(_appeal_of(row))
        refs = [_ref_id(v) for v in (changes.get("applicant_id") or ())] if model != "Applicant" else []
        needed.update(i for i in [own, *refs] if i is not None)
        plan.append((row, own))
    if not needed:
        return rows
    keys = keys_for(connection, needed, create=True)
    for row, own in plan:
        model, changes = row["model"], row.get("changes") or {}
        if model != "Applicant" and "applicant_id" in changes:
            changes["applicant_id"] = [_seal_ref(keys, v) for v in changes["applicant_id"]]
        if own is None:
            continue
        for key in APPLICANT_FIELDS if model == "Applicant" else FREE_TEXT.get(model, ()):
            pair = changes.get(key)
            if isinstance(pair, list) and len(pair) == 2:
                changes[key] = [_seal_value(keys, own, pair[0]), _seal_value(keys, own, pair[1])]
        for key in REFERENCES_BY_APPLICANT.get(model, ()):
            if key in changes:
                changes[key] = [_seal_ref(keys, v, own) for v in changes[key]]
        if model in LABELLED_BY_APPLICANT and row["record_label"]:
            row["record_label"] = encrypt(keys[own], own, row["record_label"], limit=LABEL_MAX)
    return rows


def _seal_ref(keys, value, applicant_id=None):
    """A reference's label sealed with the key of ``applicant_id`` (default: the referenced applicant)."""
    applicant_id = applicant_id if applicant_id is not None else _ref_id(value)
    if applicant_id is None or not isinstance(value, dict) or not value.get("label") or is_sealed(value["label"]):
        return value
    return {**value, "label": encrypt(keys[applicant_id], applicant_id, value["label"])}


# --- revealing ----------------------------------------------------------------------------------

DESTROYED = _l("destroyed")
REMOVED_TEXT = _l("removed")


def forget_cache() -> None:
    if has_app_context():
        g.pop("_pii_keys", None)


def _key(applicant_id: int) -> bytes | None:
    from portal.extensions import db

    cache = g.setdefault("_pii_keys", {}) if has_app_context() else {}
    if applicant_id not in cache:
        cache[applicant_id] = keys_for(db.session.connection(), [applicant_id], create=False).get(applicant_id)
    return cache[applicant_id]


def preload_keys(values) -> None:
    """Read at once the keys of the applicants whose sealed values are among ``values`` (strings, or dicts
    and lists of them, nested): a page that reveals many entries reads their keys in one statement."""
    from portal.extensions import db

    found: set[int] = set()

    def walk(value):
        if isinstance(value, str):
            match = _ENVELOPE.match(value) if value.startswith(PREFIX) else None
            if match is not None:
                found.add(int(match.group(1)))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(values)
    if not has_app_context():
        return
    cache = g.setdefault("_pii_keys", {})
    missing = sorted(found - cache.keys())
    if missing:
        keys = keys_for(db.session.connection(), missing, create=False)
        cache.update({applicant_id: keys.get(applicant_id) for applicant_id in missing})


def reveal(value):
    """A stored value as readers see it: the plain text while its key exists, «знищено» after."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return value
    if value == REMOVED:
        return f"«{REMOVED_TEXT}»"
    match = _ENVELOPE.match(value)
    if match is None:
        return value
    applicant_id = int(match.group(1))
    key = _key(applicant_id)
    if key is None:
        return f"«{DESTROYED}»"
    try:
        raw = base64.urlsafe_b64decode(match.group(2))
        return AESGCM(key).decrypt(raw[:NONCE], raw[NONCE:], str(applicant_id).encode()).decode("utf-8")
    except (InvalidTag, ValueError):
        return f"«{DESTROYED}»"


def reveal_json(value):
    """:func:`reveal` through a logged JSON value (a reference's label, a collection's members)."""
    if isinstance(value, str):
        return reveal(value)
    if isinstance(value, dict):
        return {k: reveal_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal_json(v) for v in value]
    return value
