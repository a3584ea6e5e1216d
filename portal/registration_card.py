"""The registration-and-control card (реєстраційно-контрольна картка, РКК) of an appeal as DOCX.

The card is the paper an office files and prints for an appeal (CMU resolution 348/1997): its
registration data, the applicant, the receipt data, the resolution, the executors and terms, the
control date, the dispatch and the result. It is built from the record, not from a template: its
layout is the same in every office, unlike the answer letters (see :mod:`portal.documents`).
"""

from __future__ import annotations

import io
import re

from docx import Document
from docx.shared import Pt
from flask_babel import gettext as _

from portal.i18n import format_date, format_datetime
from portal.labels import enum_label
from portal.models.appeals import Appeal
from portal.services import deadlines

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


def _number_and_date(number, day) -> str:
    if not number:
        return "—"
    return f"{number} {_('of')} {format_date(day)}" if day else str(number)


def sections(appeal: Appeal, *, show_personal: bool) -> list[tuple[str, list[tuple[str, str]]]]:
    """The card's content: (section title, [(label, value), …]); applicant's data only with ``show_personal``."""
    receipt = deadlines.receipt_date(appeal)
    registration = [
        (_("Registration No."), _text(appeal.reg_number)),
        (_("Registration date"), format_datetime(appeal.registered_at)),
        (_("Registered by"), _text(appeal.created_by)),
        (_("Appeal type"), str(enum_label(appeal.appeal_type))),
        (_("Appeal subject"), str(enum_label(appeal.subject))),
        (_("Receipt sign"), str(enum_label(appeal.sign))),
        (_("Topic"), _text(appeal.topic)),
        (_("Repeat of"), _text(appeal.repeat_of.reg_number if appeal.repeat_of else "")),
        (_("Summary"), _text(appeal.summary)),
    ]
    applicant = appeal.applicant
    if applicant is None:
        person = [(_("Applicant"), _("No applicant (anonymous or not stated)."))]
    elif not show_personal:
        person = [(_("Applicant"), _("Personal data is hidden for your role."))]
    else:
        person = [
            (_("Full name"), _text(applicant.full_name)),
            (_("Address"), _text(applicant.address)),
            (_("Phone"), ", ".join(p for p in (applicant.phone, applicant.phone2) if p) or "—"),
            (_("E-mail"), _text(applicant.email)),
            (_("Social status"), _text(applicant.social_status)),
            (_("Privilege category"), _text(applicant.privilege_category)),
        ]
    receipt_rows = [
        (_("Channel"), str(enum_label(appeal.channel))),
        (_("Received at"), format_datetime(appeal.received_at)),
        (_("GCC (1545) No."), _number_and_date(appeal.ukc_number, appeal.ukc_date)),
        (_("Regional center No."), _number_and_date(appeal.regional_number, appeal.regional_date)),
        (_("Sender's e-mail"), _text(appeal.sender_email)),
        (_("Signed and dated by the applicant"), _("yes") if appeal.signed_by_applicant else _("no")),
    ]
    resolutions = [
        (f"{format_date(r.resolved_on)}, {r.signer}", f"{r.text}\n{_('Deadline')}: {format_date(r.deadline)}")
        for r in appeal.resolutions
    ] or [(_("Resolution"), _("No resolution yet."))]
    executors = [
        (
            f"{asg.position}. {asg.executor.name}",
            "; ".join(
                part
                for part in (
                    str(enum_label(asg.executor_role)),
                    f"{_('Due date')}: {format_date(asg.due_date)}",
                    f"{_('Answered at')}: {format_datetime(asg.answered_at)}" if asg.answered_at else "",
                )
                if part
            ),
        )
        for asg in sorted(appeal.assignments, key=lambda a: (a.position, a.id or 0))
    ] or [(_("Executor"), "—")]
    terms = [
        (_("The term counts from"), format_date(receipt)),
        (_("Term, days"), _text(appeal.term_days)),
        (_("Due date"), format_date(appeal.due_date)),
        (_("Control date"), format_date(deadlines.control_date(appeal.due_date))),
    ]
    for ext in appeal.extensions:
        terms.append(
            (
                _("Term extended"),
                f"{format_date(ext.old_due_date)} → {format_date(ext.new_due_date)}: {ext.reason} "
                f"({_('Applicant notified on')} {format_date(ext.applicant_notified_on)})",
            )
        )
    answered = deadlines.answered_on(appeal)
    result = [
        (_("Outgoing No."), _text(appeal.outgoing_number)),
        (_("Sent at"), format_datetime(appeal.sent_at) or "—"),
        (_("Delivery status"), str(enum_label(appeal.delivery_status)) if appeal.delivery_status else "—"),
        (_("Paper copy sent"), format_date(appeal.paper_copy_sent_on) if appeal.paper_copy_sent else _("no")),
        (_("Forwarded to"), _text(appeal.forwarded_to)),
        (_("Answered (sent or forwarded) on"), format_date(answered) or "—"),
        (
            _("Answered on time"),
            "—" if answered is None else (_("yes") if answered <= appeal.due_date else _("no")),
        ),
        (_("Result"), _text(appeal.result_code)),
        (_("Closed at"), format_datetime(appeal.closed_at) or "—"),
        (_("Reworks"), str(appeal.rework_count)),
    ]
    return [
        (_("Registration"), registration),
        (_("Applicant"), person),
        (_("Receipt"), receipt_rows),
        (_("Resolutions"), resolutions),
        (_("Executors"), executors),
        (_("Terms and control"), terms),
        (_("Dispatch and result"), result),
    ]


def render(appeal: Appeal, *, show_personal: bool) -> bytes:
    """The card as a DOCX file: a heading, then one two-column table per section."""
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(_("Registration and control card of appeal No. %(number)s", number=appeal.reg_number), level=1)
    doc.add_paragraph(f"{_('Status')}: {enum_label(appeal.status)}")
    for title, rows in sections(appeal, show_personal=show_personal):
        doc.add_heading(title, level=2)
        table = doc.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for label, value in rows:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = label, value
            for run in cells[0].paragraphs[0].runs:
                run.bold = True
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def filename(appeal: Appeal) -> str:
    """``rkk-<registration No.>.docx`` (ASCII-safe where the number allows)."""
    number = re.sub(r"[^\w-]+", "-", appeal.reg_number).strip("-")
    return f"rkk-{number}.docx"
