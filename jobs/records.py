"""Records jobs: the nightly backup (and the retention proposal), and carrying out a confirmed anonymisation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app

from jobs import enqueue, get_queue, portal_job

log = logging.getLogger(__name__)


def _enabled(key: str) -> bool:
    value = current_app.config.get(key, True)
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def next_run_time(now: datetime | None = None) -> datetime:
    """The next ``BACKUP_HOUR`` o'clock in Kyiv, in UTC."""
    from portal.i18n import KYIV
    from portal.models.base import utcnow

    local = (now or utcnow()).astimezone(KYIV)
    at = local.replace(hour=int(current_app.config.get("BACKUP_HOUR", 2)), minute=0, second=0, microsecond=0)
    if at <= local:
        at = (at + timedelta(days=1)).replace(hour=at.hour)  # wall-clock hour across a DST change
    return at.astimezone(UTC)


def ensure_nightly_schedule(now: datetime | None = None) -> datetime | None:
    """Schedule the next night's tick once (keyed by its date, so several workers agree)."""
    from rq.job import Job

    from portal.i18n import KYIV

    if not _enabled("BACKUP_SCHEDULE"):
        return None
    upcoming = next_run_time(now)
    job_id = f"records-nightly-{upcoming.astimezone(KYIV).date().isoformat()}"
    if not Job.exists(job_id, connection=get_queue().connection):
        enqueue(nightly_tick, job_id=job_id, at=upcoming)
    return upcoming


@portal_job(timeout=4 * 3600, result_ttl=8 * 24 * 3600, retries=1)
def nightly_tick() -> str | None:
    """Back up, keep the newest ``BACKUP_KEEP`` archives, propose due anonymisations, schedule the next night."""
    from portal.extensions import db
    from portal.records.backup import prune, run_backup

    path = None
    try:
        try:
            path = run_backup(trigger="schedule").path  # a failure is recorded on its row (home page warns)
            prune(int(current_app.config.get("BACKUP_KEEP", 14)))
        except Exception:
            log.exception("nightly backup failed")
        finish_confirmed()
        propose_anonymisation()
    finally:
        db.session.rollback()
        ensure_nightly_schedule()
    return path


def propose_anonymisation() -> int | None:
    """Propose the applicants past retention to the director; returns the proposal's id, if one was made."""
    from portal.extensions import db
    from portal.services import audit, retention

    with audit.acting_as(audit.SYSTEM):
        proposal = retention.propose()
        db.session.commit()
    return proposal.id if proposal else None


def finish_confirmed() -> None:
    """Carry out confirmed proposals whose own job never ran (the queue was down when confirmed)."""
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.models.records import AnonymisationProposal, ProposalState
    from portal.services import retention

    ids = db.session.execute(
        sa.select(AnonymisationProposal.id).where(AnonymisationProposal.state == ProposalState.CONFIRMED)
    ).scalars()
    for proposal_id in list(ids):
        retention.execute(proposal_id)


@portal_job(timeout=4 * 3600, result_ttl=7 * 24 * 3600, retries=2)
def anonymise(proposal_id: int) -> int:
    """Carry out a proposal the director confirmed; returns how many applicants were anonymised."""
    from portal.services import retention

    proposal = retention.execute(proposal_id)
    return proposal.done_count if proposal else 0
