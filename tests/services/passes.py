"""The harness's passes: pytest processes over the whole suite that run at the same time.

Each pass gets its own pytest base temp (--basetemp: every tmp_path, so every instance folder,
of the pass) and whatever else keeps it apart from the others in its environment (run_suite.py
gives each a range of ports for the search nodes its tests start, TEST_NODE_PORTS). Not a TMPDIR
of its own: a deeper temporary folder pushed stripe-mock's unix socket, which the benchmark smokes
put under their tmp_path, past the 107 characters a socket path may have. Its output goes to a log
file of its own and is printed whole, under one heading, when it ends: two passes' lines never
interleave. Nothing here imports a sibling, so tests import it as tests.services.passes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The slowest tests of each pass at the end of its output, so that CI logs show where the time goes.
PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "--durations=25"]


class Pass:
    """One pytest process, started at once; `folder` holds its base temp and its log."""

    def __init__(self, name: str, label: str, env: dict[str, str], args: list[str], folder: Path) -> None:
        self.name, self.label = name, label
        self.tmp = folder / name  # pytest makes it
        self.log = folder / f"{name}.log"
        self.started = time.monotonic()
        self.seconds: float | None = None
        with self.log.open("wb") as out:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pytest", *PYTEST_ARGS, f"--basetemp={self.tmp}", *args],
                cwd=ROOT, env={**os.environ, **env},
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        print(f"started: {label} (pid {self.process.pid}, output in {self.log})", flush=True)

    def finished(self) -> bool:
        if self.seconds is None and self.process.poll() is not None:
            self.seconds = time.monotonic() - self.started
        return self.seconds is not None

    def report(self) -> None:
        """The pass's whole output under its heading, as when the passes ran one after the other."""
        print(f"\n=== {self.label} ===", flush=True)
        with self.log.open("rb") as log:
            shutil.copyfileobj(log, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        print(f"=== {self.name} pass: exit {self.process.returncode} after {self.seconds:.0f} s ===", flush=True)

    def interrupt(self) -> None:
        """Stop a pass still running (the harness itself was stopped): pytest tears its fixtures down on SIGINT."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_passes(passes: list[Pass], on_finish: Callable[[Pass], None]) -> int:
    """Wait for every pass; each one's output is printed whole when it ends. Returns how many failed."""
    failures = 0
    waiting = list(passes)
    while waiting:
        for each in [p for p in waiting if p.finished()]:
            waiting.remove(each)
            on_finish(each)
            each.report()
            failures += each.process.returncode != 0
        if waiting:
            time.sleep(0.5)
    return failures
