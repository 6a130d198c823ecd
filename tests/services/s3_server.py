"""A throwaway S3-compatible server on 127.0.0.1 for the test run: moto's standalone server.

Uploaded documents live in S3-compatible object storage when several app servers share them
(market/core/storage.py); the tests speak real S3 over HTTP, through boto3, to this server.
Moto (Apache-2.0, a test dependency from PyPI) emulates the S3 API in a process of its own, as
stripe-mock does Stripe's. SeaweedFS's S3 gateway was the first choice, but it cannot be
installed the way stripe-mock is: `go install` refuses its module (replace directives in its
go.mod), and building it from the downloaded module compiles 1,739 packages (~2 GB of modules),
far beyond what a CI run on this 2-core machine can spend.

Run `python tests/services/s3_server.py` to start one by hand; it prints the URL to use as
TEST_S3_URL and runs until interrupted.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

try:
    from postgres import ServiceError
except ImportError:  # imported as tests.services.s3_server
    from tests.services.postgres import ServiceError

try:
    from importlib.metadata import version

    VERSION = f"moto {version('moto')}"
except Exception:  # not installed: start() says so
    VERSION = "moto (not installed)"


class S3Server:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="psm-s3-"))
        self.log = self.dir / "s3.log"
        self.port: int | None = None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answers(self, timeout: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/", timeout=timeout) as r:
                return r.status == 200
        except urllib.error.HTTPError as err:
            return err.code < 500
        except OSError:
            return False

    def start(self, timeout: float = 60) -> "S3Server":
        try:
            return self._start(timeout)
        except BaseException:  # nothing of a failed start stays behind: no process, no folder
            self.stop()
            raise

    def _start(self, timeout: float) -> "S3Server":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"the S3 server exited with {self.process.returncode}:\n{self._tail()}")
            if self.answers():
                return self
            time.sleep(0.2)
        raise ServiceError(f"the S3 server did not answer in {timeout:.0f} s:\n{self._tail()}")

    def _tail(self) -> str:
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


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = S3Server().start()
    print(f"{VERSION} S3 server on {server.url}\nTEST_S3_URL={server.url}", flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
