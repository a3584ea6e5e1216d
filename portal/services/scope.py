"""Row-level scope: which appeals a user may see (lists, counts, details, exports, downloads).

The rule is written once (:func:`scope_terms`: which facts about an appeal let a role see
it); each fact is spelled as SQL for lists and counts and in Python for one loaded appeal,
side by side in ``FACTS``, so the two can only drift together.

Reports read through the same rule without a clause in each of their queries: inside
:func:`reading_within`, every ORM query of the session that touches ``appeal`` — counts,
groupings, joins and subqueries alike — gets the scope added to its WHERE by a
``do_orm_execute`` hook (``with_loader_criteria``). A report run records the scope of the
user who asked for it (:func:`scope_key`), so its worker reads what that user may read.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, with_loader_criteria

from portal.models.appeals import Appeal, Assignment
from portal.models.enums import ExecutorRole, Role
from portal.services import open_marks


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


def _assigned_to_sql(executor_id, counting: bool, open_only: bool = False, probe: bool = False):
    # a page of a list walks appeals newest first and probes each for the body's assignment
    # (EXISTS); a count is cheaper driven from the body's assignments (IN)
    if counting:
        return Appeal.id.in_(sa.select(Assignment.appeal_id).where(Assignment.executor_id == executor_id))
    where = [Assignment.appeal_id == Appeal.id, Assignment.executor_id == executor_id]
    if open_only:
        # over open appeals only, "an assignment of the body" is "an open assignment of the body"
        # (open_marks): ix_assignment_open_executor holds the body's few thousand of those, where
        # ix_assignment_executor_appeal holds every assignment it ever had
        where.append(open_marks.open_clause())
    # SELECT 1, not SELECT *: SQLite then answers the probe from the index alone
    probing: sa.Select = sa.select(sa.literal_column("1")).where(*where)
    if probe:
        # OFFSET 0: PostgreSQL keeps the EXISTS a probe of each appeal read and never makes it a join
        probing = probing.offset(sa.literal_column("0"))
    return sa.exists(probing)


# fact → (SQL clause (value, counting, **phrasing), Python test (appeal, value))
FACTS: dict[str, tuple[Callable[..., Any], Callable[[Any, Any], bool]]] = {
    "assigned_to": (_assigned_to_sql, lambda appeal, v: any(a.executor_id == v for a in appeal.assignments)),
    "direction": (lambda v, counting, **_: Appeal.direction_id == v, lambda appeal, v: appeal.direction_id == v),
    "signer": (lambda v, counting, **_: Appeal.signer_id == v, lambda appeal, v: appeal.signer_id == v),
}


def appeal_scope_clause(user, counting: bool = False, open_only: bool = False, probe: bool = False):
    """A WHERE clause limiting appeals to the user's scope, or None for no limit.

    ``counting``: the same rows, phrased for a count over many appeals. ``open_only``: the
    caller's own WHERE admits only open appeals (a home page's counts, a work list); the
    clause may then hold for open appeals alone. ``probe``: each appeal read is tested on its
    own, never joined with all of an executor body's (open) assignments: for a read that stops
    after a page or covers a short range of due dates. PostgreSQL cannot know that a body's
    open assignments are of open appeals, expects a handful of them in any one state and
    would hash all of them for each state read.
    """
    terms = scope_terms(user)
    if terms is None:
        return None
    if len(terms) > 1 and not counting and all(name in WALKED for name, _ in terms):
        # "direction OR signer" (a signer's list): two index lookups joined by OR would read the
        # whole direction (645,000 appeals at a million) and sort it for a page of 50; kept off
        # those indexes ("+ 0"), a page walks its sort's index and stops once it is full, as a
        # direction is a large share of the register. A count keeps the lookups (it stops at its cap).
        return sa.or_(*[(WALKED[name] + 0) == value for name, value in terms])
    clauses = [FACTS[name][0](value, counting, open_only=open_only, probe=probe) for name, value in terms]
    return clauses[0] if len(clauses) == 1 else sa.or_(*clauses)


WALKED = {"direction": Appeal.direction_id, "signer": Appeal.signer_id}


def open_assignments(user):
    """An executor's scope over open appeals as rows to join: the body's open assignments, one row an appeal.

    Columns ``appeal_id`` and ``co_executing`` (1: the body is a co-executor or informed, not
    the responsible one). Joined to ``appeal``, the appeals of ``appeal_scope_clause(user,
    open_only=True)`` restricted to open ones, each once. None for a user not scoped by an
    executor body. A count over the scope (the home page's) reads each of the body's open
    appeals once this way, and learns its role from the same rows.
    """
    terms = scope_terms(user)
    if not terms or [name for name, _ in terms] != ["assigned_to"]:
        return None
    co_executing = sa.case((Assignment.executor_role != ExecutorRole.RESPONSIBLE, 1), else_=0)
    return (
        sa.select(Assignment.appeal_id, sa.func.max(co_executing).label("co_executing"))
        .where(Assignment.executor_id == terms[0][1], open_marks.open_clause())
        .group_by(Assignment.appeal_id)
        .subquery("body_open")
    )


def scope_appeals(query, user, counting: bool = False, open_only: bool = False, probe: bool = False):
    """Apply the scope to a select() or a legacy Query over Appeal (the phrasing: see :func:`appeal_scope_clause`)."""
    clause = appeal_scope_clause(user, counting, open_only, probe)
    if clause is None:
        return query
    if hasattr(query, "where"):
        return query.where(clause)
    return query.filter(clause)


def can_see_appeal(user, appeal) -> bool:
    """May ``user`` see this loaded appeal (the same rule as :func:`appeal_scope_clause`)."""
    terms = scope_terms(user)
    return terms is None or any(FACTS[name][1](appeal, value) for name, value in terms)


# --- reading a whole report within a scope --------------------------------------------------------

Terms = list[tuple[str, object]]
_reading: contextvars.ContextVar[Terms | None] = contextvars.ContextVar("scope_reading", default=None)


def scope_key(user) -> str:
    """The scope as a short text stored with a report run: "" is every appeal."""
    terms = scope_terms(user) if user is not None else None
    if terms is None:
        return ""
    return ",".join(f"{name}={value}" for name, value in terms)


def terms_from_key(key: str | None) -> Terms | None:
    """The terms written by :func:`scope_key` (None: no limit)."""
    if not key:
        return None
    terms: Terms = []
    for part in key.split(","):
        name, _, value = part.partition("=")
        if name not in FACTS:
            raise ValueError(f"unknown scope fact {name!r}")
        terms.append((name, int(value)))
    return terms


def _clause(terms: Terms):
    clauses = [FACTS[name][0](value, True) for name, value in terms]
    return clauses[0] if len(clauses) == 1 else sa.or_(*clauses)


@contextlib.contextmanager
def reading_within(terms: Terms | None):
    """Every query of the block that reads appeals sees only those the terms allow (None: all)."""
    token = _reading.set(terms)
    try:
        yield
    finally:
        _reading.reset(token)


def reading_as(user):
    """:func:`reading_within` the scope of ``user``."""
    return reading_within(scope_terms(user))


def current_terms() -> Terms | None:
    """The terms of the enclosing :func:`reading_within`, if any."""
    return _reading.get()


def describe(terms: Terms | None) -> str:
    """In words, for the title of a report read within ``terms`` ("" for every appeal)."""
    if not terms:
        return ""
    from flask_babel import gettext as _

    from portal.extensions import db
    from portal.models.org import Executor
    from portal.models.reference import Direction
    from portal.models.users import User

    parts = []
    for name, value in terms:
        if name == "direction":
            direction = db.session.get(Direction, value)
            parts.append(_("the direction «%(name)s»", name=direction.name if direction else value))
        elif name == "signer":
            user = db.session.get(User, value)
            parts.append(_("appeals routed to %(name)s", name=(user.full_name or user.username) if user else value))
        elif name == "assigned_to":
            body = db.session.get(Executor, value)
            parts.append(_("appeals assigned to %(name)s", name=body.name if body else value))
    return _("Only the appeals within the reader's access: %(parts)s.", parts="; ".join(parts))


@event.listens_for(Session, "do_orm_execute")
def _limit_to_reading_scope(state) -> None:
    terms = _reading.get()
    if terms is None or not state.is_select:
        return
    state.statement = state.statement.options(with_loader_criteria(Appeal, _clause(terms)))
