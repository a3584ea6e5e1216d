"""Uploads are checked by content: the first bytes must match the type the name claims."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.models.appeals import Attachment
from portal.models.enums import Role
from portal.services import attachments
from portal.services.errors import DomainError
from tests.factories import make_appeal
from tests.test_appeal_views import _upload


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
EML = b"From: citizen@example.com\r\nTo: okc@example.gov.ua\r\nSubject: test\r\n\r\nBody\r\n"

GOOD = {
    "scan.pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    "photo.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "photo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "scan.tiff": b"II*\x00\x08\x00\x00\x00",
    "letter.docx": DOCX,
    "table.xlsx": XLSX,
    "letter.odt": ODT,
    "mail.eml": EML,
    "note.txt": "Звернення громадянина, текст.\n".encode(),
    "note-1251.txt": "Звернення громадянина".encode("cp1251"),
}

BAD = {
    "exe renamed": ("scan.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
    "html renamed": ("scan.pdf", b"<!DOCTYPE html><html><script>alert(1)</script>"),
    "html as text": ("note.txt", b"<html><body><script>alert(1)</script></body></html>"),
    "elf as image": ("photo.jpg", b"\x7fELF\x02\x01\x01\x00"),
    "png as jpeg": ("photo.jpg", b"\x89PNG\r\n\x1a\n\x00"),
    "zip without parts as docx": ("letter.docx", _zip({"evil.exe": b"MZ"})),
    "xlsx named docx": ("letter.docx", XLSX),
    "odt with wrong mimetype": ("letter.odt", _zip({"mimetype": b"text/html", "content.xml": b"<x/>"})),
    "binary as text": ("note.txt", b"\x00\x01\x02binary"),
    "html as eml": ("mail.eml", b"<html><script>alert(1)</script></html>"),
    "not a header as eml": ("mail.eml", b"just some words without a header\r\n"),
    "truncated zip": ("letter.docx", DOCX[:40]),
}


@pytest.mark.parametrize("name", GOOD)
def test_files_whose_content_matches_their_type_are_kept(app, name):
    appeal = make_appeal()
    attachment = attachments.save_upload(appeal, FileStorage(io.BytesIO(GOOD[name]), name))
    db.session.flush()
    with open(attachments.path_of(attachment), "rb") as fh:
        assert fh.read() == GOOD[name]


@pytest.mark.parametrize("case", BAD)
def test_files_whose_content_does_not_match_are_refused_and_not_kept(app, case):
    import os

    name, content = BAD[case]
    appeal = make_appeal()
    before = sum(len(files) for _, _, files in os.walk(attachments.files_dir()))
    with pytest.raises(DomainError) as refused:
        attachments.save_upload(appeal, FileStorage(io.BytesIO(content), name))
    assert "does not match" in str(refused.value) or "не відповідає" in str(refused.value)
    after = sum(len(files) for _, _, files in os.walk(attachments.files_dir()))
    assert after == before


def test_a_renamed_executable_is_refused_with_a_clear_message(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal()
    db.session.commit()
    page = _upload(client, appeal.id, b"MZ\x90\x00\x03\x00", "рішення.pdf").get_data(as_text=True)
    assert "Вміст файлу не відповідає його типу (.pdf)" in page
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar() == 0
