"""An app whose outbox has one slow topic, for the worker's shutdown test (run by `flask --app`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from market import create_app
from market.core.outbox import handles


@handles("test.slow")
def slow(keys: list[str], bulk: bool) -> None:
    # Says it has begun, then takes its time: SIGTERM arrives while it runs.
    Path(os.environ["SLOW_MARK"]).write_text(",".join(keys))
    time.sleep(float(os.environ.get("SLOW_SECONDS", "3")))


app = create_app()
