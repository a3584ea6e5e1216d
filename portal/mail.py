"""Mail plumbing: SMTP out (or ``.eml`` files in the outbox), IMAP in. No rules here.

``SMTP_URL``: ``smtp://user:pw@host:587`` (STARTTLS when the server offers it, required
with ``?starttls=1``) or ``smtps://user:pw@host:465``; empty: every message is written as
an ``.eml`` file into ``OUTBOX_DIR`` (the demo and test default). ``IMAP_URL``:
``imaps://user:pw@host:993/INBOX`` or ``imap://…:143/INBOX`` (STARTTLS when offered).
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app


class MailError(Exception):
    """The mail server could not be reached or refused the message (the reply is the text)."""


@dataclass(frozen=True)
class ServerURL:
    scheme: str
    host: str
    port: int
    username: str
    password: str
    path: str
    options: dict

    @property
    def secure(self) -> bool:
        return self.scheme in ("smtps", "imaps")


DEFAULT_PORTS = {"smtp": 25, "smtps": 465, "imap": 143, "imaps": 993}


def parse_url(url: str, schemes: tuple[str, ...]) -> ServerURL:
    """Split a server URL; credentials may be %-encoded (an ``@`` in a login is ``%40``)."""
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"expected {' or '.join(s + '://' for s in schemes)}host[:port], got {parts.scheme}://…")
    return ServerURL(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[parts.scheme],
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        path=unquote(parts.path.lstrip("/")),
        options={k: v[-1] for k, v in parse_qs(parts.query).items()},
    )


def _timeout() -> int:
    return int(current_app.config.get("MAIL_TIMEOUT_SECONDS") or 30)


def _tls_context(server: ServerURL) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if server.options.get("verify", "1") in ("0", "false", "no"):  # a test server's self-signed certificate
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def sender_address() -> str:
    configured = current_app.config.get("MAIL_FROM") or ""
    if configured:
        return configured
    url = current_app.config.get("SMTP_URL") or ""
    login = parse_url(url, ("smtp", "smtps")).username if url else ""
    return login if "@" in login else "portal@localhost"


def outbox_dir() -> str:
    return current_app.config["OUTBOX_DIR"]


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text, flags=re.UNICODE).strip("_")[:100] or "message"


def send(message: EmailMessage) -> str:
    """Hand ``message`` to the SMTP server (or write it to the outbox); return the server's reply."""
    url = current_app.config.get("SMTP_URL") or ""
    if not url:
        folder = outbox_dir()
        os.makedirs(folder, exist_ok=True)
        name = _safe_name(message["Message-ID"] or "message") + ".eml"
        path = os.path.join(folder, name)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(bytes(message))
        os.replace(tmp, path)
        return f"written to {path}"
    server = parse_url(url, ("smtp", "smtps"))
    try:
        client: smtplib.SMTP
        if server.secure:
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=_timeout(), context=_tls_context(server))
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=_timeout())
        with client:
            client.ehlo()
            if not server.secure and (client.has_extn("starttls") or server.options.get("starttls") == "1"):
                client.starttls(context=_tls_context(server))
                client.ehlo()
            if server.username:
                client.login(server.username, server.password)
            refused = client.send_message(message)
            code, reply = client.noop()
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise MailError(f"{exc.smtp_code} {text}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{server.host}:{server.port}: {exc}") from exc
    if refused:
        raise MailError("; ".join(f"{rcpt}: {code} {text!r}" for rcpt, (code, text) in refused.items()))
    return f"{code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}".strip()


# --- IMAP -------------------------------------------------------------------------------------------


@contextlib.contextmanager
def mailbox(url: str | None = None):
    """An IMAP connection with the mailbox of ``IMAP_URL`` selected (read-write)."""
    url = url or current_app.config.get("IMAP_URL") or ""
    if not url:
        raise MailError("PORTAL_IMAP_URL is not set")
    server = parse_url(url, ("imap", "imaps"))
    try:
        client: imaplib.IMAP4
        if server.secure:
            client = imaplib.IMAP4_SSL(server.host, server.port, ssl_context=_tls_context(server), timeout=_timeout())
        else:
            client = imaplib.IMAP4(server.host, server.port, timeout=_timeout())
            if "STARTTLS" in client.capabilities:
                client.starttls(ssl_context=_tls_context(server))
        client.login(server.username, server.password)
        status, detail = client.select(server.path or "INBOX")
        if status != "OK":
            raise MailError(f"cannot open mailbox {server.path or 'INBOX'}: {detail!r}")
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailError(f"{server.host}:{server.port}: {exc}") from exc
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close()
        with contextlib.suppress(Exception):
            client.logout()


def unseen_uids(client) -> list[bytes]:
    status, data = client.uid("SEARCH", None, "UNSEEN")
    if status != "OK":
        raise MailError(f"SEARCH failed: {data!r}")
    return data[0].split() if data and data[0] else []


def fetch(client, uid: bytes) -> bytes:
    """The whole message, without marking it seen (BODY.PEEK)."""
    status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        raise MailError(f"FETCH {uid!r} failed: {data!r}")
    for item in data:
        if isinstance(item, tuple):
            return item[1]
    raise MailError(f"FETCH {uid!r} returned no message")


def mark_seen(client, uid: bytes) -> None:
    status, data = client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if status != "OK":
        raise MailError(f"STORE {uid!r} failed: {data!r}")
