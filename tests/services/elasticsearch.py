"""A throwaway Elasticsearch 7.10.2 node on 127.0.0.1 for the test run, from Maven Central.

`org.codelibs:elasticsearch-cluster-runner` (named by the pom beside this file) started by
search_node.SearchNode: jars cached once under ~/.cache/psm/es-runner-<version>, a 1 GB heap
(TEST_ELASTICSEARCH_HEAP), a temporary folder removed at the end.
"""

from __future__ import annotations

import os

try:
    from search_node import HERE, Runner, SearchNode
except ImportError:  # imported as tests.services.elasticsearch
    from tests.services.search_node import HERE, Runner, SearchNode

RUNNER_VERSION = "7.10.2.0"


class ElasticsearchNode(SearchNode):
    runner = Runner("Elasticsearch", RUNNER_VERSION, "elasticsearch-cluster-runner",
                    "org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner", HERE / "elasticsearch" / "pom.xml",
                    cache_name="es-runner", config_file="elasticsearch.yml",
                    heap=os.environ.get("TEST_ELASTICSEARCH_HEAP", "1g"),
                    java_options=("-Des.distribution.flavor=default",))
