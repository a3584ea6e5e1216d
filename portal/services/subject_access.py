"""The applicant's rights (Law «Про захист персональних даних», art. 8): access to and correction of their data.

:func:`dossier` gathers everything the portal holds about one applicant — the data, every
appeal with its answers and files, and the history of the data (the audit entries about the
applicant, readable while the applicant's key exists); :func:`write_docx` makes it one
document. :func:`correct` changes the data at the applicant's request; the change is logged
like any other (old → new, sealed) and an event records the request and its reason.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.i18n import format_date, format_datetime
from portal.labels import enum_label, field_label
from portal.models.appeals import Appeal, Applicant
from portal.models.audit import AuditLog
from portal.models.enums import AuditAction
from portal.services import audit, pii
from portal.services.errors import DomainError

CORRECTABLE = ("full_name", "address", "phone", "phone2", "email")
HISTORY_LIMIT = 2000


@dataclass
class Dossier:
    applicant: Applicant
    fields: list[tuple[str, str]]
    appeals: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)


def find(term: str, limit: int = 50) -> list[Applicant]:
    """Applicants by id, the beginning of the name, a phone or an e-mail."""
    from portal.services import registration

    term = (term or "").strip()
    if not term:
        return []
    clauses = []
    if term.isdigit():
        clauses.append(Applicant.id == int(term))
    names = [registration.prefix_range(Applicant.full_name, v) for v in registration.name_variants(term)]
    clauses += names
    phones = registration.phone_variants(term)
    if phones:
        clauses += [Applicant.phone.in_(phones), Applicant.phone2.in_(phones)]
    if "@" in term:
        clauses.append(Applicant.email.in_({term, registration.normalise_email(term)}))
    query = sa.select(Applicant).where(sa.or_(*clauses)).order_by(Applicant.full_name, Applicant.id).limit(limit)
    return list(db.session.execute(query).scalars())


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if hasattr(value, "value") and hasattr(value, "name"):
        return str(enum_label(value))
    if hasattr(value, "hour"):
        return format_datetime(value)
    if hasattr(value, "year"):
        return format_date(value)
    return str(value)


def dossier(applicant: Applicant) -> Dossier:
    """Everything the portal holds about ``applicant``."""
    from portal.services import history

    fields = [
        (str(field_label(Applicant, key)), _text(getattr(applicant, key)))
        for key in ("full_name", "address", "phone", "phone2", "email", "sex", "social_status", "privilege_category")
    ]
    out = Dossier(applicant, fields)
    appeals = db.session.execute(
        sa.select(Appeal).where(Appeal.applicant_id == applicant.id).order_by(Appeal.registered_at, Appeal.id)
    ).scalars()
    for appeal in appeals:
        out.appeals.append(
            {
                "appeal": appeal,
                "fields": [
                    (str(field_label(Appeal, key)), _text(getattr(appeal, key)))
                    for key in (
                        "reg_number",
                        "registered_at",
                        "channel",
                        "appeal_type",
                        "topic",
                        "summary",
                        "content",
                        "status",
                        "due_date",
                        "result_code",
                        "closed_at",
                    )
                ],
                "answers": [(str(enum_label(a.kind)), _text(a.signed_at), a.body) for a in appeal.answers],
                "attachments": [(a.filename, a.size) for a in appeal.attachments],
            }
        )
    entries = db.session.execute(
        sa.select(AuditLog)
        .where(AuditLog.model == "Applicant", AuditLog.record_id == str(applicant.id))
        .order_by(AuditLog.id)
        .limit(HISTORY_LIMIT)
    ).scalars()
    for entry in entries:
        out.history.append(
            {
                "at": format_datetime(entry.at),
                "who": entry.username or "—",
                "action": str(enum_label(entry.action)),
                "changes": [(r.field, r.old, r.new) for r in history.diff_rows(entry)],
                "detail": entry.detail,
            }
        )
    return out


def write_docx(data: Dossier) -> bytes:
    """The dossier as one DOCX document."""
    from docx import Document

    doc = Document()
    doc.add_heading(_("Personal data held about the applicant"), level=1)
    doc.add_paragraph(_("Prepared on %(date)s at the applicant's request.", date=format_datetime(audit_now())))
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for name, value in data.fields:
        row = table.add_row().cells
        row[0].text, row[1].text = name, value
    doc.add_heading(_("Appeals"), level=2)
    if not data.appeals:
        doc.add_paragraph(_("None."))
    for item in data.appeals:
        doc.add_heading(str(item["appeal"]), level=3)
        table = doc.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for name, value in item["fields"]:
            row = table.add_row().cells
            row[0].text, row[1].text = name, value
        for kind, signed, body in item["answers"]:
            doc.add_paragraph(f"{_('Answer')} ({kind}, {signed}):", style="Intense Quote")
            doc.add_paragraph(body or "—")
        if item["attachments"]:
            doc.add_paragraph(_("Files: %(names)s", names=", ".join(f"{n} ({s} B)" for n, s in item["attachments"])))
    doc.add_heading(_("History of the data"), level=2)
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, (_("Time"), _("User"), _("Action"), _("Changes")), strict=True):
        cell.text = title
    for item in data.history:
        row = table.add_row().cells
        changes = "; ".join(f"{f}: {o} → {n}" for f, o, n in item["changes"])
        row[0].text, row[1].text, row[2].text = item["at"], item["who"], item["action"]
        row[3].text = "; ".join(x for x in (changes, item["detail"]) if x)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def audit_now():
    from portal.models.base import utcnow

    return utcnow()


def log_export(applicant: Applicant) -> None:
    """Record that the applicant's data was handed out (the caller commits)."""
    audit.log_event(
        AuditAction.EXPORT,
        model="Applicant",
        record_id=applicant.id,
        label=pii.sealed(applicant.id, applicant.full_name, limit=pii.LABEL_MAX),
        detail="subject access request: every record held about the applicant, as one DOCX document",
    )


def correct(applicant: Applicant, values: dict, reason: str) -> list[str]:
    """Correct the applicant's data at their request; returns the changed fields (the caller commits)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say on what request the data are corrected."), field="reason")
    changed = []
    for key in CORRECTABLE:
        if key not in values:
            continue
        new = " ".join(str(values[key] or "").split())
        if key == "full_name" and not new:
            raise DomainError(_l("The name cannot be empty."), field="full_name")
        if new != (getattr(applicant, key) or ""):
            setattr(applicant, key, new)
            changed.append(key)
    if not changed:
        raise DomainError(_l("Nothing was changed."))
    db.session.flush()  # the change itself: logged old → new, sealed with the applicant's key
    audit.log_event(
        AuditAction.UPDATE,
        model="Applicant",
        record_id=applicant.id,
        label=pii.sealed(applicant.id, applicant.full_name, limit=pii.LABEL_MAX),
        detail="correction at the applicant's request",
        changes={"reason": [None, pii.sealed(applicant.id, reason)]},
    )
    return changed
