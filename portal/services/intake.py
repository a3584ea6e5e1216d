"""Intake from e-mail: the one parser of a regional center's message, and the draft rules.

Every path — the IMAP mailbox, an uploaded ``.eml``, ``flask intake eml`` and the УКЦ batch
file — ends here: a message becomes an :class:`IntakeMessage` (a registration draft, a
duplicate that links the appeal registered before, or a refusal with its reason), and the
clerk registers a draft with one button (:func:`register_draft`). Idempotent: a Message-ID
seen once never makes a second draft, and a message or УКЦ number registered once never
makes a second appeal. Services never commit; the caller does, then :func:`discard_files`
on failure removes what was written to disk.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import html
import io
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.i18n import KYIV, format_date, to_kyiv
from portal.models.appeals import Appeal
from portal.models.base import utcnow
from portal.models.enums import AppealSubject, AppealType, AttachmentKind, Channel, Sex
from portal.models.exchange import IntakeMessage, IntakeSource, IntakeState
from portal.models.reference import PrivilegeCategory, SocialStatus, Topic
from portal.services import attachments, registration
from portal.services.errors import DomainError


class IntakeRefused(DomainError):
    """The message cannot become a draft: malformed, too large or not an appeal."""


# --- the labels of the body (../shared/samples/README.md) ------------------------------------

_NUM = "№"
LABELS: dict[str, str] = {
    "номер звернення укц": "ukc_number",
    "№ звернення укц": "ukc_number",
    "№ звернення": "ukc_number",
    "номер звернення": "ukc_number",
    "дата звернення до укц": "ukc_date",
    "дата звернення": "ukc_date",
    "реєстраційний номер окц": "regional_number",
    "реєстраційний № окц": "regional_number",
    "№ окц": "regional_number",
    "номер окц": "regional_number",
    "дата реєстрації в окц": "regional_date",
    "дата реєстрації окц": "regional_date",
    "заявник": "applicant_name",
    "піб заявника": "applicant_name",
    "піб": "applicant_name",
    "адреса": "address",
    "адреса заявника": "address",
    "телефон": "phone",
    "телефони": "phone",
    "e-mail": "email",
    "email": "email",
    "е-mail": "email",
    "ел. пошта": "email",
    "ел.пошта": "email",
    "електронна пошта": "email",
    "соціальний стан": "social_status_text",
    "категорія": "privilege_text",
    "пільгова категорія": "privilege_text",
    "тема": "topic_text",
    "питання": "topic_text",
    "питання/тема": "topic_text",
    "вид звернення": "appeal_type_text",
    "зміст звернення": "content",
    "зміст": "content",
    "вирішити до": "control_date",
    "термін": "control_date",
}
# the draft's fields a clerk needs; those not found are listed as missing
EXPECTED = ("ukc_number", "applicant_name", "address", "phone", "topic_text", "content")
_SIGNATURE = re.compile(r"^\s*(з повагою|с уважением|best regards|--\s*$|__+)", re.I)
_FORWARD = re.compile(r"^\s*-{2,}\s*(forwarded message|пересилання повідомлення|переслане повідомлення)", re.I)
_NUMBER_SIGN = re.compile(r"(?<![\w])(?:no\.?|n)(?=\s|\d|$)", re.I)
_SPACES = re.compile(r"\s+")
_DATE = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})(?:\D+(\d{1,2})[:.](\d{2}))?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T\s](\d{1,2}):(\d{2}))?")
_NONE_VALUES = {"", "-", "—", "–", "немає", "нема", "відсутня", "відсутній", "н/д"}


def label_key(text: str) -> str:
    """A label as written (case, spacing, №/N/No varying) in one comparable form."""
    text = _SPACES.sub(" ", text.replace("\u00a0", " ")).strip().strip("*").strip().casefold()
    text = _NUMBER_SIGN.sub(_NUM, text)
    text = re.sub(r"№\s*", "№ ", text)
    return text.rstrip(" .")


def _unquote(line: str) -> str:
    """A line of a forwarded or replied message without its ``>`` quoting."""
    return re.sub(r"^(\s*>)+\s?", "", line)


def parse_labels(text: str) -> dict[str, str]:
    """The labelled lines of the body: field → text; the content runs to the next label or the signature."""
    found: dict[str, str] = {}
    current = None
    for raw in text.splitlines():
        line = _unquote(raw).rstrip()
        key = None
        if ":" in line:
            label, _, rest = line.partition(":")
            if len(label) <= 40:
                key = LABELS.get(label_key(label))
        if key is not None:
            if key in found and found[key] and key != "content":
                current = None  # a second "Тема:" in a quoted tail does not overwrite the first
                continue
            found[key] = rest.strip()
            current = key if key == "content" else None
            continue
        if current == "content":
            if _SIGNATURE.match(line) or _FORWARD.match(line):
                current = None
                continue
            found["content"] = (found["content"] + "\n" + line.strip()).strip("\n")
    if "content" in found:
        found["content"] = found["content"].strip()
    return found


# --- decoding the message -----------------------------------------------------------------


class _HTMLText(HTMLParser):
    BREAKS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    lines = [_SPACES.sub(" ", line.replace("\u00a0", " ")).strip() for line in "".join(parser.parts).splitlines()]
    return html.unescape("\n".join(line for line in lines if line))


def _decode(part) -> str:
    payload = part.get_payload(decode=True) or b""
    charsets = [part.get_content_charset() or "", "utf-8", "cp1251"]
    for charset in charsets:
        if not charset:
            continue
        charset = {"koi8-u": "koi8_u", "windows-1251": "cp1251"}.get(charset.lower(), charset)
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


@dataclass
class IncomingFile:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMessage:
    """What one e-mail holds, decoded."""

    message_id: str = ""
    subject: str = ""
    sender: str = ""
    sent_at: datetime | None = None
    text: str = ""
    files: list[IncomingFile] = field(default_factory=list)
    fields: dict = field(default_factory=dict)


def _walk(msg, out: ParsedMessage, texts: list[str], htmls: list[str]) -> None:
    for part in msg.iter_parts() if msg.is_multipart() else [msg]:
        ctype = part.get_content_type()
        if part.is_multipart():
            _walk(part, out, texts, htmls)
            continue
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            _walk(inner, out, texts, htmls)
            continue
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            data = part.get_payload(decode=True) or b""
            name = attachments.clean_filename(filename or "") or f"attachment-{len(out.files) + 1}"
            out.files.append(IncomingFile(name, ctype, data))
        elif ctype == "text/plain":
            texts.append(_decode(part))
        elif ctype == "text/html":
            htmls.append(html_to_text(_decode(part)))


def _header(msg, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # an undecodable header is as good as none
        return ""
    return _SPACES.sub(" ", str(value or "")).strip()


def parse_message(raw: bytes) -> ParsedMessage:
    """Decode one e-mail (any charset and transfer encoding, HTML-only, forwarded); raise IntakeRefused."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        out = ParsedMessage(
            message_id=_header(msg, "Message-ID")[:255],
            subject=_header(msg, "Subject")[:500],
            sender=parseaddr(_header(msg, "From"))[1][:200],
        )
        texts: list[str] = []
        htmls: list[str] = []
        _walk(msg, out, texts, htmls)
    except Exception as exc:  # the stdlib parser is lenient; what still breaks it is unusable
        raise IntakeRefused(
            _l("The message is malformed and cannot be read (%(error)s).", error=str(exc)[:200])
        ) from exc
    date_header = _header(msg, "Date")
    if date_header:
        try:
            out.sent_at = parsedate_to_datetime(date_header)
        except (TypeError, ValueError):
            out.sent_at = None
        if out.sent_at is not None and out.sent_at.tzinfo is None:
            out.sent_at = out.sent_at.replace(tzinfo=KYIV)
    if not out.sender or not (out.sent_at or out.message_id):
        raise IntakeRefused(_l("The message is malformed: it has no sender, date or Message-ID headers."))
    out.text = "\n".join(t for t in texts if t.strip()) or "\n".join(htmls)
    if not out.text.strip() and not out.files:
        raise IntakeRefused(_l("The message is malformed: it has no readable text."))
    out.fields = parse_labels(out.text)
    return out


# --- values: dates, phones, reference lists ------------------------------------------------------


def parse_date(text: str | None) -> tuple[date | None, time | None]:
    """``27.11.2026``, ``27.11.2026 14:05`` or ``2026-11-27`` → (date, time or None)."""
    text = (text or "").strip()
    match = _DATE.search(text)
    if match:
        day, month, year, hour, minute = match.groups()
        order = (int(year), int(month), int(day))
    else:
        match = _ISO_DATE.search(text)
        if not match:
            return None, None
        year, month, day, hour, minute = match.groups()
        order = (int(year), int(month), int(day))
    try:
        found = date(*order)
        at = time(int(hour), int(minute)) if hour is not None else None
    except ValueError:
        return None, None
    return found, at


def none_if_empty(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value.casefold() in _NONE_VALUES else value


def _comparable(text: str) -> str:
    # Roman numerals are typed with Cyrillic І as often as with Latin I ("ІІ групи")
    return _SPACES.sub(" ", (text or "").strip()).casefold().replace("і", "i")


def match_reference(model, text: str):
    """The reference row whose name is ``text`` (or begins with it / it contains); None if none fits."""
    text = _comparable(text)
    if not text:
        return None
    rows = db.session.execute(sa.select(model).order_by(model.code)).scalars().all()
    for test in (
        lambda n: n == text,
        lambda n: n.startswith(text) or text.startswith(n),
        lambda n: text in n,
    ):
        for row in rows:
            if test(_comparable(row.name)):
                return row
    return None


def match_topic(text: str) -> Topic | None:
    """The classifier's topic for "Section / Subtopic" text: the most specific part that matches."""
    parts = [p.strip() for p in re.split(r"[/\\>|]", text or "") if p.strip()]
    for part in reversed(parts):
        code = re.match(r"^\d{2}(\.\d{2})?$", part)
        if code:
            found = db.session.execute(sa.select(Topic).where(Topic.code == part)).scalar_one_or_none()
            if found:
                return found
        found = match_reference(Topic, part)
        if found is not None:
            return found
    return None


APPEAL_TYPES = {"пропоз": AppealType.PROPOSAL, "зауваж": AppealType.PROPOSAL, "заява": AppealType.STATEMENT,
                "клопот": AppealType.STATEMENT, "скарг": AppealType.COMPLAINT}  # fmt: skip


def match_appeal_type(text: str) -> str:
    text = (text or "").casefold()
    for stem, kind in APPEAL_TYPES.items():
        if stem in text:
            return kind.value
    return AppealType.STATEMENT.value


def draft_fields(parsed: ParsedMessage) -> dict:
    """The registration draft's prefilled fields (JSON-safe) from a parsed message."""
    f = parsed.fields
    ukc_date, ukc_time = parse_date(f.get("ukc_date"))
    regional_date, _ = parse_date(f.get("regional_date"))
    control_date, _ = parse_date(f.get("control_date"))
    phones = [p.strip() for p in re.split(r"[,;]", f.get("phone", "")) if none_if_empty(p)]
    social = match_reference(SocialStatus, f.get("social_status_text", ""))
    privilege = match_reference(PrivilegeCategory, f.get("privilege_text", ""))
    topic = match_topic(f.get("topic_text", ""))
    content = f.get("content", "").strip()
    topic_text = f.get("topic_text", "").strip()
    summary = (topic_text or content.split("\n", 1)[0])[:300]
    ukc_number = none_if_empty(f.get("ukc_number"))
    if not ukc_number:
        match = re.search(r"(?:УКЦ|№)\s*№?\s*(\d{2,}[-/]?\d+)", parsed.subject)
        ukc_number = match.group(1) if match else ""
    data = {
        "ukc_number": ukc_number[:32],
        "ukc_date": ukc_date.isoformat() if ukc_date else "",
        "ukc_time": ukc_time.strftime("%H:%M") if ukc_time else "",
        "regional_number": none_if_empty(f.get("regional_number"))[:32],
        "regional_date": regional_date.isoformat() if regional_date else "",
        "applicant_name": none_if_empty(f.get("applicant_name"))[:200],
        "address": none_if_empty(f.get("address"))[:300],
        "phone": registration.normalise_phone(phones[0]) if phones else "",
        "phone2": registration.normalise_phone(phones[1]) if len(phones) > 1 else "",
        "email": none_if_empty(f.get("email"))[:200],
        "social_status_id": social.id if social else None,
        "social_status_text": f.get("social_status_text", "")[:200],
        "privilege_category_id": privilege.id if privilege else None,
        "privilege_text": f.get("privilege_text", "")[:300],
        "topic_id": topic.id if topic else None,
        "topic_text": topic_text[:300],
        "appeal_type": match_appeal_type(f.get("appeal_type_text", "")),
        "summary": summary,
        "content": content,
        "control_date": control_date.isoformat() if control_date else "",
        "received_at": (parsed.sent_at or utcnow()).isoformat(),
        "sender_email": parsed.sender,
        "files": [{"filename": x.filename, "content_type": x.content_type, "size": len(x.data)} for x in parsed.files],
    }
    data["missing"] = [key for key in EXPECTED if not data.get(key)]
    return data


def is_appeal(data: dict) -> bool:
    """An appeal has a УКЦ number, or at least an applicant and a content."""
    return bool(data.get("ukc_number") or (data.get("applicant_name") and data.get("content")))


MISSING_LABELS = {
    "ukc_number": _l("GCC (1545) No."),
    "applicant_name": _l("applicant"),
    "address": _l("address"),
    "phone": _l("phone"),
    "topic_text": _l("topic"),
    "content": _l("content"),
}


def describe_missing(data: dict) -> str:
    return ", ".join(str(MISSING_LABELS[k]) for k in data.get("missing", []) if k in MISSING_LABELS)


# --- storing the original ---------------------------------------------------------------------


def _intake_path(key: str) -> str:
    base = os.path.abspath(os.path.join(current_app.config["FILES_DIR"], "intake"))
    path = os.path.abspath(os.path.join(base, key))
    if os.path.commonpath([base, path]) != base:
        raise DomainError(_l("The file is not available."))
    return path


def raw_path(message: IntakeMessage) -> str:
    return _intake_path(message.raw_key)


def _keep_raw(raw: bytes, written: list[str]) -> str:
    now = utcnow()
    key = f"{now:%Y}/{now:%m}/{secrets.token_hex(16)}.eml"
    path = _intake_path(key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "xb") as fh:
        fh.write(raw)
    written.append(path)
    remember_file(path)
    return key


FILES_KEY = "portal_written_files"  # session.info: files to remove if the transaction rolls back


def remember_file(path: str) -> None:
    """Remove ``path`` again if the current transaction rolls back (see ``services.dispatch``)."""
    db.session.info.setdefault(FILES_KEY, []).append(path)


def discard_files(paths) -> None:
    """Remove files written for a transaction that was rolled back."""
    for path in paths:
        with contextlib.suppress(OSError):
            os.remove(path)


# --- taking a message in ---------------------------------------------------------------------------


def max_bytes() -> int:
    return int(current_app.config.get("INTAKE_MAX_BYTES") or 15 * 1024 * 1024)


@dataclass
class Intake:
    """What :func:`take_in` made of one message (``created`` False: it was known already)."""

    message: IntakeMessage
    created: bool = True
    written: list[str] = field(default_factory=list)

    @property
    def state(self) -> IntakeState:
        return IntakeState(self.message.state)


def registered_appeal(*, message_id: str = "", ukc_number: str = "") -> Appeal | None:
    """The appeal registered before from this message or with this УКЦ number."""
    clauses = []
    if message_id:
        clauses.append(Appeal.message_id == message_id)
    if ukc_number:
        clauses.append(Appeal.ukc_number == ukc_number)
    if not clauses:
        return None
    query = sa.select(Appeal).where(sa.or_(*clauses)).order_by(Appeal.id).limit(1)
    return db.session.execute(query).scalar_one_or_none()


def known_message(message_id: str) -> IntakeMessage | None:
    if not message_id:
        return None
    query = sa.select(IntakeMessage).where(IntakeMessage.message_id == message_id).order_by(IntakeMessage.id)
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def _duplicate_reason(appeal: Appeal, by_message: bool):
    if by_message:
        return _l("This message is registered already as %(number)s.", number=appeal.reg_number)
    return _l("GCC (1545) No. %(ukc)s is registered already as %(number)s.", ukc=appeal.ukc_number,
              number=appeal.reg_number)  # fmt: skip


def take_in(raw: bytes, *, source: IntakeSource | str, user=None, filename: str = "") -> Intake:
    """Make a draft (or a duplicate, or a refusal with its reason) of one raw e-mail; the caller commits."""
    source = IntakeSource(source)
    creator = getattr(user, "id", None)
    if len(raw) > max_bytes():
        message = IntakeMessage(
            source=source,
            state=IntakeState.REJECTED,
            subject=filename[:500],
            raw_size=len(raw),
            reason=str(
                _l(
                    "The message is too large: %(size)s MB, the limit is %(limit)s MB.",
                    size=round(len(raw) / 1024 / 1024, 1),
                    limit=round(max_bytes() / 1024 / 1024, 1),
                )
            ),
            created_by_id=creator,
        )
        db.session.add(message)
        return Intake(message)
    written: list[str] = []
    try:
        parsed = parse_message(raw)
    except IntakeRefused as exc:
        message = IntakeMessage(
            source=source, state=IntakeState.REJECTED, subject=filename[:500], raw_size=len(raw), reason=str(exc),
            raw_key=_keep_raw(raw, written), created_by_id=creator,
        )  # fmt: skip
        db.session.add(message)
        return Intake(message, written=written)
    known = known_message(parsed.message_id)
    if known is not None:
        return Intake(known, created=False)
    data = draft_fields(parsed)
    message = IntakeMessage(
        source=source,
        message_id=parsed.message_id,
        ukc_number=data["ukc_number"],
        subject=parsed.subject or filename[:500],
        sender=parsed.sender,
        received_at=parsed.sent_at,
        data=data,
        raw_size=len(raw),
        created_by_id=creator,
    )
    earlier = registered_appeal(message_id=parsed.message_id, ukc_number=data["ukc_number"])
    if earlier is not None:
        message.state = IntakeState.DUPLICATE
        message.appeal = earlier
        message.reason = str(_duplicate_reason(earlier, by_message=earlier.message_id == parsed.message_id != ""))
    elif not is_appeal(data):
        message.state = IntakeState.REJECTED
        message.reason = str(
            _l("The message holds no appeal: neither a GCC (1545) number nor an applicant with a content was found.")
        )
    else:
        message.state = IntakeState.DRAFT
        if data["missing"]:
            message.reason = str(_l("Not found in the message: %(items)s.", items=describe_missing(data)))
    message.raw_key = _keep_raw(raw, written)
    db.session.add(message)
    return Intake(message, written=written)


def draft_from_row(data: dict, *, user=None) -> Intake:
    """A draft of one row of a УКЦ batch file (already validated by ``ukc_batch``); the caller commits."""
    data = dict(data)
    data["missing"] = [key for key in EXPECTED if not data.get(key)]
    message = IntakeMessage(
        source=IntakeSource.UKC_BATCH,
        ukc_number=data.get("ukc_number", ""),
        subject=str(_l("GCC batch: %(ukc)s", ukc=data.get("ukc_number", ""))),
        received_at=datetime.fromisoformat(data["received_at"]) if data.get("received_at") else None,
        data=data,
        state=IntakeState.DRAFT,
        created_by_id=getattr(user, "id", None),
    )
    earlier = registered_appeal(ukc_number=data.get("ukc_number", ""))
    if earlier is not None:
        message.state = IntakeState.DUPLICATE
        message.appeal = earlier
        message.reason = str(_duplicate_reason(earlier, by_message=False))
    db.session.add(message)
    return Intake(message)


def open_draft_for(ukc_number: str) -> IntakeMessage | None:
    """A draft not yet registered that holds this УКЦ number."""
    if not ukc_number:
        return None
    query = sa.select(IntakeMessage).where(
        IntakeMessage.ukc_number == ukc_number, IntakeMessage.state == IntakeState.DRAFT
    )
    return db.session.execute(query.limit(1)).scalar_one_or_none()


# --- registering a draft -------------------------------------------------------------------------------


def _date_or_none(text) -> date | None:
    if isinstance(text, date):
        return text
    return date.fromisoformat(text) if text else None


def _when(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=KYIV)
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=KYIV)


def _check_draft(message: IntakeMessage) -> None:
    if IntakeState(message.state) != IntakeState.DRAFT:
        raise DomainError(_l("Only a draft can be registered; this one is “%(state)s”.", state=message.state))


@dataclass
class DraftRegistration:
    registration: registration.Registration
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # attachments whose type cannot be kept


def register_draft(message: IntakeMessage, *, user, changes: dict | None = None) -> DraftRegistration:
    """Register the draft as an appeal (the clerk's corrections in ``changes``); the caller commits.

    The original message and its attachments go with the appeal. A message or УКЦ number
    registered meanwhile is refused with the link to the appeal, and the draft is marked
    a duplicate.
    """
    _check_draft(message)
    data = {**(message.data or {}), **(changes or {})}
    ukc_number = (data.get("ukc_number") or "").strip()
    earlier = registered_appeal(message_id=message.message_id, ukc_number=ukc_number)
    if earlier is not None:
        raise DomainError(_duplicate_reason(earlier, by_message=earlier.message_id == message.message_id != ""))
    name = (data.get("applicant_name") or "").strip()
    applicant = None
    if name:
        applicant = registration.new_applicant(
            full_name=name,
            address=data.get("address") or "",
            phone=data.get("phone") or "",
            phone2=data.get("phone2") or "",
            email=data.get("email") or "",
            sex=Sex.UNKNOWN,
            social_status_id=data.get("social_status_id") or None,
            privilege_category_id=data.get("privilege_category_id") or None,
        )
        db.session.add(applicant)
    summary = (data.get("summary") or "").strip() or (data.get("content") or "").strip()[:300]
    if not summary:
        raise DomainError(_l("State the summary of the appeal."), field="summary")
    topic = db.session.get(Topic, int(data["topic_id"])) if data.get("topic_id") else None
    appeal = Appeal(
        channel=Channel.GOVERNMENT,
        ukc_number=ukc_number[:32],
        ukc_date=_date_or_none(data.get("ukc_date")),
        regional_number=(data.get("regional_number") or "")[:32],
        regional_date=_date_or_none(data.get("regional_date")),
        sender_email=(data.get("sender_email") or message.sender or "")[:200],
        message_id=message.message_id or "",
        applicant=applicant,
        appeal_type=AppealType(data.get("appeal_type") or AppealType.STATEMENT.value),
        subject=AppealSubject.INDIVIDUAL if applicant else AppealSubject.ANONYMOUS,
        topic=topic,
        summary=summary[:500],
        content=data.get("content") or "",
    )
    received = _when(data.get("received_at")) or message.received_at or utcnow()
    result = registration.register_appeal(
        appeal, user=user, received_at=received, needs_study=bool(data.get("needs_study", True))
    )
    outcome = DraftRegistration(result)
    try:
        _attach_originals(message, appeal, user, outcome)
    except BaseException:
        discard_files(outcome.written)
        raise
    message.state = IntakeState.REGISTERED
    message.appeal = appeal
    message.reason = ""
    message.data = data
    return outcome


def _attach_originals(message: IntakeMessage, appeal: Appeal, user, outcome: DraftRegistration) -> None:
    if not message.raw_key:
        return
    with open(raw_path(message), "rb") as fh:
        raw = fh.read()
    name = f"{message.ukc_number or 'message'}.eml"
    files = [IncomingFile(name, "message/rfc822", raw)]
    files += parse_message(raw).files
    for item in files:
        upload = FileStorage(io.BytesIO(item.data), filename=item.filename, content_type=item.content_type)
        try:
            saved = attachments.save_upload(appeal, upload, kind=AttachmentKind.INCOMING, user=user)
        except DomainError:
            outcome.skipped.append(item.filename)
            continue
        outcome.written.append(attachments.path_of(saved))
        remember_file(outcome.written[-1])


def dismiss(message: IntakeMessage, *, reason: str) -> None:
    """Set a draft, a duplicate or a refusal aside with the clerk's reason; the caller commits."""
    if IntakeState(message.state) == IntakeState.REGISTERED:
        raise DomainError(_l("A registered message cannot be set aside."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("State why the message is set aside."), field="reason")
    message.state = IntakeState.DISMISSED
    message.reason = reason[:2000]


def summary_line(intake: Intake) -> str:
    """One line for the command line: what a message became."""
    m = intake.message
    if not intake.created:
        return str(_l("known already (#%(id)s, %(state)s): %(subject)s", id=m.id, state=m.state, subject=m.subject))
    if IntakeState(m.state) == IntakeState.DRAFT:
        return str(
            _l("draft #%(id)s: GCC No. %(ukc)s, received %(date)s", id=m.id, ukc=m.ukc_number or "—",
               date=format_date(m.received_at) if m.received_at else "—")
        )  # fmt: skip
    return f"{m.state} #{m.id}: {m.reason}"


def kyiv_input(value: datetime | None) -> str:
    """A receipt moment for a datetime-local input (Kyiv time)."""
    return to_kyiv(value).strftime("%Y-%m-%dT%H:%M") if value else ""
