"""The outgoing journal's numbering: a counter per year, atomic like the registration counter.

The number of a dispatched answer is not typed: :func:`take_number` assigns it when the answer
is dispatched; the dispatch form shows :func:`proposed_number` (read-only) beforehand. A number
already on an appeal (one entered before the journal numbered them) is skipped, so numbers stay
unique.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models.appeals import Appeal, OutgoingCounter
from portal.services import registration
from portal.services.errors import DomainError

MAX_SKIPS = 1000


def format_number(seq: int, year: int) -> str:
    prefix = current_app.config.get("OUTGOING_PREFIX") or "ВИХ"
    return f"{prefix}-{seq:06d}/{year % 100:02d}"


def is_used(number: str, appeal_id: int | None = None) -> bool:
    query = sa.select(Appeal.id).where(Appeal.outgoing_number == number)
    if appeal_id is not None:
        query = query.where(Appeal.id != appeal_id)
    with db.session.no_autoflush:
        return db.session.execute(query.limit(1)).first() is not None


def proposed_number(today: date | None = None) -> str:
    """The number the next dispatch will most likely get (another clerk's dispatch may take it first)."""
    year = (today or kyiv_today()).year
    with db.session.no_autoflush:
        last = db.session.execute(sa.select(OutgoingCounter.last_number).where(OutgoingCounter.year == year)).scalar()
    seq = (last or 0) + 1
    for _ in range(MAX_SKIPS):
        number = format_number(seq, year)
        if not is_used(number):
            return number
        seq += 1
    return format_number(seq, year)


def take_number(appeal_id: int | None = None, today: date | None = None) -> str:
    """Take the next free number of the year's outgoing journal (held until the transaction ends)."""
    year = (today or kyiv_today()).year
    for _ in range(MAX_SKIPS):
        number = format_number(registration.take_number(OutgoingCounter, year), year)
        if not is_used(number, appeal_id):
            return number
    raise DomainError(_l("The outgoing journal has no free number; call the administrator."))
