"""A private Dovecot IMAP server for one test: own config, loopback port, Maildir, no daemon.

    with Dovecot(tmp_path).start({"support@zindex.fr": "secret"}) as server:
        server.port, server.maildir("support@zindex.fr")

Debian's `dovecot-imapd`, run in the foreground (`dovecot -F`) with a config written in a
temporary directory: a passwd-file passdb, a static userdb owned by the current user,
plain-text logins allowed on 127.0.0.1 only.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.conftest import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def available() -> str | None:
    """None when Dovecot can run here, else the reason it cannot."""
    if not Path(DOVECOT).exists():
        return "dovecot is not installed (Debian package dovecot-imapd)"
    if not Path("/usr/lib/dovecot/imap").exists():
        return "the IMAP server of dovecot is not installed (Debian package dovecot-imapd)"
    return None


class Dovecot:
    def __init__(self, root: Path) -> None:
        self._own_root = os.getuid() == 0
        if self._own_root:
            # Dovecot never gives mail access to uid 0: the mail user is `nobody`, who
            # must be able to reach the Maildir, so it cannot live in pytest's 0700 tmp.
            root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
            root.chmod(0o711)
            self._mail_uid, self._mail_gid = pwd.getpwnam("nobody")[2:4]
        else:
            self._mail_uid, self._mail_gid = os.getuid(), os.getgid()
        self.root = root
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    def maildir(self, user: str) -> Path:
        return self.root / "home" / user / "Maildir"

    def _config(self, users: dict[str, str]) -> Path:
        me = pwd.getpwuid(os.getuid())
        group = grp.getgrgid(os.getgid()).gr_name
        (self.root / "run").mkdir(parents=True, exist_ok=True)
        (self.root / "home").mkdir(exist_ok=True)
        passwd = self.root / "passwd"
        passwd.write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in users.items()))
        for user in users:
            for sub in ("cur", "new", "tmp"):
                (self.maildir(user) / sub).mkdir(parents=True, exist_ok=True)
            for path in [self.root / "home" / user, *(self.root / "home" / user).rglob("*")]:
                os.chown(path, self._mail_uid, self._mail_gid)
        # Unprivileged internal users when run as root; ourselves otherwise.
        login_user = "dovenull" if os.getuid() == 0 else me.pw_name
        internal_user = "dovecot" if os.getuid() == 0 else me.pw_name
        conf = self.root / "dovecot.conf"
        conf.write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
instance_name = helpdesk-test-{self.port}
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {group if os.getuid() != 0 else "dovecot"}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:~/Maildir
mail_uid = {self._mail_uid}
mail_gid = {self._mail_gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={self._mail_uid} gid={self._mail_gid} home={self.root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
# The auth processes read the passwd file in the test's private (0700) directory.
service auth {{
  user = {"root" if os.getuid() == 0 else me.pw_name}
}}
service auth-worker {{
  user = {"root" if os.getuid() == 0 else me.pw_name}
}}
service imap-login {{
  chroot =
}}
"""
        )
        (self.root / "state").mkdir(exist_ok=True)
        return conf

    def start(self, users: dict[str, str], port: int | None = None) -> Dovecot:
        """Serve `users` (address: password) on `port` (a free one by default)."""
        self.port = port or free_port()
        conf = self._config(users)
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                out = (
                    self._process.stdout.read().decode(errors="replace")
                    if self._process.stdout
                    else ""
                )
                log = (
                    (self.root / "dovecot.log").read_text(errors="replace")
                    if (self.root / "dovecot.log").exists()
                    else ""
                )
                raise RuntimeError(f"dovecot exited: {out}\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("dovecot did not start within 15 s")

    def stop(self, *, keep_files: bool = False) -> None:
        """Stop the server; its files go too unless `keep_files` (for a restart)."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None
        if self._own_root and not keep_files:
            shutil.rmtree(self.root, ignore_errors=True)

    def deliver(self, user: str, raw: bytes, name: str) -> Path:
        """Put `raw` in the user's Maildir `new/`, as an MDA would."""
        path = self.maildir(user) / "new" / name
        tmp = self.maildir(user) / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, self._mail_uid, self._mail_gid)
        tmp.rename(path)
        return path

    def __enter__(self) -> Dovecot:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
