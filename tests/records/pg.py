"""A throwaway PostgreSQL server for the records tests: initdb in a temp dir, one loopback port, gone after.

Never a system service: a shared cluster would leak state between runs and needs privileges CI may lack.
The server trusts every connection, listens on 127.0.0.1 only, puts its unix socket in its own temp dir
and runs without fsync, because nothing in it has to survive the test session. PostgreSQL refuses to run
as root, so as root (CI) every server command runs as the ``postgres`` user Debian's package creates.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

SUPERUSER = "casefac"
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SERVICE_USER = "postgres"
START_TIMEOUT = 60
#: Appended to postgresql.conf rather than passed as ``pg_ctl -o``, which goes through a shell.
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
    "shared_buffers": "32MB",
    "log_min_messages": "warning",
}


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine (the tests skip, unless CASEFAC_REQUIRE_POSTGRES)."""


class PostgresError(RuntimeError):
    """The binaries are here but the server would not start; always a failure, never a skip."""


def find_bin_dir() -> Path:
    """The directory holding initdb, pg_ctl and postgres: PATH first, then Debian's highest version."""
    on_path = shutil.which("initdb")
    # Resolved: /usr/local/bin/initdb may be a symlink, and the other binaries live beside its target.
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += sorted((Path(p) for p in glob.glob(DEBIAN_BIN_GLOB)), key=_version, reverse=True)
    for directory in candidates:
        if all((directory / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return directory
    raise PostgresMissing("no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH or in "
                          f"{DEBIAN_BIN_GLOB}; `make postgres` installs Debian's package")


def _version(directory: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin`` → (15,): numeric, so 10 sorts above 9."""
    return tuple(int(part) for part in re.findall(r"\d+", directory.parent.name)) or (0,)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throwaway server; :meth:`create_database` hands each test its own empty database."""

    bin_dir: Path
    root: Path
    port: int
    run_as: str | None
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database ``test_<n>``; its SQLAlchemy URL."""
        name = f"test_{next(self._numbers)}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True, connect_timeout=10) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # CREATE DATABASE takes no bind parameters
        return self.url(name)

    def stop(self) -> None:
        """Immediate stop (nothing to flush) and the temp dir removed, even when the stop fails."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                _run(self, [self.bin_dir / "pg_ctl", "stop", "-D", self.data_dir, "-m", "immediate", "-w",
                            "-t", str(START_TIMEOUT)], check=False)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def pause(self) -> None:
        """Stop the server and keep its data: a records outage, for tests of what cases do meanwhile."""
        _run(self, [self.bin_dir / "pg_ctl", "stop", "-D", self.data_dir, "-m", "fast", "-w",
                    "-t", str(START_TIMEOUT)])

    def resume(self) -> None:
        """Start it again on the same port, with the same data."""
        _run(self, [self.bin_dir / "pg_ctl", "start", "-D", self.data_dir, "-l", self.log_file, "-w",
                    "-t", str(START_TIMEOUT)])
        _wait_accepting(self)

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start_postgres() -> PostgresServer:
    """initdb + start on a free loopback port; the caller must :meth:`PostgresServer.stop` it.

    A port picked free can be taken before the server binds it (other tests pick ports too), so a start
    that fails is retried on a new port, a few times.
    """
    bin_dir = find_bin_dir()
    run_as = _service_user() if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="casefac-pg-"))  # short: a unix socket path has ~100 bytes
    server = PostgresServer(bin_dir=bin_dir, root=root, port=0, run_as=run_as)
    try:
        if run_as is not None:
            entry = pwd.getpwnam(run_as)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        _run(server, [bin_dir / "initdb", "-D", server.data_dir, "-U", SUPERUSER, "--auth=trust", "--no-sync",
                      "--locale=C", "--encoding=UTF8", "--no-instructions"])
        last_error = ""
        for _ in range(3):
            server.port = free_port()
            _configure(server)
            started = _run(server, [bin_dir / "pg_ctl", "start", "-D", server.data_dir, "-l", server.log_file,
                                    "-w", "-t", str(START_TIMEOUT)], check=False)
            if started.returncode == 0:
                _wait_accepting(server)
                return server
            last_error = f"{started.stdout}{started.stderr}\n{server.log_tail()}".strip()
        raise PostgresError(f"PostgreSQL ({bin_dir}) did not start:\n{last_error}")
    except BaseException:
        server.stop()
        raise


def _service_user() -> str:
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise PostgresError(f"running as root, and PostgreSQL refuses root: no `{SERVICE_USER}` user to run it "
                            "as (Debian's postgresql package creates one)") from None
    if shutil.which("runuser") is None:
        raise PostgresError("running as root, and PostgreSQL refuses root: `runuser` (util-linux) is missing")
    return SERVICE_USER


def _configure(server: PostgresServer) -> None:
    """Listen on 127.0.0.1:<port> only, socket in the temp dir; later lines win, so a retry just appends."""
    settings = {**SETTINGS, "listen_addresses": "'127.0.0.1'", "port": str(server.port),
                "unix_socket_directories": f"'{server.root}'"}
    with open(server.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write("\n# tests/records/pg.py\n" + "".join(f"{key} = {value}\n" for key, value in settings.items()))


def _run(server: PostgresServer, argv: list[str | Path], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [str(arg) for arg in argv]
    if server.run_as is not None:
        command = ["runuser", "-u", server.run_as, "--", *command]
    # cwd: the service user may not be allowed into the caller's directory; LC_ALL: initdb checks the locale.
    ran = subprocess.run(command, cwd=server.root, env={**os.environ, "LC_ALL": "C"}, capture_output=True,
                         text=True, timeout=START_TIMEOUT + 30, check=False)
    if check and ran.returncode != 0:
        raise PostgresError(f"{' '.join(command)} exited {ran.returncode}:\n{ran.stdout}{ran.stderr}".strip())
    return ran


def _wait_accepting(server: PostgresServer) -> None:
    """pg_ctl -w waits for the postmaster's "ready" state; a TCP login proves it, within a deadline."""
    deadline = time.monotonic() + START_TIMEOUT
    delay = 0.02
    while True:
        try:
            with psycopg.connect(host="127.0.0.1", port=server.port, user=SUPERUSER, dbname="postgres",
                                 connect_timeout=5):
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise PostgresError(f"PostgreSQL on port {server.port} accepts no connection: {exc}\n"
                                    f"{server.log_tail()}") from exc
        time.sleep(delay)  # a poll interval, not a wait for a result
        delay = min(delay * 2, 0.25)
