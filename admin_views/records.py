"""Screens of issue 13: backups and retention (``records``), the applicant's rights (``applicant``)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from admin_views.base import SAFE_METHODS
from admin_views.menu import CATEGORY_APPEALS, CATEGORY_SYSTEM
from portal.auth.permissions import can, is_read_only
from portal.extensions import db
from portal.models.appeals import Appeal, Applicant
from portal.models.enums import AuditAction
from portal.models.records import AnonymisationProposal, BackupRun, ProposalState
from portal.records import human_size, schedule
from portal.services import audit, pii, retention, subject_access
from portal.services.errors import DomainError


class PortalPage(BaseView):
    """A screen that is not a model list: each exposed function names its permission action."""

    area: str = ""
    view_actions: dict[str, str] = {}

    def allowed(self, action: str) -> bool:
        return current_user.is_authenticated and can(current_user, self.area, action)

    def is_accessible(self) -> bool:
        return self.allowed("list")

    def is_visible(self) -> bool:
        return self.is_accessible()

    def deny(self):
        audit.log_event_now(
            AuditAction.DENIED,
            model=self.area,
            record_id=(request.values.get("id") or "")[:64] or None,
            detail=f"{request.method} {request.full_path.rstrip('?')}"[:1000],
        )
        abort(403)

    def _handle_view(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        needed = self.view_actions.get(name)
        if needed is None or (request.method not in SAFE_METHODS and is_read_only(current_user)):
            return self.deny()
        if not self.allowed(needed):
            return self.deny()
        return None


class RecordsView(PortalPage):
    area = "records"
    view_actions = {"index_view": "list", "decide": "decide"}

    @expose("/")
    def index_view(self):
        runs = db.session.execute(sa.select(BackupRun).order_by(BackupRun.id.desc()).limit(30)).scalars().all()
        proposals = (
            db.session.execute(sa.select(AnonymisationProposal).order_by(AnonymisationProposal.id.desc()).limit(20))
            .scalars()
            .all()
        )
        pending = next((p for p in proposals if p.state == ProposalState.PROPOSED), None)
        appeals: Sequence[Appeal] = []
        if pending is not None:
            appeals = (
                db.session.execute(
                    sa.select(Appeal)
                    .where(Appeal.applicant_id.in_(pending.applicant_ids[:50]))
                    .order_by(Appeal.closed_at, Appeal.id)
                    .limit(50)
                )
                .scalars()
                .all()
            )
        return self.render(
            "admin/records.html",
            status=backup_status(),
            runs=runs,
            proposals=proposals,
            pending=pending,
            pending_appeals=appeals,
            may_decide=self.allowed("decide"),
            retention_years=retention.retention_years(),
            human_size=human_size,
        )

    @expose("/decide/", methods=("POST",))
    def decide(self):
        proposal = db.session.get(AnonymisationProposal, request.form.get("id", type=int) or 0)
        if proposal is None:
            abort(404)
        confirm = request.form.get("decision") == "confirm"
        try:
            retention.decide(proposal, current_user, confirm=confirm)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".index_view"))
        db.session.commit()
        if confirm:
            try:
                schedule.enqueue_anonymisation(proposal.id)
                flash(_("Confirmed: the applicants are being anonymised."), "success")
            except Exception:
                flash(
                    _(
                        "Confirmed, but the job queue is not available: the anonymisation will run with the next nightly job."
                    ),
                    "warning",
                )
        else:
            flash(_("The proposal was dismissed."), "info")
        return redirect(url_for(".index_view"))


class ApplicantView(PortalPage):
    area = "applicant"
    view_actions = {"index_view": "list", "details": "details", "document": "export", "correct": "edit"}

    @expose("/")
    def index_view(self):
        term = request.args.get("q", "")
        found = subject_access.find(term) if term.strip() else []
        counts = {}
        if found:
            counts = dict(
                db.session.execute(
                    sa.select(Appeal.applicant_id, sa.func.count())
                    .where(Appeal.applicant_id.in_([a.id for a in found]))
                    .group_by(Appeal.applicant_id)
                ).all()
            )
        return self.render("admin/applicant_search.html", term=term, found=found, counts=counts)

    def _applicant(self) -> Applicant:
        applicant = db.session.get(Applicant, request.values.get("id", type=int) or 0)
        if applicant is None:
            abort(404)
        return applicant

    @expose("/details/")
    def details(self):
        applicant = self._applicant()
        audit.log_event_now(
            AuditAction.VIEW_PERSONAL_DATA,
            model="Applicant",
            record_id=applicant.id,
            label=pii.sealed(applicant.id, applicant.full_name, limit=pii.LABEL_MAX),
            detail="subject access screen",
        )
        return self.render(
            "admin/applicant_details.html",
            data=subject_access.dossier(applicant),
            may_edit=self.allowed("edit"),
            fields=subject_access.CORRECTABLE,
            labels={key: _l_field(key) for key in subject_access.CORRECTABLE},
        )

    @expose("/document/")
    def document(self):
        applicant = self._applicant()
        data = subject_access.write_docx(subject_access.dossier(applicant))
        subject_access.log_export(applicant)
        db.session.commit()
        return Response(
            data,
            mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            headers={"Content-Disposition": f'attachment; filename="applicant-{applicant.id}.docx"'},
        )

    @expose("/correct/", methods=("POST",))
    def correct(self):
        applicant = self._applicant()
        values = {key: request.form[key] for key in subject_access.CORRECTABLE if key in request.form}
        try:
            changed = subject_access.correct(applicant, values, request.form.get("reason", ""))
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Corrected: %(fields)s.", fields=", ".join(str(_l_field(k)) for k in changed)), "success")
        return redirect(url_for(".details", id=applicant.id))


def _l_field(key: str):
    from portal.labels import field_label

    return field_label(Applicant, key)


def backup_status() -> dict:
    from portal.records.backup import status

    return status()


def home_panel(user) -> dict | None:
    """What the home page of the administrator and the director says about records."""
    if not (can(user, "records", "list") and not is_read_only(user)):
        return None
    panel = {"backup": backup_status(), "human_size": human_size, "proposal": None}
    if can(user, "records", "decide"):
        panel["proposal"] = retention.pending_proposal()
    return panel


def register(admin) -> None:
    admin.add_view(ApplicantView(name=_l("Applicants' data"), endpoint="applicant", category=CATEGORY_APPEALS))
    admin.add_view(RecordsView(name=_l("Backups and retention"), endpoint="records", category=CATEGORY_SYSTEM))
