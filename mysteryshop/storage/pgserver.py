"""A throwaway PostgreSQL server from Debian's binaries (initdb, pg_ctl) on 127.0.0.1: for the tests and bench/.

Not for production: trust authentication, fsync as configured, a temporary folder. Run as root (CI, the
development machines), the server runs as the `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: where Debian's postgresql package puts the server binaries (newest first)
DEBIAN_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)


class ServerUnavailable(RuntimeError):
    """No PostgreSQL binaries here, or the server would not start."""


def bin_dir() -> Path:
    for candidate in DEBIAN_BIN:
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise ServerUnavailable("no PostgreSQL server binaries (initdb) in /usr/lib/postgresql/*/bin or on PATH; "
                            "install them with `apt-get install -y postgresql` (scripts/bootstrap.sh does)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running server: `url()` names a database on it; `create_database` makes a fresh one."""

    folder: Path
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextlib.contextmanager
def running_server(*, fsync: bool = True) -> Iterator[PgServer]:
    """Start a server in a temporary folder on a free port of 127.0.0.1; stop it and remove the folder afterwards."""
    binaries = bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="mysteryshop-pg-"))
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    port = _free_port()
    try:
        subprocess.run(_as_server_user([str(binaries / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8",
                                        "--locale=C.UTF-8"]), check=True, capture_output=True, timeout=120)
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c max_connections=200 -c fsync={'on' if fsync else 'off'}"
        started = subprocess.run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                                                  "-w", "-t", "60", "start"]), capture_output=True, timeout=90)
        if started.returncode != 0:
            log = (folder / "log").read_text(errors="replace")[-2000:] if (folder / "log").exists() else ""
            raise ServerUnavailable(f"pg_ctl start on 127.0.0.1:{port} failed: {started.stderr.decode(errors='replace')}{log}")
        try:
            yield PgServer(folder, port, user)
        finally:
            subprocess.run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                           capture_output=True, timeout=60)
    except subprocess.CalledProcessError as exc:
        raise ServerUnavailable(f"initdb in {data} failed: {exc.stderr.decode(errors='replace')[-2000:]}") from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)
