"""Benchmarks that cannot rot (issue 16): each one runs at its smoke size, in seconds.

A benchmark is a program no other test imports; without this, one that no longer runs (as
`benchmarks.search_backends` did, calling a function matching.evaluate had lost) is found only
when someone needs its figures. Each runs as people run it, `python -m benchmarks.<name> --smoke`,
in its own process. They choose their own databases, so they run in the SQLite pass of
`make test` only; search_backends uses the harness's Elasticsearch node.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_data
from tests.search.conftest import elasticsearch_url  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parents[2]
# Every module with a `main` in benchmarks/; the helpers (common, load_*, loadgen) run inside them.
BENCHMARKS = ["api_fuzz", "bidding", "catalogue_search", "cluster_scale", "import_portfolio", "load", "matching",
              "open_licence", "patent_page", "pricing", "search_backends", "statistics"]
# Run by a test already, phase by phase, against a 3-node cluster that costs minutes to start:
# running its --smoke as well would start a second cluster for the same code.
EXERCISED_BY_TESTS = {"cluster": "tests/search/test_cluster.py"}
TIMEOUT = 900


def test_every_benchmark_is_smoked():
    """A benchmark added later is run here too, or this fails."""
    programs = {p.stem for p in (ROOT / "benchmarks").glob("*.py") if "__main__" in p.read_text()}
    assert programs == set(BENCHMARKS) | set(EXERCISED_BY_TESTS)


@pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="benchmarks choose their own databases: run once, in the SQLite pass")
@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_at_its_smoke_size(name, request, tmp_path):
    shared_data("cn_patents_a01")
    args = [sys.executable, "-m", f"benchmarks.{name}", "--smoke"]
    if name in ("search_backends", "cluster_scale"):
        args += ["--es-url", request.getfixturevalue("elasticsearch_url")]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT,
                          # Their data sets (kept for reuse by hand) go where pytest cleans up.
                          env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)})
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
