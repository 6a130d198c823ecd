"""A throwaway three-node OpenSearch 2.19 cluster on 127.0.0.1: three JVMs that find each other.

Each node is an OpenSearchNode (the same runner jars) whose config file names the cluster's
transport ports as seed hosts instead of `discovery.type: single-node`. The first node
bootstraps the cluster alone (`cluster.initial_cluster_manager_nodes` names it only), so it is
healthy as soon as it is up and can serve the single-node contract suite meanwhile; the other
two join it, and the cluster grows its voting configuration to all three, so any one node may
stop and the other two still elect a cluster manager.

`stop_node(i)` / `start_node(i)` stop a node and start it again on the same port and folder,
which is what the cluster test and `benchmarks.cluster` do under load.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
import uuid

try:
    from opensearch import OpenSearchNode
    from postgres import ServiceError
    from search_node import _claimed, _port_free
except ImportError:  # imported as tests.services.opensearch_cluster
    from tests.services.opensearch import OpenSearchNode
    from tests.services.postgres import ServiceError
    from tests.services.search_node import _claimed, _port_free

# Transport ports are chosen here, away from 9300–9305 where the single nodes' own transport
# (and their default discovery) lives, so the seed list is known before any node starts.
TRANSPORT_PORTS = range(9340, 9400)
HTTP_PORTS = range(9298, 9260, -1)
HEAP = os.environ.get("TEST_OPENSEARCH_CLUSTER_HEAP", "384m")


class ClusterNode(OpenSearchNode):
    """One member of an OpenSearchCluster."""

    def __init__(self, cluster: "OpenSearchCluster", name: str, transport: int, *, heap: str) -> None:
        super().__init__(heap=heap)
        self.cluster = cluster
        self.name = name
        self.transport = transport
        self.cluster_name = cluster.name

    def settings(self) -> str:
        seeds = ", ".join(f'"127.0.0.1:{n.transport}"' for n in self.cluster.nodes)
        return ("network.host: 127.0.0.1\n"
                f"transport.port: {self.transport}\n"
                f"discovery.seed_hosts: [{seeds}]\n"
                # By transport address: the runner names every node "Node 1" whatever the file says.
                f"cluster.initial_cluster_manager_nodes: [\"127.0.0.1:{self.cluster.nodes[0].transport}\"]\n"
                "cluster.routing.allocation.disk.threshold_enabled: false\n")


class OpenSearchCluster:
    """Three OpenSearch nodes in one cluster; `url` lists every node, comma-separated."""

    product = "OpenSearch cluster"

    def __init__(self, size: int = 3, *, heap: str = HEAP) -> None:
        self.name = f"psm-cluster-{uuid.uuid4().hex[:10]}"
        self.heap = heap
        self.nodes: list[ClusterNode] = []
        for i in range(size):
            port = next((p for p in TRANSPORT_PORTS if _port_free(p)), None)
            if port is None:
                raise ServiceError(f"no free transport port in {TRANSPORT_PORTS.start}–{TRANSPORT_PORTS.stop - 1}")
            _claimed.add(port)
            node = ClusterNode(self, f"node-{i + 1}", port, heap=heap)
            # HTTP ports from the top of the runner's range: single nodes (ours and other test runs
            # on the machine) take theirs from the bottom, and a JVM binds its port only ~20 s after
            # the check that found it free.
            node.port = next((p for p in HTTP_PORTS if _port_free(p)), None)
            if node.port is None:
                raise ServiceError(f"no free HTTP port in {HTTP_PORTS.stop + 1}–{HTTP_PORTS.start}")
            _claimed.add(node.port)
            self.nodes.append(node)
        self.start_seconds: float | None = None

    @property
    def url(self) -> str:
        return ",".join(n.url for n in self.nodes)

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    def launch(self) -> "OpenSearchCluster":
        self.started_at = time.monotonic()
        for node in self.nodes:
            node.launch()
        return self

    def wait(self) -> "OpenSearchCluster":
        """Block until every node is up and the cluster counts all of them; stop it all if not."""
        try:
            for node in self.nodes:
                node.wait()
            self.wait_for(status=("green",), nodes=len(self.nodes))
        except ServiceError:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - self.started_at
        return self

    def start(self) -> "OpenSearchCluster":
        return self.launch().wait()

    def health(self, via: int | None = None) -> dict | None:
        for node in ([self.nodes[via]] if via is not None else self.nodes):
            if node.process is None:
                continue
            answer = node.health()
            if answer:
                return answer
        return None

    def wait_for(self, *, status=("green",), nodes: int | None = None, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        health = None
        while time.monotonic() < deadline:
            health = self.health()
            if (health and health.get("status") in status
                    and (nodes is None or health.get("number_of_nodes") == nodes)
                    and not health.get("relocating_shards") and not health.get("initializing_shards")):
                return health
            time.sleep(0.3)
        raise ServiceError(f"{self.product} did not reach {status} with {nodes} nodes: {health}")

    def manager(self) -> int:
        """The index of the node elected cluster manager (stopping it forces an election)."""
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                with urllib.request.urlopen(f"{node.url}/_nodes/_cluster_manager/http", timeout=5) as r:
                    answer = json.load(r)
            except (OSError, ValueError):
                continue
            for about in answer.get("nodes", {}).values():
                address = about.get("http", {}).get("publish_address", "")
                for i, candidate in enumerate(self.nodes):
                    if address.endswith(f":{candidate.port}"):
                        return i
        raise ServiceError(f"{self.product}: no node names a cluster manager")

    def stop_node(self, i: int) -> None:
        """Stop one node (SIGTERM, as an operator would), keeping its folder and port."""
        self.nodes[i].stop(keep_data=True)

    def start_node(self, i: int) -> None:
        self.nodes[i].launch()
        self.nodes[i].wait()

    def version(self) -> str:
        try:
            with urllib.request.urlopen(self.nodes[0].url, timeout=5) as r:
                return json.load(r)["version"]["number"]
        except (OSError, ValueError, KeyError):
            return "(version unknown)"

    def stop(self, *, keep_data: bool = False) -> None:
        for node in self.nodes:
            node.stop(keep_data=keep_data)
