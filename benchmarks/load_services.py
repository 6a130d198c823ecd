"""The services of the load benchmark, each able to stop and start again at the same address.

The test harness's servers (tests/services/) start once and are thrown away; a fault run has to
take each down in the middle of the load and bring it back where the app expects it: PostgreSQL
on its data folder and port, stripe-mock on a fixed port (the harness lets the kernel choose
one), the Elasticsearch node on its folder and port. The app under gunicorn runs in a process
group of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.services.elasticsearch import ElasticsearchNode
from tests.services.postgres import Postgres, ServiceError, _bin, free_port
from tests.services.stripe_mock import StripeMock
from tests.services.stripe_mock import ensure_installed as stripe_mock_binary

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["AppServer", "RestartableElasticsearch", "RestartablePostgres", "RestartableStripeMock", "ServiceError",
           "free_port"]


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU time of a process and its live children (/proc), e.g. gunicorn and its workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == root_pid:  # with the children it has already reaped (cutime, cstime)
            total += sum(int(x) for x in fields[11:15]) / ticks
        elif ppid == root_pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class RestartablePostgres(Postgres):
    """The harness's throwaway cluster, with a stop that keeps the data and a start on the same port."""

    def options(self) -> str:
        # As Postgres.start has it, so that the server comes back exactly as it was.
        return (f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=200")

    def server_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop_server(self) -> None:
        """A fast shutdown: open sessions are cut, as when the server or its machine goes away."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def start_server(self) -> None:
        result = self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w",
                           "-t", "60", "-o", self.options(), "start", check=False)
        if result.returncode != 0:
            raise ServiceError(f"PostgreSQL did not start again: {result.stderr or result.stdout}")

    def binary(self, name: str) -> str:
        found = _bin(name)
        if not found:
            raise ServiceError(f"{name} not found next to the PostgreSQL server")
        return found


class RestartableStripeMock(StripeMock):
    """stripe-mock on a port chosen once, so that the app's STRIPE_API_BASE stays right after a restart."""

    def __init__(self) -> None:
        super().__init__()
        self.port = free_port()

    def _start(self, timeout: float) -> "RestartableStripeMock":
        binary = stripe_mock_binary()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(binary), "-http-addr", f"127.0.0.1:{self.port}", "-https-unix", str(self.dir / "https.sock")],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"stripe-mock exited with {self.process.returncode}:\n{self._tail()}")
            if self.answers():
                return self
            time.sleep(0.1)
        raise ServiceError(f"stripe-mock did not answer in {timeout:.0f} s:\n{self._tail()}")

    def stop_server(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        self.process = None
        (self.dir / "https.sock").unlink(missing_ok=True)

    def start_server(self) -> None:
        self._start(30)


class RestartableElasticsearch(ElasticsearchNode):
    """The harness's node; stopped with its data kept, it starts again on the same folder and port."""

    def stop_server(self) -> None:
        self.stop(keep_data=True)

    def start_server(self) -> None:
        self.start()


class AppServer:
    """The app under gunicorn on 127.0.0.1, as production serves it (README: Running on PostgreSQL)."""

    def __init__(self, env: dict[str, str], *, workers: int = 4, threads: int = 4, log: Path,
                 app_spec: str = "market:create_app()") -> None:
        self.env = env
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.log = log
        self.app_spec = app_spec
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "AppServer":
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(gunicorn), "--workers", str(self.workers), "--worker-class", "gthread",
                 "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}", "--timeout", "60",
                 # Idle keep-alive connections outlive any think time: with gunicorn's 2 s a user's
                 # next request could meet the server closing its connection (a reset, no answer).
                 "--graceful-timeout", "10", "--keep-alive", "30", "--log-level", "warning", self.app_spec],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"gunicorn exited with {self.process.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/points", timeout=5) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        raise ServiceError(f"the app did not answer in {timeout:.0f} s:\n{self.tail()}")

    def tail(self, size: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-size:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None
