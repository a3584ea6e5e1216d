"""Attribute history before a flush: what a rule needs to know about a pending change.

Validation hooks run before the flush and compare an object's old and new values (a column, or
a many-to-one reference set through the relationship or through its key). The models mark the
attributes they compare with ``active_history=True`` so the old value is loaded.
"""

from __future__ import annotations

from sqlalchemy import inspect as sa_inspect

from portal.extensions import db


def column_change(obj, key: str):
    """(old, new, changed) of a column attribute, before the flush."""
    state = sa_inspect(obj)
    if state.transient or state.pending:
        return None, getattr(obj, key), True
    hist = state.attrs[key].history
    if not hist.has_changes():
        value = getattr(obj, key)
        return value, value, False
    old = hist.deleted[0] if hist.deleted else None
    new = hist.added[0] if hist.added else None
    return old, new, old != new


def reference_change(obj, rel: str, fk: str):
    """(old, new, changed) of a many-to-one reference, set through the relationship or its key."""
    state = sa_inspect(obj)
    mapper_rel = state.mapper.relationships[rel]
    target = mapper_rel.mapper.class_
    if state.transient or state.pending:
        new = getattr(obj, rel)
        if new is None and getattr(obj, fk) is not None:
            new = db.session.get(target, getattr(obj, fk))
        return None, new, new is not None
    hist = state.attrs[rel].history
    if hist.added or hist.deleted:
        old = next((o for o in hist.deleted if o is not None), None)
        new = next((o for o in hist.added if o is not None), None)
        if old is None and not hist.deleted:
            old_id = state.attrs[fk].loaded_value
            old = db.session.get(target, old_id) if isinstance(old_id, int) else None
        return old, new, old is not new
    fk_hist = state.attrs[fk].history
    if fk_hist.has_changes():
        old_id = fk_hist.deleted[0] if fk_hist.deleted else None
        new_id = fk_hist.added[0] if fk_hist.added else None
        old = db.session.get(target, old_id) if old_id is not None else None
        new = db.session.get(target, new_id) if new_id is not None else None
        return old, new, old_id != new_id
    current = getattr(obj, rel)
    return current, current, False
