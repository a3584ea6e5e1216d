"""What waits for a user on the home page: counts by state, overdue and near-due appeals."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from portal.auth.permissions import can
from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models.appeals import Appeal
from portal.models.enums import OPEN_STATUSES, AppealStatus
from portal.services.scope import scope_appeals

NEAR_DUE_DAYS = 3


def for_user(user) -> dict:
    """Counts for the home page, within the user's scope."""
    board: dict = {"appeals": None}
    if not can(user, "appeal", "list"):
        return board
    today = kyiv_today()
    base = scope_appeals(sa.select(Appeal.status, sa.func.count()).group_by(Appeal.status), user)
    by_status = {AppealStatus(s): n for s, n in db.session.execute(base)}
    open_filter = Appeal.status.in_([s.value for s in OPEN_STATUSES])

    def count(*conds) -> int:
        q = scope_appeals(sa.select(sa.func.count()).select_from(Appeal).where(open_filter, *conds), user)
        return db.session.execute(q).scalar_one()

    board["appeals"] = {
        "by_status": [(s, by_status.get(s, 0)) for s in AppealStatus],
        "overdue": count(Appeal.due_date < today),
        "near_due": count(Appeal.due_date >= today, Appeal.due_date <= today + timedelta(days=NEAR_DUE_DAYS)),
        "privileged_open": count(Appeal.is_privileged.is_(True)),
        "today": today,
    }
    return board
