"""Servers of the test run built from the Go module proxy with `go install`, once, into a cache folder.

stripe-mock and the S3 server are Go programs: each is installed once into
~/.cache/psm/<name>-<version> (or $PSM_CACHE/<name>-<version>) and started by the run. Only the
binary is kept: the module and build caches (hundreds of MB) are deleted once it is built.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

try:
    from postgres import ServiceError
except ImportError:  # imported as tests.services.go_tool
    from tests.services.postgres import ServiceError


def cache_root() -> Path:
    return Path(os.environ.get("PSM_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "psm")


def go() -> str:
    found = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if not found:
        raise ServiceError("Go is not installed (no `go` on PATH nor /usr/local/go/bin/go)")
    return found


def installed(name: str, package: str, version: str, binary: str) -> Path:
    """The binary of `package@version`, built once (`go install`) into the cache folder."""
    cache = cache_root() / f"{name}-{version}"
    built = cache / "bin" / binary
    if built.exists():
        return built
    # The binary lands in a partial folder first, so an interrupted build is never taken for a good one.
    partial = cache / "bin.partial"
    shutil.rmtree(partial, ignore_errors=True)
    env = {**os.environ, "GOPATH": str(cache / "gopath"), "GOBIN": str(partial),
           "GOCACHE": str(cache / "gocache"),
           # -modcacherw: Go makes its module cache read-only, and the cache folder must stay deletable.
           "GOFLAGS": "-mod=mod -modcacherw"}
    result = subprocess.run([go(), "install", f"{package}@{version}"], env=env,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0 or not (partial / binary).exists():
        raise ServiceError(f"go install {package}@{version} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    partial.rename(cache / "bin")
    for folder in ("gopath", "gocache"):
        shutil.rmtree(cache / folder, ignore_errors=True)
    return built
