"""A private Dovecot (Debian's dovecot-imapd + dovecot-sqlite) for end-to-end tests.

It runs in the foreground as a child process (`dovecot -F`), with its own config, run and
mail directories in a temporary directory, IMAP on a loopback port, and its SQL passdb
pointed at the embedded mailbox store's SQLite file: the same query a provider would use.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port

DOVECOT = "/usr/sbin/dovecot"
# Suspended mailboxes cannot log in until their suspension ends; times are UTC text.
PASSWORD_QUERY = (
    "SELECT address AS user, password_hash AS password FROM mailboxes "
    "WHERE address = '%u' AND (status = 'active' OR "
    "(suspended_until IS NOT NULL AND suspended_until <= datetime('now')))"
)


def missing() -> str | None:
    """Why Dovecot cannot run here (None when it can)."""
    if not Path(DOVECOT).exists():
        return f"{DOVECOT} not found (apt-get install dovecot-imapd dovecot-sqlite)"
    if not any(Path("/usr/lib/dovecot/modules").rglob("*sqlite*")):
        return "Dovecot's SQLite driver not found (apt-get install dovecot-sqlite)"
    return None


@dataclass
class Dovecot:
    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _config(directory: Path, port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot drops privileges to its own system users, created by the package.
        internal, login = "dovecot", "dovenull"
    else:
        internal = login = pwd.getpwuid(os.geteuid()).pw_name
    mail = pwd.getpwnam(internal)
    return f"""
base_dir = {directory}/run
state_dir = {directory}/state
instance_name = helpdesk-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Lu
auth_cache_size = 0
log_path = {directory}/dovecot.log
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(mail.pw_gid).gr_name}
default_login_user = {login}
first_valid_uid = {mail.pw_uid}
last_valid_uid = 0
mail_location = maildir:{directory}/mail/%d/%n
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service imap {{
  process_limit = 16
}}
passdb {{
  driver = sql
  args = {directory}/sql.conf.ext
}}
userdb {{
  driver = static
  args = uid={mail.pw_uid} gid={mail.pw_gid} home={directory}/mail/%d/%n
}}
"""


@contextmanager
def running_dovecot(database: Path, within: float = 20) -> Iterator[Dovecot]:
    """Start Dovecot on a free loopback port with its passdb on `database` (SQLite)."""
    # Not under pytest's tmp_path: its parents are private to us, Dovecot's users must
    # traverse this directory.
    directory = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    directory.chmod(0o755)
    (directory / "mail").mkdir(mode=0o777)
    (directory / "mail").chmod(0o777)
    port = free_port()
    (directory / "sql.conf.ext").write_text(
        f"driver = sqlite\nconnect = {database}\npassword_query = {PASSWORD_QUERY}\n"
    )
    conf = directory / "dovecot.conf"
    conf.write_text(_config(directory, port))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    dovecot = Dovecot(port, directory, process)
    try:
        deadline = time.monotonic() + within
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise RuntimeError(f"dovecot exited with {process.returncode}: {output}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not answer on port {port}: {dovecot.log()}")
            time.sleep(0.1)
        yield dovecot
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        shutil.rmtree(directory, ignore_errors=True)
