"""A throwaway SeaweedFS server with its S3 gateway on 127.0.0.1, built from the Go module proxy.

SeaweedFS (Apache-2.0) stands in for the S3-compatible object storage that uploaded documents
live in when several app servers share them (market/core/storage.py). `go install module@version`
refuses it (its go.mod has replace directives), so the pinned module is fetched with
`go mod download` and built with `go build ./weed` inside a copy of it, once, into a cache folder
(~/.cache/psm/seaweedfs-<version>, or $PSM_CACHE). Each run starts one `weed server -s3` (master,
volume, filer and S3 gateway in one process) on loopback ports, with no identities configured, so
any credentials are accepted; it stops at the end.

Run `python tests/services/seaweedfs.py` to start one by hand; it prints the URL to use as
TEST_S3_URL and runs until interrupted.
"""

from __future__ import annotations

import json
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
    from stripe_mock import _go
except ImportError:  # imported as tests.services.seaweedfs
    from tests.services.postgres import ServiceError
    from tests.services.stripe_mock import _go

# The newest commit on the module proxy when this was written (SeaweedFS's own tags are not semver).
VERSION = "v0.0.0-20261109003541-7506e5f91cd6"
MODULE = "github.com/seaweedfs/seaweedfs"


def cache_dir() -> Path:
    root = Path(os.environ.get("PSM_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "psm")
    return root / f"seaweedfs-{VERSION}"


def ensure_installed() -> Path:
    """The `weed` binary, built once from the Go module proxy."""
    cache = cache_dir()
    binary = cache / "bin" / "weed"
    if binary.exists():
        return binary
    partial = cache / "bin.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    env = {**os.environ, "GOPATH": str(cache / "gopath"), "GOCACHE": str(cache / "gocache"),
           "GOFLAGS": "-mod=mod -modcacherw", "GOTOOLCHAIN": "local"}
    download = subprocess.run([_go(), "mod", "download", "-json", f"{MODULE}@{VERSION}"], env=env, cwd=cache,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if download.returncode != 0:
        raise ServiceError(f"go mod download {MODULE}@{VERSION} failed:\n{download.stdout[-3000:]}\n"
                           f"{download.stderr[-3000:]}")
    source = cache / "src"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(json.loads(download.stdout)["Dir"], source)
    for path in source.rglob("*"):  # the module cache's copy is read-only
        path.chmod(path.stat().st_mode | 0o200)
    build = subprocess.run([_go(), "build", "-o", str(partial / "weed"), "./weed"], env=env, cwd=source,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if build.returncode != 0 or not (partial / "weed").exists():
        raise ServiceError(f"go build of {MODULE}@{VERSION} failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}")
    partial.rename(cache / "bin")
    shutil.rmtree(source, ignore_errors=True)
    return binary


def _free_port() -> int:
    """A free loopback port whose gRPC twin (port + 10000, SeaweedFS's rule) is free too."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise ServiceError("no free pair of loopback ports for SeaweedFS")


class SeaweedFS:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="psm-seaweedfs-"))
        self.log = self.dir / "weed.log"
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
            return err.code < 500  # the gateway is up and speaking S3 (403 for anonymous is fine)
        except OSError:
            return False

    def start(self, timeout: float = 120) -> "SeaweedFS":
        try:
            return self._start(timeout)
        except BaseException:  # nothing of a failed start stays behind: no process, no folder
            self.stop()
            raise

    def _start(self, timeout: float) -> "SeaweedFS":
        binary = ensure_installed()
        master, volume, filer, self.port = (_free_port() for _ in range(4))
        data = self.dir / "data"
        data.mkdir()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(binary), "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                 f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
                 "-master.volumeSizeLimitMB=64", "-volume.max=16", "-s3", f"-s3.port={self.port}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"SeaweedFS exited with {self.process.returncode}:\n{self._tail()}")
            if self.answers():
                return self
            time.sleep(0.3)
        raise ServiceError(f"SeaweedFS's S3 gateway did not answer in {timeout:.0f} s:\n{self._tail()}")

    def _tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = SeaweedFS().start()
    print(f"SeaweedFS {VERSION} S3 gateway on {server.url}\nTEST_S3_URL={server.url}", flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
