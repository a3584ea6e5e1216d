"""Each assignment carries whether its appeal is open (``Assignment.appeal_open``), kept in the same flush.

An executor's scope is "the body has an assignment of the appeal". A body has years of
assignments (1.2 million of ten million at scale) and a few thousand open ones, so its home
page and work lists, which read open appeals only, read the body's open assignments alone
through the partial index ``ix_assignment_open_executor`` (:func:`portal.services.scope.appeal_scope_clause`
with ``open_only``). For that the mark must equal "the appeal's state is open" on every row,
always.

It is written here and nowhere else, before every flush: an appeal whose ``status`` changed
marks all its assignments, a new assignment takes its appeal's state. So whatever sets the
state — a workflow step (``workflow._move``), a registration (whose duplicate joins the
executors of an earlier appeal), the demo data, a script — the mark follows in the same
transaction. Only a bulk write that bypasses the session (``generate-data``, a migration's
backfill) writes it itself.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.models.appeals import Appeal, Assignment
from portal.models.enums import OPEN_STATUSES, AppealStatus


def is_open(status) -> bool:
    """Is an appeal in ``status`` open (awaiting its answer)? None (no state yet) is not."""
    return status is not None and AppealStatus(status) in OPEN_STATUSES


def open_clause():
    """WHERE over ``assignment``: its appeal is open (the partial index's condition, as each dialect writes it)."""
    return Assignment.appeal_open == sa.true()


@event.listens_for(Session, "before_flush")
def _mark(session, flush_context, instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Appeal) and sa.inspect(obj).attrs.status.history.has_changes():
            state = is_open(obj.status)
            for assignment in obj.assignments:
                if assignment.appeal_open is not state:
                    assignment.appeal_open = state
    for obj in session.new:
        if isinstance(obj, Assignment):
            appeal = obj.appeal
            if appeal is None and obj.appeal_id is not None:
                appeal = session.get(Appeal, obj.appeal_id)
            state = appeal is not None and is_open(appeal.status)
            if obj.appeal_open is not state:
                obj.appeal_open = state
