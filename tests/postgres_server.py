"""A real, throw-away PostgreSQL server for tests: ``initdb`` + ``pg_ctl`` in a temporary folder.

It listens on 127.0.0.1 on a free port (and a Unix socket in its own folder, never the system's
``/var/run/postgresql``) with ``trust`` authentication for the single role ``dispatch``. Every
test gets a database of its own (``new_database``), so tests never see each other's jobs.

``initdb`` refuses to run as root, and CI runs as root: then the cluster folder is given to the
unprivileged ``nobody`` user and every PostgreSQL binary runs through ``runuser -u nobody``. As an
ordinary user the binaries run directly.

Where the binaries are: ``$PATH`` first, then ``/usr/lib/postgresql/<version>/bin`` (Debian keeps
them there; the ``postgresql`` package puts only wrappers on ``$PATH``).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: Set to 1 (CI does) to fail, rather than skip, when no PostgreSQL server can be started.
REQUIRE_ENV = "DISPATCH_REQUIRE_POSTGRES"
ROLE = "dispatch"
_UNPRIVILEGED = "nobody"


def binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None when PostgreSQL is not installed."""
    candidates = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    candidates += [Path(p) for p in versions]
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _version(path: str) -> int:
    part = Path(path).parent.name
    return int(part) if part.isdigit() else 0


def unavailable_reason() -> str | None:
    """Why the tests cannot have a PostgreSQL server, or None when they can.

    As root the binaries are expected (``.ci/run`` installs the ``postgresql`` package), so only
    an ordinary user without them gets a reason to skip.
    """
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]', the postgres extra)"
    if binaries() is None and os.geteuid() != 0:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
            "/usr/lib/postgresql/*/bin; install the distribution's postgresql package"
        )
    return None


def free_port() -> int:
    """A TCP port nobody listens on right now on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster of our own: ``start()``, ``stop()`` (repeatable), ``remove()``."""

    def __init__(self) -> None:
        folder = binaries()
        if folder is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bin = folder
        self.as_root = os.geteuid() == 0
        # Not under pytest's tmp_path: that is 0700 root-only, and the server may run as nobody.
        self.root = Path(tempfile.mkdtemp(prefix="dispatch-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log = self.root / "server.log"
        self.port = free_port()
        self._databases = 0
        self._init()

    @property
    def host_dsn(self) -> str:
        """The DSN of the cluster's maintenance database ``postgres``."""
        return self.dsn("postgres")

    def dsn(self, database: str) -> str:
        """A ``postgresql://`` URL of ``database`` on this server over TCP."""
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120.0) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", _UNPRIVILEGED, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}): {done.stderr}{done.stdout}{log}"
            )

    def _init(self) -> None:
        for folder in (self.data, self.socket_dir):
            folder.mkdir(mode=0o700)
        if self.as_root:
            for path in (self.data, self.socket_dir):
                shutil.chown(path, _UNPRIVILEGED)
            self.log.touch()
            shutil.chown(self.log, _UNPRIVILEGED)
        self._run("initdb", "-D", str(self.data), "-U", ROLE, "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        """Start (or restart) the server on its port; waits until it accepts connections."""
        for attempt in range(3):
            # fsync off: these clusters are thrown away, and a loaded CI machine is slow enough.
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            try:
                self._run(
                    "pg_ctl",
                    *("-D", str(self.data), "-l", str(self.log), "-o", options),
                    *("-w", "-t", "60", "start"),
                )
                return
            except RuntimeError:
                if attempt == 2:
                    raise
                self.port = free_port()  # someone took the port meanwhile

    def stop(self) -> None:
        """Stop the server now (``-m fast``: open connections are cut, as in an outage)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def new_database(self) -> str:
        """A fresh, empty database; returns its DSN."""
        import psycopg

        self._databases += 1
        name = f"test_{os.getpid()}_{self._databases}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.host_dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return self.dsn(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
