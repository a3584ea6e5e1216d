"""Answer documents (seed §4, appendices 1 and 2) as DOCX, from templates the director replaces.

A template is an ordinary .docx whose text holds ``{{ field }}`` placeholders (the fields of
:data:`FIELDS`). The shipped ones live in ``portal/document_templates/``; the director
uploads a replacement through the portal, it is checked by rendering it, and every earlier
version is kept (the newest is used).
"""

from __future__ import annotations

import io
import os
import re
import secrets
import zipfile

import sqlalchemy as sa
from docx import Document
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.i18n import format_date, kyiv_today
from portal.models.appeals import Appeal
from portal.models.base import utcnow
from portal.models.enums import AnswerKind
from portal.models.exchange import DocumentTemplate
from portal.services.errors import DomainError

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SHIPPED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "document_templates")
SHIPPED = {AnswerKind.TO_REGIONAL_CENTER: "answer_to_regional_center.docx", AnswerKind.TO_APPLICANT: "answer_to_applicant.docx"}  # fmt: skip
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

FIELDS = {
    "letterhead": _l("the council's name"),
    "letterhead_address": _l("the council's address and contacts"),
    "outgoing_number": _l("outgoing No."),
    "outgoing_date": _l("outgoing date"),
    "reg_number": _l("registration No."),
    "received_date": _l("date of receipt"),
    "ukc_number": _l("GCC (1545) No."),
    "ukc_date": _l("GCC (1545) date"),
    "regional_number": _l("regional center No."),
    "regional_date": _l("regional center date"),
    "applicant_name": _l("applicant"),
    "applicant_address": _l("applicant's address"),
    "summary": _l("summary"),
    "answer_text": _l("text of the answer"),
    "executor": _l("executor"),
    "signer_name": _l("signer"),
    "signer_title": _l("signer's position"),
}


class TemplateError(DomainError):
    """A template that cannot be rendered."""


def _paragraphs(container):
    yield from container.paragraphs
    for table in getattr(container, "tables", []):
        for row in table.rows:
            for cell in row.cells:
                yield from _paragraphs(cell)


def _all_paragraphs(doc):
    yield from _paragraphs(doc)
    for section in doc.sections:
        for part in (section.header, section.footer):
            yield from _paragraphs(part)


def render(template: bytes, context: dict) -> bytes:
    """Fill the placeholders of a DOCX template; an unknown placeholder is a TemplateError."""
    try:
        doc = Document(io.BytesIO(template))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TemplateError(_l("The file is not a DOCX document (%(error)s).", error=str(exc)[:200])) from exc
    unknown: set[str] = set()

    def fill(match):
        name = match.group(1)
        if name not in context:
            unknown.add(name)
            return match.group(0)
        return str(context[name] if context[name] is not None else "")

    for paragraph in _all_paragraphs(doc):
        runs = paragraph.runs
        text = "".join(r.text for r in runs)
        if "{{" not in text:
            continue
        # a placeholder may be split over runs: the paragraph keeps the first run's formatting
        runs[0].text = PLACEHOLDER.sub(fill, text)
        for run in runs[1:]:
            run.text = ""
    if unknown:
        raise TemplateError(_l("Unknown fields in the template: %(names)s.", names=", ".join(sorted(unknown))))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- templates and their versions --------------------------------------------------------------


def _templates_dir() -> str:
    return os.path.join(os.path.abspath(current_app.config["FILES_DIR"]), "templates")


def template_path(row: DocumentTemplate) -> str:
    base = _templates_dir()
    path = os.path.abspath(os.path.join(base, row.storage_key))
    if os.path.commonpath([base, path]) != base:
        raise DomainError(_l("The file is not available."))
    return path


def current_version(kind: AnswerKind) -> DocumentTemplate | None:
    query = sa.select(DocumentTemplate).where(DocumentTemplate.kind == kind).order_by(DocumentTemplate.version.desc())
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def versions(kind: AnswerKind) -> list[DocumentTemplate]:
    query = sa.select(DocumentTemplate).where(DocumentTemplate.kind == kind).order_by(DocumentTemplate.version.desc())
    return list(db.session.execute(query).scalars())


def shipped_template(kind: AnswerKind) -> bytes:
    with open(os.path.join(SHIPPED_DIR, SHIPPED[AnswerKind(kind)]), "rb") as fh:
        return fh.read()


def template_bytes(kind: AnswerKind) -> bytes:
    """The template in use: the newest uploaded version, else the shipped one."""
    row = current_version(AnswerKind(kind))
    if row is None:
        return shipped_template(kind)
    with open(template_path(row), "rb") as fh:
        return fh.read()


def sample_context() -> dict:
    """Values to check a template with."""
    return {name: f"[{name}]" for name in FIELDS}


def replace_template(kind, upload, *, user) -> DocumentTemplate:
    """Keep an uploaded template as the newest version of ``kind`` after checking it renders."""
    try:
        kind = AnswerKind(kind)
    except ValueError:
        raise DomainError(_l("Choose whose answer the template is for."), field="kind") from None
    if upload is None or not getattr(upload, "filename", ""):
        raise DomainError(_l("Choose a file to upload."), field="file")
    if not upload.filename.lower().endswith(".docx"):
        raise DomainError(_l("A template must be a .docx file."), field="file")
    data = upload.stream.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        raise DomainError(_l("The file is larger than %(mb)s MB.", mb=MAX_TEMPLATE_BYTES // 1024 // 1024), field="file")
    render(data, sample_context())  # refuses what cannot be rendered
    latest = current_version(kind)
    row = DocumentTemplate(
        kind=kind,
        version=(latest.version if latest else 0) + 1,
        filename=os.path.basename(upload.filename)[:255],
        storage_key=f"{kind.value}-{utcnow():%Y%m%d%H%M%S}-{secrets.token_hex(8)}.docx",
        uploaded_by_id=getattr(user, "id", None),
    )
    path = template_path(row)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "xb") as fh:
        fh.write(data)
    db.session.add(row)
    return row


# --- the answers -------------------------------------------------------------------------------------


def answer_of(appeal: Appeal, kind: AnswerKind):
    """The latest answer of ``kind`` (a redraft replaces the unsigned one)."""
    found = [a for a in appeal.answers if AnswerKind(a.kind) == kind]
    return max(found, key=lambda a: a.id or 0) if found else None


def context_for(appeal: Appeal, kind: AnswerKind) -> dict:
    answer = answer_of(appeal, kind)
    applicant = appeal.applicant
    signer = appeal.signer
    config = current_app.config
    return {
        "letterhead": config.get("LETTERHEAD", ""),
        "letterhead_address": config.get("LETTERHEAD_ADDRESS", ""),
        "outgoing_number": appeal.outgoing_number or "________",
        "outgoing_date": format_date(appeal.sent_at) if appeal.sent_at else format_date(kyiv_today()),
        "reg_number": appeal.reg_number,
        "received_date": format_date(appeal.received_at),
        "ukc_number": appeal.ukc_number or "—",
        "ukc_date": format_date(appeal.ukc_date) or "—",
        "regional_number": appeal.regional_number or "—",
        "regional_date": format_date(appeal.regional_date) or "—",
        "applicant_name": applicant.full_name if applicant else "",
        "applicant_address": applicant.address if applicant else "",
        "summary": appeal.summary,
        "answer_text": answer.body if answer else "",
        "executor": appeal.main_executor.name if appeal.main_executor else "",
        "signer_name": str(signer) if signer else "",
        "signer_title": (signer.direction.signer_title if signer and signer.direction else "") or "",
    }


def render_answer(appeal: Appeal, kind) -> bytes:
    """The answer of ``kind`` to ``appeal`` as a DOCX file."""
    kind = AnswerKind(kind)
    return render(template_bytes(kind), context_for(appeal, kind))


def answer_filename(appeal: Appeal, kind) -> str:
    stem = {AnswerKind.TO_REGIONAL_CENTER: "vidpovid-OKC", AnswerKind.TO_APPLICANT: "vidpovid-zayavnyku"}[
        AnswerKind(kind)
    ]
    number = re.sub(r"[^\w-]+", "-", appeal.reg_number).strip("-")
    return f"{stem}-{number}.docx"
