"""Debian's Chromium and a CJK font for the browser tests (tests/browser/), checked once per run.

Playwright's own browser download cannot work on the project's machines, so the tests drive
Debian's `chromium` package (Playwright's `executable_path`). As root the harness installs it, and
`fonts-noto-cjk` so that Chinese renders as glyphs rather than tofu boxes, when either is missing.
`check()` then starts the browser once, headless on a fresh profile, and reads back a page: a
browser that cannot start is a failure under CI, never a silent skip.

Run `python tests/services/chromium.py` to install and check by hand; it prints the version.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from urllib.parse import quote

try:
    from postgres import ServiceError
except ImportError:  # imported as tests.services.chromium
    from tests.services.postgres import ServiceError

EXECUTABLE = "/usr/bin/chromium"
PACKAGES = ("chromium", "fonts-noto-cjk")
# No GPU, no sandbox (root in a container), and nothing that reaches out to Google's services:
# the machines have no network but the package registries, and a blocked call only costs time.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic")
START_TIMEOUT = 90


def cjk_fonts() -> list[str]:
    """The families fontconfig offers for Chinese (empty without a CJK font)."""
    if not shutil.which("fc-list"):
        return []
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return sorted({line.split(",")[0].strip() for line in listed.stdout.splitlines() if line.strip()})


def missing() -> list[str]:
    need = []
    if not os.access(EXECUTABLE, os.X_OK):
        need.append("chromium")
    if not cjk_fonts():
        need.append("fonts-noto-cjk")
    return need


def ensure_installed() -> None:
    need = missing()
    if not need:
        return
    if os.geteuid() != 0:
        raise ServiceError(f"{' and '.join(need)} missing ({EXECUTABLE} or a CJK font) and we are not root to apt-get it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", *PACKAGES], env=env, check=False)
    still = missing()
    if result.returncode != 0 or still:
        raise ServiceError(f"apt-get install {' '.join(PACKAGES)} failed (still missing: {', '.join(still) or 'nothing'})")


@dataclass
class Chromium:
    """A checked browser; `url` is the executable (the shape tests/services/required.py expects)."""

    url: str
    version: str
    fonts: list[str]

    def stop(self) -> None:  # nothing keeps running after the check
        pass


def check() -> Chromium:
    """Install if needed, then start the browser once and make it render a page."""
    ensure_installed()
    profile = tempfile.mkdtemp(prefix="psm-chromium-")
    try:
        version = subprocess.run([EXECUTABLE, "--version"], capture_output=True, text=True,
                                 timeout=START_TIMEOUT, check=False).stdout.strip()
        try:
            page = subprocess.run([EXECUTABLE, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                                   "data:text/html;charset=utf-8,<p>" + quote("专利超市") + "</p>"],
                                  capture_output=True, text=True, timeout=START_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise ServiceError(f"{EXECUTABLE} did not render a page within {START_TIMEOUT}s") from None
        if page.returncode != 0 or "专利超市" not in page.stdout:
            raise ServiceError(f"{EXECUTABLE} exited {page.returncode} without rendering a page: "
                               f"{(page.stderr or page.stdout).strip()[-2000:]}")
    except OSError as err:
        raise ServiceError(f"{EXECUTABLE} could not run: {err}") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return Chromium(url=EXECUTABLE, version=version or "Chromium (version unknown)", fonts=cjk_fonts())


def start() -> Chromium:
    """For required.service_url: a plain `pytest` checks the browser itself."""
    return check()


if __name__ == "__main__":
    found = check()
    print(f"{found.version} at {found.url}; CJK fonts: {', '.join(found.fonts[:4])}")
