"""Files kept with appeals: stored under FILES_DIR by a random key, never by the uploaded name."""

from __future__ import annotations

import contextlib
import mimetypes
import os
import secrets
import unicodedata

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models.appeals import Appeal, Attachment
from portal.models.base import utcnow
from portal.models.enums import AttachmentKind
from portal.services import filetypes
from portal.services.errors import DomainError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
CHUNK = 64 * 1024
# documents, scans and mail a contact center receives; nothing a browser would run
ALLOWED_EXTENSIONS = frozenset(
    {
        "pdf",
        "doc",
        "docx",
        "odt",
        "rtf",
        "txt",
        "xls",
        "xlsx",
        "ods",
        "csv",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "tif",
        "tiff",
        "bmp",
        "heic",
        "eml",
        "msg",
        "zip",
        "7z",
        "p7s",
        "asice",
        "mp3",
        "ogg",
        "wav",
        "m4a",
    }
)


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def clean_filename(name: str | None) -> str:
    """The uploaded name without any path or control characters (Cyrillic kept), at most 255 chars."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot else name[:255]
    return name


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def files_dir() -> str:
    return os.path.abspath(current_app.config["FILES_DIR"])


def path_of(attachment: Attachment) -> str:
    """The file's path on disk; a key that leaves FILES_DIR is refused."""
    base = files_dir()
    path = os.path.abspath(os.path.join(base, attachment.storage_key))
    if os.path.commonpath([base, path]) != base:
        raise DomainError(_l("The file is not available."))
    return path


def save_upload(appeal: Appeal, upload, *, kind: AttachmentKind | str = AttachmentKind.OTHER, user=None) -> Attachment:
    """Store an uploaded file (a werkzeug FileStorage) with ``appeal``; the caller commits."""
    if upload is None or not getattr(upload, "filename", ""):
        raise DomainError(_l("Choose a file to upload."), field="file")
    filename = clean_filename(upload.filename)
    if not filename:
        raise DomainError(_l("The file has no usable name."), field="file")
    if extension(filename) not in ALLOWED_EXTENSIONS:
        raise DomainError(
            _l(
                "Files of this type cannot be attached. Allowed: %(types)s.",
                types=", ".join(sorted(ALLOWED_EXTENSIONS)),
            ),
            field="file",
        )
    limit = max_bytes()
    now = utcnow()
    key = f"{now:%Y}/{now:%m}/{secrets.token_hex(16)}"
    path = os.path.join(files_dir(), key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    size = 0
    try:
        with open(path, "xb") as out:
            while True:
                chunk = upload.stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise DomainError(
                        _l("The file is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)), field="file"
                    )
                out.write(chunk)
        if size == 0:
            raise DomainError(_l("The file is empty."), field="file")
        if not filetypes.content_matches(extension(filename), path):
            raise DomainError(
                _l(
                    "The file's content does not match its type (.%(ext)s): it was not attached. "
                    "Save the document in that format and attach it again.",
                    ext=extension(filename),
                ),
                field="file",
            )
    except BaseException:
        if os.path.exists(path):
            os.remove(path)
        raise
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    attachment = Attachment(
        appeal=appeal,
        kind=AttachmentKind(kind),
        filename=filename,
        content_type=content_type[:100],
        size=size,
        storage_key=key,
        uploaded_by_id=getattr(user, "id", None),
    )
    db.session.add(attachment)
    return attachment


def paths_of_appeal(appeal: Appeal) -> list[str]:
    """The files of every attachment of an appeal (collect them before the rows are deleted)."""
    return [path_of(a) for a in appeal.attachments]


def remove_files(paths) -> None:
    """Delete files whose rows are gone (call after the delete is committed); a missing one is skipped."""
    for path in paths:
        if os.path.exists(path):
            os.remove(path)


def discard_uploads(saved: list[Attachment]) -> None:
    """Delete the files of uploads whose transaction was rolled back (their rows never existed)."""
    for attachment in saved:
        with contextlib.suppress(OSError, DomainError):
            os.remove(path_of(attachment))
