"""Write the shipped answer templates (portal/document_templates/*.docx); run once after changing them."""

from __future__ import annotations

import os

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

HERE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "portal", "document_templates")


def _doc():
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(14)
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run("{{ letterhead }}")
    run.bold = True
    doc.add_paragraph("{{ letterhead_address }}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("Вих. № {{ outgoing_number }} від {{ outgoing_date }}")
    return doc


def _signature(doc):
    doc.add_paragraph("")
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "{{ signer_title }}"
    table.cell(0, 1).text = "{{ signer_name }}"
    doc.add_paragraph("")
    doc.add_paragraph("Виконавець: {{ executor }}").runs[0].font.size = Pt(10)


def regional_center():
    doc = _doc()
    to = doc.add_paragraph("Обласний контактний центр")
    to.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph(
        "Про розгляд звернення УКЦ № {{ ukc_number }} від {{ ukc_date }} "
        "(реєстраційний № ОКЦ {{ regional_number }} від {{ regional_date }})"
    ).runs[0].italic = True
    doc.add_paragraph(
        "Виконавчий комітет міської ради розглянув звернення {{ applicant_name }} ({{ applicant_address }}), "
        "що надійшло {{ received_date }} і зареєстроване за № {{ reg_number }}, щодо: {{ summary }}."
    )
    doc.add_paragraph("{{ answer_text }}")
    doc.add_paragraph("Відповідь заявнику надано, зворотний зв'язок із заявником здійснено.")
    _signature(doc)
    doc.save(os.path.join(HERE, "answer_to_regional_center.docx"))


def applicant():
    doc = _doc()
    to = doc.add_paragraph("{{ applicant_name }}\n{{ applicant_address }}")
    to.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph(
        "Ваше звернення, що надійшло через урядову «гарячу лінію» 1545 (№ {{ ukc_number }} від {{ ukc_date }}) "
        "і зареєстроване {{ received_date }} за № {{ reg_number }}, розглянуто."
    )
    doc.add_paragraph("{{ answer_text }}")
    doc.add_paragraph(
        "Відповідно до статті 20 Закону України «Про звернення громадян» у разі незгоди з відповіддю "
        "Ви маєте право оскаржити її до органу вищого рівня або до суду."
    )
    _signature(doc)
    doc.save(os.path.join(HERE, "answer_to_applicant.docx"))


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    regional_center()
    applicant()
