"""Row-level scope: which appeals a user may see (lists, counts, details, exports, downloads)."""

from __future__ import annotations

import sqlalchemy as sa

from portal.models.appeals import Appeal, Assignment
from portal.models.enums import Role


def appeal_scope_clause(user, counting: bool = False):
    """A WHERE clause limiting appeals to the user's scope, or None for no limit.

    ``counting``: the same rows, phrased for a count over many appeals. A page of a list
    walks appeals newest first and probes each for the body's assignment (EXISTS); a count
    is cheaper driven from the body's assignments (IN).
    """
    role = Role(user.role)
    if role == Role.EXECUTOR:
        # only appeals assigned to the user's own executor body
        if counting:
            return Appeal.id.in_(sa.select(Assignment.appeal_id).where(Assignment.executor_id == user.executor_id))
        return sa.exists().where(Assignment.appeal_id == Appeal.id, Assignment.executor_id == user.executor_id)
    if role == Role.SIGNER:
        # appeals of the signer's direction, and any routed to them personally
        if user.direction_id is None:
            return Appeal.signer_id == user.id
        return sa.or_(Appeal.direction_id == user.direction_id, Appeal.signer_id == user.id)
    return None


def scope_appeals(query, user, counting: bool = False):
    """Apply the scope to a select() or a legacy Query over Appeal."""
    clause = appeal_scope_clause(user, counting)
    if clause is None:
        return query
    if hasattr(query, "where"):
        return query.where(clause)
    return query.filter(clause)


def can_see_appeal(user, appeal) -> bool:
    role = Role(user.role)
    if role == Role.EXECUTOR:
        return any(a.executor_id == user.executor_id for a in appeal.assignments)
    if role == Role.SIGNER:
        return (user.direction_id is not None and appeal.direction_id == user.direction_id) or (
            appeal.signer_id == user.id
        )
    return True
