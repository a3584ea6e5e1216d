"""What a stored file really is: its first bytes must match the type its name claims.

An executable or a web page renamed to ``.pdf`` is refused; office documents must be ZIP
containers with the parts of their format; text must decode and must not be a web page.
"""

from __future__ import annotations

import zipfile

SNIFF_BYTES = 8192
HTML_MARKERS = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<iframe", b"<body", b"<head", b"<?xml-stylesheet")


def _starts(*prefixes: bytes):
    return lambda head, path: head.startswith(prefixes)


def _at(offset: int, *marks: bytes):
    return lambda head, path: any(head[offset : offset + len(m)] == m for m in marks)


def _zip_with(*required: str, mimetype: str | None = None):
    """A ZIP container holding ``required`` parts (and, for ODF, the right ``mimetype``)."""

    def check(head: bytes, path: str) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if not all(part in names for part in required):
                    return False
                if mimetype is not None:
                    return archive.read("mimetype").strip() == mimetype.encode()
                return True
        except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError):
            return False

    return check


def _zip(head: bytes, path: str) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06")) and zipfile.is_zipfile(path)


def _looks_like_html(head: bytes) -> bool:
    lowered = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return any(marker in lowered for marker in HTML_MARKERS)


def _decodes(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    # a cut in the middle of a multi-byte character at the sniffed end is not an error
    for encoding in ("utf-8", "cp1251"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if encoding == "utf-8" and exc.start >= len(head) - 3:
                return True
    return False


def _text(head: bytes, path: str) -> bool:
    return _decodes(head) and not _looks_like_html(head)


def _eml(head: bytes, path: str) -> bool:
    """A mail message: text whose first line is a header (``Name: value``)."""
    if not _decodes(head) or _looks_like_html(head):
        return False
    first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    name, colon, _ = first.partition(b":")
    return bool(colon) and bool(name) and all(33 <= c <= 126 and c != 58 for c in name.strip())


OLE = _starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # .doc, .xls, .msg (Compound File)

CHECKS = {
    "pdf": _starts(b"%PDF"),
    "jpg": _starts(b"\xff\xd8\xff"),
    "jpeg": _starts(b"\xff\xd8\xff"),
    "png": _starts(b"\x89PNG\r\n\x1a\n"),
    "gif": _starts(b"GIF87a", b"GIF89a"),
    "tif": _starts(b"II*\x00", b"MM\x00*"),
    "tiff": _starts(b"II*\x00", b"MM\x00*"),
    "bmp": _starts(b"BM"),
    "heic": _at(4, b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1", b"ftyphevc"),
    "docx": _zip_with("[Content_Types].xml", "word/document.xml"),
    "xlsx": _zip_with("[Content_Types].xml", "xl/workbook.xml"),
    "odt": _zip_with("mimetype", "content.xml", mimetype="application/vnd.oasis.opendocument.text"),
    "ods": _zip_with("mimetype", "content.xml", mimetype="application/vnd.oasis.opendocument.spreadsheet"),
    "asice": _zip_with("mimetype", "META-INF/manifest.xml"),
    "zip": _zip,
    "doc": OLE,
    "xls": OLE,
    "msg": OLE,
    "rtf": _starts(b"{\\rtf"),
    "txt": _text,
    "csv": _text,
    "eml": _eml,
    "7z": _starts(b"7z\xbc\xaf\x27\x1c"),
    "p7s": _starts(b"\x30\x80", b"\x30\x81", b"\x30\x82", b"\x30\x83", b"-----BEGIN"),
    "mp3": lambda head, path: head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0),
    "ogg": _starts(b"OggS"),
    "wav": lambda head, path: head.startswith(b"RIFF") and head[8:12] == b"WAVE",
    "m4a": _at(4, b"ftypM4A", b"ftypmp42", b"ftypisom"),
}


def content_matches(ext: str, path: str) -> bool:
    """Do the file's bytes at ``path`` match the type ``ext`` claims? Unknown types never do."""
    check = CHECKS.get(ext)
    if check is None:
        return False
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    return bool(head) and check(head, path)
