"""A server process of the test run's own, on 127.0.0.1: started in its own session, waited for, stopped.

stripe-mock and the S3 server differ only in their command, how they are asked "are you up?" and,
for stripe-mock, how the port is learnt (from its log); the rest — a private folder and log, no
leftovers after a failed start, the whole process group stopped — is here once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    from postgres import ServiceError
except ImportError:  # imported as tests.services.local_server
    from tests.services.postgres import ServiceError


class LocalServer:
    name = "server"          # in error messages
    prefix = "psm-server-"   # of the private folder
    start_timeout = 30.0

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=self.prefix))
        self.log = self.dir / "server.log"
        self.port: int | None = None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- what a server says about itself --
    def command(self) -> list[str]:
        raise NotImplementedError

    def answers(self, timeout: float = 2.0) -> bool:
        raise NotImplementedError

    def learn_port(self) -> int | None:
        """The port, once known (a server told its port beforehand already has it)."""
        return self.port

    # -- the life of the process --
    def start(self, timeout: float | None = None):
        try:
            self._start(timeout or self.start_timeout)
            return self
        except BaseException:  # nothing of a failed start stays behind: no process, no folder
            self.stop()
            raise

    def _start(self, timeout: float) -> None:
        command = self.command()
        with self.log.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            self.port = self.learn_port()
            if self.port is not None and self.answers():
                return
            time.sleep(0.2)
        raise ServiceError(f"{self.name} did not answer in {timeout:.0f} s:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def serve_until_interrupted(self, banner: str) -> None:
        """`python tests/services/<server>.py`: start, print how to use it, run until Ctrl-C or SIGTERM."""
        # SIGTERM too must stop the server, which runs in a session of its own.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        self.start()
        print(banner.format(url=self.url), flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
