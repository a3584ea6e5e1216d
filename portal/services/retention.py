"""Retention of applicants' personal data (Law «Про захист персональних даних», art. 6: no longer than needed).

An appeal's case file is kept ``RETENTION_YEARS`` (5, the standard list of records); after
that its applicant's personal data has no purpose left. A job proposes the applicants whose
every appeal was closed before the cutoff; the director confirms (or dismisses); the job then
anonymises each one: name, address, phones and e-mail replaced or emptied, the applicant's
values cut out of the appeals' texts, attachments deleted, and the applicant's audit key
destroyed (see :mod:`portal.services.pii`), so the values inside the immutable audit log
become unreadable. Appeals, their classification, workflow and results stay: the
statistics of past periods do not change. The anonymisation is logged without the removed values.
"""

from __future__ import annotations

import contextlib
import os
import re
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models.appeals import Appeal, Applicant
from portal.models.base import utcnow
from portal.models.enums import OPEN_STATUSES, AuditAction
from portal.models.records import AnonymisationProposal, AnonymisedApplicant, ProposalState
from portal.services import audit, pii
from portal.services.errors import DomainError

PROPOSAL_LIMIT = 5000  # applicants per proposal: a first run on an old register comes in parts
MIN_WORD = 3  # name words shorter than this are not cut out of texts (initials, particles)


def retention_years() -> int:
    return int(current_app.config.get("RETENTION_YEARS", 5))


def cutoff(today: date | None = None) -> date:
    """Appeals closed before this day are past their retention period."""
    today = today or kyiv_today()
    years = retention_years()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _closed_on():
    return sa.func.coalesce(Appeal.closed_at, Appeal.updated_at)


def due_applicants(before: date, limit: int | None = PROPOSAL_LIMIT) -> list[int]:
    """Applicants past retention: every appeal closed (not open) before ``before``; not yet anonymised."""
    from portal.services.history import kyiv_day_start

    start = kyiv_day_start(before)
    still_needed = sa.case(
        (Appeal.status.in_([s.value for s in OPEN_STATUSES]), 1),
        (_closed_on() >= start, 1),
        else_=0,
    )
    query = (
        sa.select(Appeal.applicant_id)
        .where(Appeal.applicant_id.is_not(None))
        .where(~Appeal.applicant_id.in_(sa.select(AnonymisedApplicant.applicant_id)))
        .group_by(Appeal.applicant_id)
        .having(sa.func.max(still_needed) == 0)
        .order_by(Appeal.applicant_id)
    )
    if limit:
        query = query.limit(limit)
    return [i for i in db.session.execute(query).scalars() if i is not None]  # the query excludes NULL


def pending_proposal() -> AnonymisationProposal | None:
    """The proposal waiting for the director or being carried out, if any."""
    return db.session.execute(
        sa.select(AnonymisationProposal)
        .where(AnonymisationProposal.state.in_([ProposalState.PROPOSED, ProposalState.CONFIRMED]))
        .order_by(AnonymisationProposal.id)
    ).scalar()


def propose(today: date | None = None) -> AnonymisationProposal | None:
    """Propose the applicants now past retention (one open proposal at a time); the caller commits."""
    if pending_proposal() is not None:
        return None
    before = cutoff(today)
    ids = due_applicants(before)
    if not ids:
        return None
    appeals = db.session.execute(
        sa.select(sa.func.count()).select_from(Appeal).where(Appeal.applicant_id.in_(ids))
    ).scalar_one()
    proposal = AnonymisationProposal(cutoff=before, applicant_ids=ids, appeal_count=appeals)
    db.session.add(proposal)
    db.session.flush()
    return proposal


def decide(proposal: AnonymisationProposal, user, *, confirm: bool) -> AnonymisationProposal:
    """The director confirms or dismisses a proposal; the caller commits (and, confirmed, queues the job)."""
    if proposal.state != ProposalState.PROPOSED:
        raise DomainError(_l("This proposal has already been decided."))
    proposal.state = ProposalState.CONFIRMED if confirm else ProposalState.DISMISSED
    proposal.decided_by_id = getattr(user, "id", None)
    proposal.decided_at = utcnow()
    return proposal


# --- anonymising one applicant ----------------------------------------------------------------------


def personal_values(applicant: Applicant) -> list[str]:
    """Patterns of the applicant's values to cut out of texts: whole values, then the words of the name.

    A name word is matched by its stem, so that its Ukrainian cases go too (Орест → Оресте,
    Мирославович → Мирославовичу); words shorter than ``MIN_WORD`` are left alone.
    """
    values = [applicant.full_name, applicant.address, applicant.phone, applicant.phone2, applicant.email]
    patterns = [re.escape(v.strip()) for v in values if v and v.strip()]
    # texts quote an address in parts ("вул. Зелена, 17" without the town): each part goes too
    patterns += [re.escape(p.strip()) for p in (applicant.address or "").split(",") if len(p.strip()) >= 8]
    for word in re.findall(r"\w[\w'’]*", applicant.full_name or ""):
        if len(word) < MIN_WORD:
            continue
        stem = word[:-2] if len(word) >= 7 else word[:-1] if len(word) >= 4 else word
        patterns.append(re.escape(stem) + r"[\w'’]*")
    return sorted(set(patterns), key=len, reverse=True)


def scrub(text: str, patterns: list[str], mark: str) -> str:
    """``text`` with every pattern (case-insensitive, whole words) replaced by ``mark``."""
    if not text:
        return text
    for pattern in patterns:
        text = re.sub(rf"(?<!\w){pattern}(?!\w)", mark, text, flags=re.IGNORECASE)
    return text


def anonymise_applicant(applicant: Applicant, proposal_id: int | None = None) -> list[str]:
    """Remove the applicant's personal data; returns the attachment files to delete after the commit."""
    mark = _("[removed]")
    values = personal_values(applicant)
    doomed_files: list[str] = []
    from portal.services import attachments as files

    with pii.redacting():
        applicant.full_name = _("Anonymised applicant #%(id)s", id=applicant.id)
        applicant.address = applicant.phone = applicant.phone2 = applicant.email = ""
        for appeal in applicant.appeals:
            for record, fields in _texts(appeal):
                for name in fields:
                    old = getattr(record, name) or ""
                    new = scrub(old, values, mark)
                    if new != old:
                        setattr(record, name, new)
            for proof in appeal.feedback:
                proof.attachment = None
            for attachment in list(appeal.attachments):
                doomed_files.append(files.path_of(attachment))
                appeal.attachments.remove(attachment)  # delete-orphan: the row goes, logged without its values
        db.session.flush()
    db.session.add(AnonymisedApplicant(applicant_id=applicant.id, proposal_id=proposal_id))
    pii.destroy_key(db.session, applicant.id)
    audit.log_event(
        AuditAction.UPDATE,
        model="Applicant",
        record_id=applicant.id,
        label=applicant.full_name,
        detail=f"anonymised: retention period ({retention_years()} years) over"
        + (f", proposal #{proposal_id}" if proposal_id else "")
        + "; name, address, phones, e-mail and attachments removed; audit key destroyed",
    )
    return doomed_files


def _texts(appeal: Appeal):
    yield appeal, pii.FREE_TEXT["Appeal"]
    for issue in appeal.issues:
        yield issue, pii.FREE_TEXT["AppealIssue"]
    for resolution in appeal.resolutions:
        yield resolution, pii.FREE_TEXT["Resolution"]
    for answer in appeal.answers:
        yield answer, pii.FREE_TEXT["Answer"]
    for proof in appeal.feedback:
        yield proof, pii.FREE_TEXT["FeedbackProof"]
    for extension in appeal.extensions:
        yield extension, pii.FREE_TEXT["TermExtension"]
    for change in appeal.transitions:
        yield change, pii.FREE_TEXT["StatusChange"]


def delete_files(paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def execute(proposal_id: int, batch: int = 100) -> AnonymisationProposal | None:
    """Carry out a confirmed proposal, committing every ``batch`` applicants (safe to re-run)."""
    proposal = db.session.get(AnonymisationProposal, proposal_id)
    if proposal is None or proposal.state != ProposalState.CONFIRMED:
        return proposal
    still_due = set(due_applicants(proposal.cutoff, limit=None))
    ids = [i for i in proposal.applicant_ids if i in still_due]  # a new appeal since: kept
    with audit.acting_as(_decider(proposal)):
        for start in range(0, len(ids), batch):
            files = []
            for applicant in db.session.execute(
                sa.select(Applicant).where(Applicant.id.in_(ids[start : start + batch]))
            ).scalars():
                files += anonymise_applicant(applicant, proposal.id)
            proposal.done_count = (proposal.done_count or 0) + len(ids[start : start + batch])
            db.session.commit()
            delete_files(files)
        proposal.state = ProposalState.DONE
        skipped = len(proposal.applicant_ids) - len(ids)
        proposal.message = f"{len(ids)} anonymised" + (
            f", {skipped} kept (appealed again or done already)" if skipped else ""
        )
        db.session.commit()
    return proposal


def _decider(proposal: AnonymisationProposal):
    user = proposal.decided_by
    return audit.actor_for_user(user) if user is not None else audit.SYSTEM
