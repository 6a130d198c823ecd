"""A throwaway PostgreSQL server on 127.0.0.1 for the test run (Debian's `postgresql` package).

PostgreSQL refuses to run as root, so when we are root the server runs as the `postgres` user
that the Debian package creates.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class ServiceError(RuntimeError):
    """A required service could not be started; the test run must fail, not skip."""


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for version_dir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (version_dir / name).exists():
            return str(version_dir / name)
    return None


def ensure_installed() -> None:
    if _bin("initdb") and _bin("pg_ctl"):
        return
    if os.geteuid() != 0:
        raise ServiceError("PostgreSQL is not installed (initdb not found) and we are not root to apt-get it")
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"],
                            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if result.returncode != 0 or not _bin("initdb"):
        raise ServiceError("apt-get install postgresql failed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    def __init__(self) -> None:
        self.as_root = os.geteuid() == 0
        # As root the server runs as `postgres`, which must reach its folder: not under a TMPDIR that
        # is private to root (pytest's tmp_path, where benchmark smoke runs keep their files).
        self.dir = Path(tempfile.mkdtemp(prefix="psm-pg-", dir="/tmp" if self.as_root else None))
        self.data = self.dir / "data"
        self.port = free_port()

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/market_test"

    def start(self) -> "Postgres":
        ensure_installed()
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        try:
            self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "--encoding=UTF8", "--locale=C")
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w",
                      "-t", "60", "-o", f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c fsync=off "
                      "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start")
        except subprocess.CalledProcessError as err:
            log = (self.dir / "server.log").read_text() if (self.dir / "server.log").exists() else ""
            raise ServiceError(f"PostgreSQL did not start: {err.stderr or err.stdout}\n{log}") from None
        for _ in range(50):
            created = self._run(_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(self.port),
                                "-U", "postgres", "market_test", check=False)
            if created.returncode == 0:
                return self
            time.sleep(0.2)
        raise ServiceError(f"createdb failed: {created.stderr}")

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
