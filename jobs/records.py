"""Records jobs: the nightly backup (and the retention proposal), and carrying out a confirmed anonymisation."""

from __future__ import annotations

import logging

from flask import current_app

from jobs import portal_job

log = logging.getLogger(__name__)


@portal_job
def nightly_tick() -> str | None:
    """Back up, keep the newest ``BACKUP_KEEP`` archives, propose due anonymisations, schedule the next night."""
    from portal.extensions import db
    from portal.records.backup import prune, run_backup
    from portal.records.schedule import ensure_nightly_schedule

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


@portal_job
def anonymise(proposal_id: int) -> int:
    """Carry out a proposal the director confirmed; returns how many applicants were anonymised."""
    from portal.services import retention

    proposal = retention.execute(proposal_id)
    return proposal.done_count if proposal else 0
