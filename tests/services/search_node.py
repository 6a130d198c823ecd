"""A throwaway search node on 127.0.0.1 for the test run: one JVM from a Maven "runner" artifact.

codelibs publishes each Elasticsearch and OpenSearch release as a runner on Maven Central: a
complete node in jars with a `main` that takes `-numOfNode -baseHttpPort -basePath -clusterName`
(the servers themselves are packaged neither for Debian nor for PyPI). A subclass names its
Runner (artifact, pom, main class, config file, heap); this base fetches the jars once into a cache folder
(~/.cache/psm/<cache_name>-<version>, or $PSM_CACHE), starts a node in a temporary folder, waits
until the cluster is green or yellow and stops it at the end.

`launch()` and `wait()` are apart so that the harness can start two nodes at once and wait for
both: on two cores their JVM start-ups overlap well (most of it is class loading and waiting).

The runners take no maximum port and scan for a free HTTP port from `-baseHttpPort + 1` up to
9299, so the port is chosen in 9201–9298; TEST_NODE_PORTS ("first-last") narrows where this
process looks, so that two test processes running at once (the harness's two passes) never pick
the same free port a moment apart, nor one the other's stopped node will take back on restart.
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
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

try:
    from postgres import ServiceError
except ImportError:  # imported as tests.services.search_node
    from tests.services.postgres import ServiceError

HERE = Path(__file__).resolve().parent
# Ports handed to nodes of this process: a node launched a moment ago may not listen yet, and a
# second node must not pick its port (the runner would move on to the next one and the health
# check would meet the first node).
_claimed: set[int] = set()


def _port_range() -> range:
    first, _, last = (os.environ.get("TEST_NODE_PORTS") or "9201-9298").partition("-")
    return range(int(first), int(last) + 1)


def _port_free(port: int) -> bool:
    if port in _claimed:
        return False
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    with socket.socket() as s:  # and nothing answers there on another address
        return s.connect_ex(("127.0.0.1", port)) != 0


def _ensure_java_and_maven() -> None:
    missing = [p for p, cmd in (("default-jre-headless", "java"), ("maven", "mvn")) if not shutil.which(cmd)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise ServiceError(f"{', '.join(missing)} not installed and we are not root to apt-get it")
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", *missing],
                            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if result.returncode != 0:
        raise ServiceError(f"apt-get install {' '.join(missing)} failed")


@dataclass(frozen=True)
class Runner:
    """What tells one runner from another."""

    product: str       # "Elasticsearch", in messages
    version: str       # the runner artifact's version, e.g. "7.10.2.0"
    artifact: str      # its artifactId; the jar `<artifact>-*.jar` in the cache proves the cache complete
    main: str          # its main class
    pom: Path          # names the artifact for Maven
    cache_name: str    # the cache folder is <cache_name>-<version>
    config_file: str   # elasticsearch.yml / opensearch.yml under node_1/config
    heap: str
    java_options: tuple[str, ...] = ()


class SearchNode:
    """One node of a runner; a subclass names its `runner`."""

    runner: ClassVar[Runner]

    def __init__(self, base: Path | None = None, *, heap: str | None = None) -> None:
        self.product = self.runner.product
        self.heap = heap or self.runner.heap
        self.dir = base or Path(tempfile.mkdtemp(prefix=f"psm-{self.runner.cache_name}-"))
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self.deadline = 0.0
        self.started_at = 0.0
        self.start_seconds: float | None = None
        # Unique, so that a health check can only pass against this node: two test runs that
        # pick the same free port at once must not take each other's node for their own.
        self.cluster_name = f"psm-test-{uuid.uuid4().hex[:10]}"

    # -- the jars -------------------------------------------------------------------------------
    @classmethod
    def cache_dir(cls) -> Path:
        root = Path(os.environ.get("PSM_CACHE")
                    or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "psm")
        return root / f"{cls.runner.cache_name}-{cls.runner.version}"

    @classmethod
    def ensure_installed(cls) -> Path:
        """Java and Maven from Debian, the node's jars from Maven Central; each fetched once."""
        jars = cls.cache_dir()
        runner_jar = f"{cls.runner.artifact}-*.jar"
        if any(jars.glob(runner_jar)):
            return jars
        _ensure_java_and_maven()
        partial = jars.with_name(jars.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        result = subprocess.run(["mvn", "-q", "-B", "-f", str(cls.runner.pom), "dependency:copy-dependencies",
                                 f"-DoutputDirectory={partial}"], capture_output=True, text=True)
        if result.returncode != 0 or not any(partial.glob(runner_jar)):
            raise ServiceError(f"Maven could not fetch the {cls.runner.product} runner:\n{result.stdout[-3000:]}"
                               f"\n{result.stderr[-3000:]}")
        partial.rename(jars)
        return jars

    # -- the node -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def health(self, timeout: float = 2.0) -> dict | None:
        try:
            with urllib.request.urlopen(f"{self.url}/_cluster/health", timeout=timeout) as r:
                return json.load(r)
        except OSError:
            return None

    def version(self) -> str:
        """The version the node reports, e.g. "2.19.1" (read when the harness describes it)."""
        try:
            with urllib.request.urlopen(self.url, timeout=5) as r:
                return json.load(r)["version"]["number"]
        except (OSError, ValueError, KeyError):  # only a description: never a reason to fail the run
            return "(version unknown)"

    def launch(self, timeout: float = 180) -> "SearchNode":
        """Start the JVM and return at once; `wait()` blocks until the node answers."""
        jars = self.ensure_installed()
        java = shutil.which("java")
        if not java:
            raise ServiceError("java not found")
        if self.port is None:
            ports = _port_range()
            self.port = next((p for p in ports if _port_free(p)), None)
            if self.port is None:
                raise ServiceError(f"no free port in {ports.start}–{ports.stop - 1} for the {self.product} node")
            _claimed.add(self.port)
        config = self.dir / "node_1" / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / self.runner.config_file).write_text(self.settings())
        self.log = self.dir / "node.log"
        self.started_at = time.monotonic()
        self.deadline = self.started_at + timeout
        with self.log.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [java, f"-Xms{self.heap}", f"-Xmx{self.heap}", *self.runner.java_options,
                 "-Dlog4j2.formatMsgNoLookups=true", "-cp", f"{jars}/*", self.runner.main, "-numOfNode", "1",
                 "-baseHttpPort", str(self.port - 1), "-basePath", str(self.dir), "-clusterName", self.cluster_name],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def settings(self) -> str:
        """The node's config file: loopback only; one node; no read-only flip on a nearly full disk."""
        return ("network.host: 127.0.0.1\ndiscovery.type: single-node\n"
                "cluster.routing.allocation.disk.threshold_enabled: false\n")

    def wait(self) -> "SearchNode":
        """Block until the launched node's cluster is green or yellow; stop it and raise if it is not."""
        while time.monotonic() < self.deadline:
            if self.process is None or self.process.poll() is not None:
                code = self.process.returncode if self.process else None
                raise ServiceError(f"{self.product} exited with {code}:\n{self._tail()}")
            health = self.health()
            if health and health.get("status") in ("green", "yellow"):
                if health.get("cluster_name") != self.cluster_name:
                    self.stop(keep_data=False)
                    raise ServiceError(f"port {self.port} is answered by another node "
                                       f"({health.get('cluster_name')}); retry")
                self.start_seconds = time.monotonic() - self.started_at
                return self
            time.sleep(0.5)
        self.stop(keep_data=False)
        raise ServiceError(f"{self.product} did not become healthy in time:\n{self._tail()}")

    def start(self, timeout: float = 180) -> "SearchNode":
        return self.launch(timeout).wait()

    def _tail(self) -> str:
        log = getattr(self, "log", None)
        return log.read_text(errors="replace")[-4000:] if log and log.exists() else ""

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
