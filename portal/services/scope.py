"""Row-level scope: which appeals a user may see (lists, counts, details, exports, downloads).

The rule is written once (:func:`scope_terms`: which facts about an appeal let a role see
it); each fact is spelled as SQL for lists and counts and in Python for one loaded appeal,
side by side in ``FACTS``, so the two can only drift together.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.models.appeals import Appeal, Assignment
from portal.models.enums import Role


def scope_terms(user) -> list[tuple[str, object]] | None:
    """The facts (name, value) of which any one lets ``user`` see an appeal; None: every appeal."""
    role = Role(user.role)
    if role == Role.EXECUTOR:
        # only appeals assigned to the user's own executor body
        return [("assigned_to", user.executor_id)]
    if role == Role.SIGNER:
        # appeals of the signer's direction, and any routed to them personally
        if user.direction_id is None:
            return [("signer", user.id)]
        return [("direction", user.direction_id), ("signer", user.id)]
    return None


def _assigned_to_sql(executor_id, counting: bool):
    # a page of a list walks appeals newest first and probes each for the body's assignment
    # (EXISTS); a count is cheaper driven from the body's assignments (IN)
    if counting:
        return Appeal.id.in_(sa.select(Assignment.appeal_id).where(Assignment.executor_id == executor_id))
    return sa.exists().where(Assignment.appeal_id == Appeal.id, Assignment.executor_id == executor_id)


# fact → (SQL clause (value, counting), Python test (appeal, value))
FACTS = {
    "assigned_to": (_assigned_to_sql, lambda appeal, v: any(a.executor_id == v for a in appeal.assignments)),
    "direction": (lambda v, counting: Appeal.direction_id == v, lambda appeal, v: appeal.direction_id == v),
    "signer": (lambda v, counting: Appeal.signer_id == v, lambda appeal, v: appeal.signer_id == v),
}


def appeal_scope_clause(user, counting: bool = False):
    """A WHERE clause limiting appeals to the user's scope, or None for no limit.

    ``counting``: the same rows, phrased for a count over many appeals.
    """
    terms = scope_terms(user)
    if terms is None:
        return None
    clauses = [FACTS[name][0](value, counting) for name, value in terms]
    return clauses[0] if len(clauses) == 1 else sa.or_(*clauses)


def scope_appeals(query, user, counting: bool = False):
    """Apply the scope to a select() or a legacy Query over Appeal."""
    clause = appeal_scope_clause(user, counting)
    if clause is None:
        return query
    if hasattr(query, "where"):
        return query.where(clause)
    return query.filter(clause)


def can_see_appeal(user, appeal) -> bool:
    """May ``user`` see this loaded appeal (the same rule as :func:`appeal_scope_clause`)."""
    terms = scope_terms(user)
    return terms is None or any(FACTS[name][1](appeal, value) for name, value in terms)
