"""A throwaway Elasticsearch 7.10.2 node on 127.0.0.1 for the test run, from Maven Central.

`org.codelibs:elasticsearch-cluster-runner` is a complete node in jars (the server itself is
packaged neither for Debian nor for PyPI). The pom beside this file names it; Maven copies
the jars once into a cache folder (~/.cache/psm/es-runner-<version>, or $PSM_CACHE), and
each run starts a node in a temporary folder with a 1 GB heap and stops it at the end.

The runner's command line takes no maximum port, and it scans for a free HTTP port from
`-baseHttpPort + 1` up to 9299, so the port is chosen in 9200–9298.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

try:
    from postgres import ServiceError
except ImportError:  # imported as tests.services.elasticsearch
    from tests.services.postgres import ServiceError

HERE = Path(__file__).resolve().parent
POM = HERE / "elasticsearch" / "pom.xml"
RUNNER_VERSION = "7.10.2.0"
MAIN = "org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner"
HEAP = os.environ.get("TEST_ELASTICSEARCH_HEAP", "1g")


def cache_dir() -> Path:
    root = Path(os.environ.get("PSM_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "psm")
    return root / f"es-runner-{RUNNER_VERSION}"


def ensure_installed() -> Path:
    """Java and Maven from Debian, the node's jars from Maven Central; each fetched once."""
    jars = cache_dir()
    if any(jars.glob("elasticsearch-cluster-runner-*.jar")):
        return jars
    missing = [p for p, cmd in (("default-jre-headless", "java"), ("maven", "mvn")) if not shutil.which(cmd)]
    if missing:
        if os.geteuid() != 0:
            raise ServiceError(f"{', '.join(missing)} not installed and we are not root to apt-get it")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        result = subprocess.run(["apt-get", "install", "-y", "-qq", *missing],
                                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if result.returncode != 0:
            raise ServiceError(f"apt-get install {' '.join(missing)} failed")
    partial = jars.with_name(jars.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    result = subprocess.run(["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
                             f"-DoutputDirectory={partial}"], capture_output=True, text=True)
    if result.returncode != 0 or not any(partial.glob("elasticsearch-cluster-runner-*.jar")):
        raise ServiceError(f"Maven could not fetch the Elasticsearch runner:\n{result.stdout[-3000:]}"
                           f"\n{result.stderr[-3000:]}")
    partial.rename(jars)
    return jars


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    with socket.socket() as s:  # and nothing answers there on another address
        return s.connect_ex(("127.0.0.1", port)) != 0


class ElasticsearchNode:
    def __init__(self, base: Path | None = None, *, heap: str = HEAP) -> None:
        self.heap = heap
        self.dir = base or Path(tempfile.mkdtemp(prefix="psm-es-"))
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        # Unique, so that a health check can only pass against this node: two test runs that
        # pick the same free port at once must not take each other's node for their own.
        self.cluster_name = f"psm-test-{uuid.uuid4().hex[:10]}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def health(self, timeout: float = 2.0) -> dict | None:
        try:
            with urllib.request.urlopen(f"{self.url}/_cluster/health", timeout=timeout) as r:
                return json.load(r)
        except OSError:
            return None

    def start(self, timeout: float = 180) -> "ElasticsearchNode":
        jars = ensure_installed()
        java = shutil.which("java")
        if not java:
            raise ServiceError("java not found")
        if self.port is None:
            self.port = next((p for p in range(9201, 9299) if _port_free(p)), None)
            if self.port is None:
                raise ServiceError("no free port in 9201–9298 for the Elasticsearch node")
        config = self.dir / "node_1" / "config"
        config.mkdir(parents=True, exist_ok=True)
        # Loopback only; one node; no read-only flip on a nearly full disk of a dev machine.
        (config / "elasticsearch.yml").write_text(
            "network.host: 127.0.0.1\ndiscovery.type: single-node\n"
            "cluster.routing.allocation.disk.threshold_enabled: false\n")
        self.log = self.dir / "node.log"
        with self.log.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [java, f"-Xms{self.heap}", f"-Xmx{self.heap}", "-Des.distribution.flavor=default",
                 "-Dlog4j2.formatMsgNoLookups=true", "-cp", f"{jars}/*", MAIN, "-numOfNode", "1",
                 "-baseHttpPort", str(self.port - 1), "-basePath", str(self.dir), "-clusterName", self.cluster_name],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"Elasticsearch exited with {self.process.returncode}:\n{self._tail()}")
            health = self.health()
            if health and health.get("status") in ("green", "yellow"):
                if health.get("cluster_name") != self.cluster_name:
                    self.stop(keep_data=False)
                    raise ServiceError(f"port {self.port} is answered by another node "
                                       f"({health.get('cluster_name')}); retry")
                return self
            time.sleep(0.5)
        self.stop(keep_data=False)
        raise ServiceError(f"Elasticsearch did not become healthy in {timeout:.0f} s:\n{self._tail()}")

    def _tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def stop(self, *, keep_data: bool = False) -> None:
        """Stop the node; with `keep_data` the same folder and port serve a later start()."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None
        if not keep_data:
            shutil.rmtree(self.dir, ignore_errors=True)
