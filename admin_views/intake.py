"""The exchange with the regional center: the clerk's intake inbox, УКЦ batches, answer templates.

The inbox lists every message taken in (drafts, duplicates, refusals with their reasons);
a draft's page shows what was read from it and registers it with one button. The rules
are in ``portal.services.intake``, ``ukc_batch``, ``dispatch`` and ``portal.documents``.
"""

from __future__ import annotations

import io
import os
from datetime import date, timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import CombinedMultiDict

from admin_views.appeals import flash_registration
from admin_views.base import PortalModelView
from admin_views.filters import EnumFilter
from admin_views.forms.fields import form_errors
from admin_views.forms.intake import TemplateForm, register_form
from portal import documents
from portal.auth.permissions import can
from portal.extensions import db
from portal.i18n import kyiv_today
from portal.labels import enum_label
from portal.models.appeals import Appeal
from portal.models.enums import AnswerKind, AuditAction, DeliveryStatus
from portal.models.exchange import DocumentTemplate, IntakeMessage, IntakeSource, IntakeState
from portal.services import audit, dispatch, intake, ukc_batch
from portal.services.errors import DomainError
from portal.services.scope import can_see_appeal, scope_appeals

STATE_BADGES = {
    IntakeState.DRAFT: "primary",
    IntakeState.REGISTERED: "success",
    IntakeState.DUPLICATE: "warning",
    IntakeState.REJECTED: "danger",
    IntakeState.DISMISSED: "secondary",
}
# the inbox's tabs: url value of the state filter → label
TABS = (
    ("draft", _l("New drafts")),
    ("rejected", _l("Errors")),
    ("duplicate", _l("Duplicates")),
    ("registered", _l("Registered")),
)


def _fmt_state(view, context, model, name):
    state = IntakeState(model.state)
    return Markup('<span class="badge badge-{}">{}</span>').format(STATE_BADGES[state], enum_label(state))


def _fmt_subject(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(view.get_url(".details_view", id=model.id), model.subject or "—")


def _fmt_appeal(view, context, model, name):
    if model.appeal is None:
        return ""
    return Markup('<a href="{}">{}</a>').format(
        url_for("appeal.details_view", id=model.appeal_id), model.appeal.reg_number
    )


def _fmt_reason(view, context, model, name):
    text = model.reason or ""
    return Markup('<span title="{}">{}</span>').format(text, text if len(text) <= 120 else text[:118] + "…")


# --- forms ---------------------------------------------------------------------------------------


def _iso_date(text) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _upload_bytes(field: str = "file") -> tuple[str, bytes]:
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise DomainError(_l("Choose a file to upload."), field=field)
    return upload.filename, upload.read()


# --- the appeal card's exchange part (a template global) ---------------------------------------------


def appeal_exchange(appeal: Appeal) -> dict:
    """What the appeal card shows of the exchange: answer documents, e-mails and their history."""
    mails = list(appeal.outgoing_mail)
    last = mails[-1] if mails else None
    failed = last is not None and DeliveryStatus(last.state) == DeliveryStatus.FAILED
    kinds = {AnswerKind(a.kind) for a in appeal.answers}
    return {
        "documents": [
            (kind, enum_label(kind), url_for("intake.answer_document_view", id=appeal.id, kind=kind.value))
            for kind in AnswerKind
            if kind in kinds
        ],
        "mails": mails,
        "failure": dispatch.failure_text(last) if failed and last is not None else "",
        "can_resend": failed and can(current_user, "appeal", "dispatch"),
    }


# --- the view -------------------------------------------------------------------------------------------


class IntakeView(PortalModelView):
    area = "intake"
    list_template = "admin/intake_list.html"
    details_template = "admin/intake_details.html"
    create_template = "admin/intake_upload.html"
    logs_personal_data = True

    column_list = (
        "created_at",
        "state",
        "source",
        "subject",
        "ukc_number",
        "received_at",
        "sender",
        "reason",
        "appeal",
    )
    column_details_list = column_list
    column_default_sort = ("id", True)
    column_sortable_list = ("created_at", "received_at")
    column_formatters = {"state": _fmt_state, "subject": _fmt_subject, "appeal": _fmt_appeal, "reason": _fmt_reason}
    column_labels = {"created_at": _l("Taken in at")}
    column_export_list = ("created_at", "state", "source", "message_id", "subject", "ukc_number", "received_at",
                          "sender", "reason", "appeal")  # fmt: skip
    can_set_page_size = False
    action_permissions: dict = {}
    extra_view_actions = {
        "register_view": "register",
        "dismiss_view": "dismiss",
        "raw_view": "download",
        "batch_view": "create",
        "ukc_export_view": "export",
        "templates_view": "details",
        "template_download_view": "download",
    }
    # routes of the appeal card served here: they follow the appeal's permissions and scope
    appeal_view_actions = {"answer_document_view": "details", "resend_view": "dispatch"}

    def __init__(self, model, *args, **kwargs):
        self.column_filters = [
            EnumFilter(IntakeMessage.state, _l("State"), IntakeState, "state"),
            EnumFilter(IntakeMessage.source, _l("Source"), IntakeSource, "source"),
        ]
        super().__init__(model, *args, **kwargs)

    def get_filter_arg(self, index, flt):
        return getattr(flt, "url_key", None) or str(index)

    def _permitted(self, name: str) -> bool:
        if name in self.appeal_view_actions:
            if request.method not in ("GET", "HEAD") and not can(current_user, "appeal", "dispatch"):
                return False
            return can(current_user, "appeal", self.appeal_view_actions[name])
        return super()._permitted(name)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs.update(self.details_context(model))
        kwargs.setdefault("tabs", TABS)
        kwargs.setdefault("state_now", request.args.get("flt0_state") or request.args.get("flt1_state") or "")
        return super().render(template, **kwargs)

    def _message(self) -> IntakeMessage:
        found = self.get_one(request.values.get("id", ""))
        if found is None:
            abort(404)
        return found

    # --- taking an .eml in ------------------------------------------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if request.method == "POST":
            written: list[str] = []
            try:
                name, raw = _upload_bytes()
                made = intake.take_in(raw, source=IntakeSource.UPLOAD, user=current_user, filename=name)
                written = made.written
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                intake.discard_files(written)
                flash(str(exc), "error")
            else:
                message = made.message
                state = IntakeState(message.state)
                if not made.created:
                    flash(_l("This message was taken in before (#%(id)s).", id=message.id), "warning")
                elif state == IntakeState.DRAFT:
                    flash(_l("A draft is made: check it and register."), "success")
                else:
                    flash(message.reason, "error" if state == IntakeState.REJECTED else "warning")
                return redirect(self.get_url(".details_view", id=message.id))
        return self.render(self.create_template, return_url=self.get_url(".index_view"))

    # --- a draft ---------------------------------------------------------------------------------------
    def details_context(self, message: IntakeMessage) -> dict:
        form = None
        if IntakeState(message.state) == IntakeState.DRAFT and self.allowed("register"):
            form = register_form()
            form.fill(message.data or {})
        return {
            "register_form": form,
            "data": message.data or {},
            "missing_text": intake.describe_missing(message.data or {}),
            "control_date": _iso_date((message.data or {}).get("control_date")),
            "may_dismiss": self.allowed("dismiss") and IntakeState(message.state) != IntakeState.REGISTERED,
            "may_download": self.allowed("download") and bool(message.raw_key),
        }

    @expose("/register/", methods=("POST",))
    def register_view(self):
        message = self._message()
        form = register_form(request.form)
        if not form.validate():
            for error in form_errors(form):
                flash(error, "error")
            return redirect(self.get_url(".details_view", id=message.id))
        try:
            outcome = intake.register_draft(message, user=current_user, changes=form.changes())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(self.get_url(".details_view", id=message.id))
        appeal = outcome.registration.appeal
        flash_registration(appeal, outcome.registration)
        if outcome.skipped:
            flash(_l("Files of a type that cannot be kept were left out: %(names)s.", names=", ".join(outcome.skipped)),
                  "warning")  # fmt: skip
        return redirect(url_for("appeal.details_view", id=appeal.id))

    @expose("/dismiss/", methods=("POST",))
    def dismiss_view(self):
        message = self._message()
        try:
            intake.dismiss(message, reason=request.form.get("reason", ""))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_l("The message is set aside."), "success")
        return redirect(self.get_url(".details_view", id=message.id))

    @expose("/raw/")
    def raw_view(self):
        message = self._message()
        if not message.raw_key:
            abort(404)
        path = intake.raw_path(message)
        if not os.path.exists(path):
            abort(404)
        audit.log_event_now(AuditAction.DOWNLOAD, model="IntakeMessage", record_id=message.id, label=str(message))
        return send_file(path, mimetype="message/rfc822", as_attachment=True,
                         download_name=f"intake-{message.id}.eml", max_age=0)  # fmt: skip

    # --- УКЦ batch files -----------------------------------------------------------------------------------
    @expose("/ukc-batch/", methods=("GET", "POST"))
    def batch_view(self):
        report, error = None, None
        dry_run = request.method == "GET" or bool(request.form.get("dry_run"))
        if request.method == "POST":
            try:
                name, data = _upload_bytes()
                report = ukc_batch.import_batch(name, data, user=current_user, dry_run=dry_run)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
                flash(error, "error")
            else:
                if not dry_run:
                    flash(_l("Drafts made: %(n)s; rows refused: %(m)s.", n=report.count("new"), m=len(report.refused)),
                          "success" if not report.refused else "warning")  # fmt: skip
        today = kyiv_today()
        return self.render(
            "admin/intake_batch.html",
            report=report,
            dry_run=dry_run,
            export_start=today - timedelta(days=7),
            export_end=today,
            return_url=self.get_url(".index_view"),
        )

    @expose("/ukc-export/")
    def ukc_export_view(self):
        today = kyiv_today()
        try:
            start = date.fromisoformat(request.args.get("start") or (today - timedelta(days=7)).isoformat())
            end = date.fromisoformat(request.args.get("end") or today.isoformat())
        except ValueError:
            flash(_l("Give the dates as YYYY-MM-DD."), "error")
            return redirect(self.get_url(".batch_view"))
        fmt = "csv" if request.args.get("format") == "csv" else "xlsx"
        content, name, mimetype = ukc_batch.export_file(start, end, fmt)
        audit.log_event_now(AuditAction.EXPORT, model="ukc_results", detail=f"{fmt} {start}..{end}")
        return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)

    # --- answer templates ------------------------------------------------------------------------------------
    @expose("/templates/", methods=("GET", "POST"))
    def templates_view(self):
        form = TemplateForm(CombinedMultiDict([request.form, request.files]) if request.method == "POST" else None)
        if request.method == "POST":
            if not self.allowed("manage_templates"):
                return self.deny()
            written = None
            try:
                row = documents.replace_template(form.kind.data, request.files.get("file"), user=current_user)
                written = documents.template_path(row)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                if written:
                    intake.discard_files([written])
                flash(str(exc), "error")
            else:
                flash(_l("The template is replaced: %(kind)s, version %(n)s.", kind=row.kind, n=row.version), "success")
            return redirect(self.get_url(".templates_view"))
        kinds = [(kind, enum_label(kind), documents.versions(kind)) for kind in AnswerKind]
        return self.render(
            "admin/intake_templates.html",
            kinds=kinds,
            form=form if self.allowed("manage_templates") else None,
            fields=documents.FIELDS,
            return_url=self.get_url(".index_view"),
        )

    @expose("/template/")
    def template_download_view(self):
        ident = request.args.get("id", "")
        if ident in {k.value for k in AnswerKind}:
            data, name = documents.shipped_template(AnswerKind(ident)), documents.SHIPPED[AnswerKind(ident)]
        else:
            row = db.session.get(DocumentTemplate, int(ident)) if ident.isdigit() else None
            if row is None or not os.path.exists(documents.template_path(row)):
                abort(404)
            with open(documents.template_path(row), "rb") as fh:
                data = fh.read()
            name = f"v{row.version}-{row.filename}"
        return send_file(io.BytesIO(data), mimetype=documents.DOCX_MIMETYPE, as_attachment=True, download_name=name,
                         max_age=0)  # fmt: skip

    # --- the appeal card: answer documents, sending again ------------------------------------------------
    def _appeal(self) -> Appeal:
        ident = request.values.get("id", "")
        if not ident.isdigit():
            abort(404)
        query = scope_appeals(sa.select(Appeal).where(Appeal.id == int(ident)), current_user)
        appeal = db.session.execute(query).scalar_one_or_none()
        if appeal is None:
            abort(404)
        return appeal

    @expose("/document/")
    def answer_document_view(self):
        appeal = self._appeal()
        try:
            kind = AnswerKind(request.args.get("kind", ""))
        except ValueError:
            abort(404)
        if documents.answer_of(appeal, kind) is None:
            abort(404)
        try:
            data = documents.render_answer(appeal, kind)
        except DomainError as exc:
            flash(str(exc), "error")
            return redirect(url_for("appeal.details_view", id=appeal.id))
        audit.log_event_now(AuditAction.DOWNLOAD, model="Appeal", record_id=appeal.id, label=str(appeal),
                            detail=f"answer {kind.value}")  # fmt: skip
        return send_file(io.BytesIO(data), mimetype=documents.DOCX_MIMETYPE, as_attachment=True,
                         download_name=documents.answer_filename(appeal, kind), max_age=0)  # fmt: skip

    @expose("/resend/", methods=("POST",))
    def resend_view(self):
        appeal = self._appeal()
        if not can_see_appeal(current_user, appeal):
            return self.deny()
        try:
            dispatch.retry(appeal)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_l("The e-mail to the regional center is queued again."), "success")
        return redirect(url_for("appeal.details_view", id=appeal.id))


def register(admin) -> None:
    from admin_views.menu import CATEGORY_APPEALS

    admin.add_view(IntakeView(IntakeMessage, name=_l("Intake inbox"), category=CATEGORY_APPEALS))
    admin.app.jinja_env.globals["appeal_exchange"] = appeal_exchange
