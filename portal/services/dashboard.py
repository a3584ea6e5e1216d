"""What waits for a user on the home page: work queues by role, overdue and near-due appeals.

Every count is taken within the user's row scope and only over open appeals, so that it
stays an index range scan on a table with a million closed ones. An executor's scope is then
the body's open assignments (``open_only``: ``ix_assignment_open_executor``), never all the
assignments a body ever had: 1.2 million at ten million appeals, of which a few thousand open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from portal.auth.permissions import can
from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models.appeals import Appeal
from portal.models.budget import BudgetEstimate, BudgetLine, Expenditure
from portal.models.enums import OPEN_STATUSES, AppealStatus, DocumentState, Role
from portal.models.org import StaffPosition
from portal.services import deadlines, staff, worklists
from portal.services.scope import open_assignments, scope_appeals

URGENT_LIST_SIZE = 10


@dataclass
class Queue:
    """One line of "what waits for you": a count and the list filter that shows those appeals."""

    key: str
    label: object
    count: int
    filters: dict = field(default_factory=dict)  # url arguments of the appeals list
    urgent: bool = False


def _count(user, *conds) -> int:
    query = scope_appeals(sa.select(sa.func.count()).select_from(Appeal).where(*conds), user)
    return db.session.execute(query).scalar_one()


class OpenCounts:
    """The open appeals in a user's scope, per state: how many, and how many of them meet each named condition.

    One statement (:func:`open_counts`) instead of a count per card and queue: a pass over the
    open appeals of the scope, each condition a ``count(*) FILTER (WHERE …)`` column.
    """

    def __init__(self, rows: dict[AppealStatus, dict[str, int]]):
        self.rows = rows

    def get(self, name: str = "all", *statuses: AppealStatus) -> int:
        """How many open appeals (of these states; any open state if none given) meet the condition ``name``."""
        return sum(row[name] for status, row in self.rows.items() if not statuses or status in statuses)


def open_counts(user, conditions: dict[str, sa.ColumnElement[bool]], body=None) -> OpenCounts:
    """Count the open appeals in ``user``'s scope by state, and those meeting each of ``conditions`` (name → WHERE).

    ``body``: an executor's scope as the rows of its body's open assignments (``scope.open_assignments``),
    joined instead of tested appeal by appeal.
    """
    columns = [sa.func.count().label("all")]
    # counted over open appeals: a condition's own "is open" is true (worklists.among_open)
    columns += [sa.func.count().filter(worklists.among_open(clause)).label(name) for name, clause in conditions.items()]
    query = sa.select(Appeal.status, *columns).where(deadlines.open_clause()).group_by(Appeal.status)
    if body is not None:
        query = query.join(body, body.c.appeal_id == Appeal.id)
    else:
        query = scope_appeals(query, user, open_only=True)
    rows = db.session.execute(query).mappings()
    return OpenCounts({AppealStatus(row["status"]): dict(row) for row in rows})


def _conditions(user, today: date, body=None) -> dict[str, sa.ColumnElement[bool]]:
    """The conditions of the home page's cards and, for an executor, of their own queues.

    ``body``: the executor's open assignments as joined rows (``scope.open_assignments``; see
    open_counts), which also say whether the body co-executes each appeal.
    """
    conditions = {
        "overdue": deadlines.overdue_clause(today),
        "near_due": deadlines.near_due_clause(today),
        "privileged": Appeal.is_privileged.is_(True),
    }
    if Role(user.role) == Role.EXECUTOR and user.executor_id is not None and body is not None:
        conditions |= {
            "mine": Appeal.main_executor_id == user.executor_id,
            "mine_reworked": sa.and_(Appeal.main_executor_id == user.executor_id, Appeal.rework_count > 0),
            "co_execution": body.c.co_executing == 1,
        }
    return conditions


def _status_queue(user, counts: OpenCounts, key, label, status: AppealStatus, **extra_filters) -> Queue:
    # an open state is counted already; a finished one (sent, forwarded: to close) on its own
    n = counts.get("all", status) if status in OPEN_STATUSES else _count(user, Appeal.status == status)
    return Queue(key, label, n, {"flt0_status": status.value, **extra_filters})


def _role_queues(user, counts: OpenCounts) -> list[Queue]:
    role = Role(user.role)
    queues: list[Queue] = []
    if role in (Role.CLERK, Role.DIRECTOR):
        queues += [
            _status_queue(user, counts, "to_route", _l("Registered: to route to a signer"), AppealStatus.REGISTERED),
            _status_queue(user, counts, "to_dispatch", _l("Signed: to dispatch"), AppealStatus.SIGNED),
            _status_queue(user, counts, "to_close", _l("Sent: to close with a result"), AppealStatus.SENT),
            _status_queue(user, counts, "forwarded_to_close", _l("Forwarded: to close"), AppealStatus.FORWARDED),
        ]
    if role in (Role.SIGNER, Role.DIRECTOR):
        queues += [
            _status_queue(user, counts, "to_resolve", _l("Waiting for your resolution"), AppealStatus.ON_RESOLUTION),
            _status_queue(user, counts, "to_sign", _l("Answers waiting for your signature"), AppealStatus.ON_SIGNING),
        ]
    if role == Role.EXECUTOR and user.executor_id is not None:
        mine = {"flt1_main_executor": str(user.executor_id)}
        queues += [
            Queue(
                "to_accept",
                _l("New assignments to accept"),
                counts.get("mine", AppealStatus.ASSIGNED),
                {"flt0_status": AppealStatus.ASSIGNED.value, **mine},
            ),
            Queue(
                "in_work",
                _l("In work: answers to draft"),
                counts.get("mine", AppealStatus.IN_WORK),
                {"flt0_status": AppealStatus.IN_WORK.value, **mine},
            ),
            Queue(
                "reworks",
                _l("Returned for rework"),
                counts.get("mine_reworked", AppealStatus.IN_WORK),
                {"flt0_status": AppealStatus.IN_WORK.value, "flt2_reworked": "1", **mine},
                urgent=True,
            ),
            Queue(
                "co_execution",
                _l("Open appeals where your body is a co-executor or informed"),
                counts.get("co_execution"),
                {"flt0_open": "1", "flt1_co_executor": str(user.executor_id)},
            ),
        ]
    return queues


def urgent_appeals(user, limit: int = URGENT_LIST_SIZE) -> list[Appeal]:
    """Open appeals in scope near their control date: privileged first (Art. 20 part 3), then the earliest term.

    Overdue ones are counted and listed through the "overdue" filter; here only the few
    whose term runs out now, found by the due-date range.
    """
    near_due = sa.select(Appeal).where(deadlines.near_due_clause(kyiv_today()))
    # a few days of terms in each state: each appeal probed (see scope.appeal_scope_clause)
    keys = scope_appeals(worklists.keys_of(near_due), user, open_only=True, probe=True)
    ids = worklists.page_ids(keys, sorted(s.value for s in OPEN_STATUSES), 0, limit)  # one ordered read per state
    query = (
        sa.select(Appeal)
        .where(Appeal.id.in_(ids))
        .options(selectinload(Appeal.main_executor))
        .order_by(*worklists.work_order())
    )
    return list(db.session.execute(query).scalars())


def budget_month(today: date | None = None) -> dict:
    """This month under the approved estimates of the year: plan, spent and what remains (the director's card)."""
    today = today or kyiv_today()
    estimates = list(
        db.session.execute(
            sa.select(BudgetEstimate)
            .where(BudgetEstimate.year == today.year, BudgetEstimate.state == DocumentState.APPROVED)
            .options(selectinload(BudgetEstimate.lines))
            .order_by(BudgetEstimate.fund)
        ).scalars()
    )
    plan = sum((line.month_plan()[today.month - 1] for e in estimates for line in e.lines), Decimal("0"))
    first = today.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    spent = Decimal("0")
    if estimates:
        spent = db.session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(Expenditure.amount), 0))
            .join(BudgetLine, BudgetLine.id == Expenditure.line_id)
            .where(
                BudgetLine.estimate_id.in_([e.id for e in estimates]),
                Expenditure.spent_on >= first,
                Expenditure.spent_on < after,
            )
        ).scalar_one()
    spent = Decimal(spent)
    return {"month": today, "estimates": estimates, "plan": plan, "spent": spent, "remaining": plan - spent}


def staff_summary() -> dict:
    """The staff list in three numbers (posts, filled, vacant) and the positions with a vacancy (a list's rows)."""
    total = staff.unit_totals()["total"]
    positions = db.session.execute(sa.select(sa.func.count()).select_from(StaffPosition).where(staff.vacancy_clause()))
    return {
        "posts": total["posts"],
        "filled": total["occupied"],
        "vacant": total["free"],
        "positions_with_vacancy": positions.scalar_one(),
    }


def for_user(user) -> dict:
    """Everything the home page shows, within the user's scope."""
    board: dict = {"appeals": None, "budget": None, "staff": None}
    # the director disposes of the funds and appoints the staff: both at a glance
    if can(user, "budget_estimate", "approve"):
        board["budget"] = budget_month()
    if can(user, "order", "sign"):
        board["staff"] = staff_summary()
    if not can(user, "appeal", "list"):
        return board
    today = kyiv_today()
    body = open_assignments(user)
    counts = open_counts(user, _conditions(user, today, body), body)
    board["appeals"] = {
        "today": today,
        "queues": _role_queues(user, counts),
        "by_status": [(s, counts.get("all", s)) for s in AppealStatus if s in OPEN_STATUSES],
        "overdue": counts.get("overdue"),
        "near_due": counts.get("near_due"),
        "privileged_open": counts.get("privileged"),
        "urgent": urgent_appeals(user),
    }
    return board
