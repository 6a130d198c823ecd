"""Shared benchmark helpers: a throwaway app instance, the shared data, simple statistics."""

from __future__ import annotations

import resource
import statistics
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def data_file(*parts: str) -> Path:
    path = DATA.joinpath(*parts)
    if not path.exists():
        raise SystemExit(f"shared data not found at {path}; run with ../shared beside the repository")
    return path


def fresh_app(**overrides):
    """An app on a new SQLite database and search index in a temporary folder, migrated."""
    from flask_migrate import upgrade

    from config.settings import Settings
    from market import create_app

    instance = overrides.pop("INSTANCE_PATH", None) or tempfile.mkdtemp(prefix="psm-bench-")
    settings = Settings(instance)
    settings.SECRET_KEY = "bench"
    settings.SESSION_COOKIE_SECURE = False
    settings.MAIL_BASE_URL = "http://127.0.0.1:5000"
    for key, value in overrides.items():
        setattr(settings, key, value)
    app = create_app(settings)
    with app.app_context():
        upgrade()
    return app


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def peak_rss_mb() -> float:
    """This process's peak resident memory.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child started by a
    big parent would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
