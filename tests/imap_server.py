"""A real IMAP server for tests: Debian's dovecot on loopback, in a folder of its own."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
CONF = """protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 100
mail_location = maildir:{root}/mail/%u
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class Dovecot:
    """dovecot -F with a passwd-file user `probe` / `secret` and a Maildir under `root`."""

    user, password = "probe", "secret"

    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root, port
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        try:
            pwd.getpwnam("dovecot")
            pwd.getpwnam("dovenull")
        except KeyError:
            return False
        return os.path.exists(DOVECOT) and os.geteuid() == 0

    def start(self) -> Dovecot:
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (self.root / "dovecot.conf").write_text(CONF.format(root=self.root, port=self.port))
        shutil.chown(self.root / "mail", "dovecot", "dovecot")
        (self.root / "run" / "master.pid").unlink(missing_ok=True)
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self.client().logout()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start: {(self.root / 'dovecot.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
        self.proc = None

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.user, self.password)
        client.select("INBOX")
        return client

    def append(self, *messages: bytes) -> None:
        client = self.client()
        for raw in messages:
            client.append("INBOX", None, None, raw)
        client.logout()

    def drop_into_maildir(self, messages: list[bytes]) -> None:
        """Deliver many messages at once by writing Maildir files (what a local MDA does)."""
        new = self.root / "mail" / self.user / "new"
        for sub in ("new", "cur", "tmp"):
            (self.root / "mail" / self.user / sub).mkdir(parents=True, exist_ok=True)
        for index, raw in enumerate(messages):
            (new / f"{time.time_ns()}.{index}.mysteryshop").write_bytes(raw)
        for path in (self.root / "mail").rglob("*"):
            shutil.chown(path, "dovecot", "dovecot")
