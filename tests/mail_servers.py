"""Real mail servers for the tests: aiosmtpd in this process, Debian's dovecot as a child process.

Both listen on 127.0.0.1 on an ephemeral port. Dovecot gets a throw-away configuration,
passwd file and maildir; as root it runs its mail and login processes as ``nobody``.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

DOVECOT = "/usr/sbin/dovecot"


# --- SMTP -------------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SMTPServer:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"


class _Handler:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        self.server.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Ok: queued as TEST1"


@contextlib.contextmanager
def smtp_server():
    """An aiosmtpd server on 127.0.0.1 (ephemeral port) recording every message it accepts."""
    from aiosmtpd.controller import Controller

    port = free_port()
    server = SMTPServer("127.0.0.1", port)
    controller = Controller(_Handler(server), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- IMAP (dovecot) ------------------------------------------------------------------------------------


def dovecot_missing_reason() -> str | None:
    if not os.path.exists(DOVECOT):
        return f"{DOVECOT} is missing (apt-get install dovecot-imapd)"
    return None


@dataclass
class IMAPServer:
    host: str
    port: int
    user: str
    password: str

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/INBOX"

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        client.select("INBOX")
        return client

    def deliver(self, raw: bytes, *, seen: bool = False) -> None:
        """Put a message into the INBOX (as a delivery agent would)."""
        client = self.client()
        try:
            client.append("INBOX", "(\\Seen)" if seen else None, None, raw)
        finally:
            client.logout()

    def flags(self) -> list[str]:
        client = self.client()
        try:
            _, data = client.fetch("1:*", "(FLAGS)")
            return [item.decode() for item in data if item]
        finally:
            client.logout()

    def mark_all_unseen(self) -> None:
        client = self.client()
        try:
            client.store("1:*", "-FLAGS", "(\\Seen)")
        finally:
            client.logout()


CONFIG = """\
base_dir = {base}/run
state_dir = {base}/state
instance_name = portal-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
log_path = {base}/dovecot.log
mail_location = maildir:~/Maildir
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {base}/passwd
}}
userdb {{
  driver = passwd-file
  args = {base}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


@contextlib.contextmanager
def dovecot_server():
    """Dovecot serving one mailbox (user ``intake``) on 127.0.0.1, stopped and removed afterwards."""
    base = tempfile.mkdtemp(prefix="portal-dovecot-")
    port = free_port()
    if os.geteuid() == 0:
        # dovecot refuses to run logins or mail as root: use an unprivileged account
        nobody = pwd.getpwnam("nobody")
        uid, gid, internal, login = nobody.pw_uid, nobody.pw_gid, "root", "nobody"
        internal_group = "root"
    else:
        me = pwd.getpwuid(os.geteuid())
        uid, gid, internal, login = me.pw_uid, me.pw_gid, me.pw_name, me.pw_name
        internal_group = me.pw_name
    home = os.path.join(base, "mail")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(home, "Maildir", sub))
    with open(os.path.join(base, "passwd"), "w") as fh:
        fh.write(f"intake:{{PLAIN}}s3cret-pass:{uid}:{gid}::{home}::\n")
    config = os.path.join(base, "dovecot.conf")
    with open(config, "w") as fh:
        fh.write(CONFIG.format(base=base, port=port, internal=internal, internal_group=internal_group, login=login))
    if os.geteuid() == 0:
        os.chmod(base, 0o755)
        for root, dirs, _files in os.walk(home):
            os.chown(root, uid, gid)
            for d in dirs:
                os.chown(os.path.join(root, d), uid, gid)
    subprocess.run(
        [DOVECOT, "-c", config], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30
    )
    server = IMAPServer("127.0.0.1", port, "intake", "s3cret-pass")
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                server.client().logout()
                break
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline:
                    with open(os.path.join(base, "dovecot.log")) as log:
                        raise RuntimeError("dovecot did not start:\n" + log.read()[-2000:]) from None
                time.sleep(0.2)
        yield server
    finally:
        subprocess.run(
            [DOVECOT, "-c", config, "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30
        )
        time.sleep(0.2)
        shutil.rmtree(base, ignore_errors=True)
