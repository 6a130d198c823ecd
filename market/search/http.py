"""A thin JSON-over-HTTP client for the REST API subset Elasticsearch and OpenSearch share.

Why not the official `elasticsearch` package: its 7.14+ releases refuse servers whose build
flavour is not `default` (and OpenSearch), its 8.x releases refuse 7.x servers, and each major
version pins its own transport. The handful of endpoints the app uses (_bulk, _search, index
and alias admin, _cluster/health) have been stable across all of them. CI runs the search
contract suite against Elasticsearch 7.10.2 and OpenSearch 2.19.1 (tests/search/conftest.py).

A cluster is given as every node's URL, comma-separated (`http://a:9200,http://b:9200`):
requests go round the nodes, and one that cannot be reached (refused, reset, timed out) is
sent again to the next node, and that node is skipped for a few seconds. Sending again is safe
because every request the app makes is idempotent: documents are written and deleted under
their own ids, reads change nothing, index creation tolerates "already exists".
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import urllib3

from market.search.backend import SearchError, SearchUnavailable


class ElasticClient:
    """Connection pools to a cluster's nodes; errors become SearchUnavailable or SearchError."""

    def __init__(self, url: str, *, username: str | None = None, password: str | None = None,
                 ca_certs: str | None = None, timeout: float = 10.0, retry_after: float = 5.0) -> None:
        self.nodes: list[str] = []
        for one in (u.strip() for u in url.split(",")):
            if not one:
                continue
            parts = urlsplit(one)
            if parts.username:  # credentials in the URL: https://user:pass@host:9200
                username = username or parts.username
                password = password or parts.password or ""
                netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
                parts = parts._replace(netloc=netloc)
            self.nodes.append(urlunsplit(parts._replace(path=parts.path.rstrip("/"))).rstrip("/"))
        if not self.nodes:
            raise ValueError("ElasticClient needs at least one node URL")
        self.base = self.nodes[0]
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if username:
            self.headers.update(urllib3.make_headers(basic_auth=f"{username}:{password or ''}"))
        https = any(n.startswith("https:") for n in self.nodes)
        self.pool = urllib3.PoolManager(
            maxsize=8, timeout=urllib3.Timeout(connect=min(timeout, 3.0), read=timeout),
            retries=False, ca_certs=ca_certs, cert_reqs="CERT_REQUIRED" if https else None)
        self.retry_after = retry_after
        self._next = 0
        self._down_until = [0.0] * len(self.nodes)
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the credentials
        return f"ElasticClient({','.join(self.nodes)!r})"

    def _order(self) -> list[int]:
        """Every node once, starting with the next in turn; nodes that failed lately go last."""
        with self._lock:
            start = self._next
            self._next = (self._next + 1) % len(self.nodes)
        order = [(start + i) % len(self.nodes) for i in range(len(self.nodes))]
        now = time.monotonic()
        return sorted(order, key=lambda i: self._down_until[i] > now)

    def request(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                ndjson: list[dict] | None = None, ok: tuple[int, ...] = ()) -> dict[str, Any]:
        """Send one request and return the decoded JSON answer.

        Statuses in `ok` (say 404 for an index that may not exist) come back as answers
        with a `status` key instead of raising.
        """
        target = "/" + path.lstrip("/")
        if params:
            target += "?" + "&".join(f"{k}={quote(str(v))}" for k, v in params.items())
        headers = dict(self.headers)
        if ndjson is not None:
            data = "".join(json.dumps(line, ensure_ascii=False, default=str) + "\n" for line in ndjson)
            headers["Content-Type"] = "application/x-ndjson"
        else:
            data = None if body is None else json.dumps(body, ensure_ascii=False, default=str)
        payload = data.encode() if data is not None else None
        failures = []
        reading = method in ("GET", "HEAD") or target.split("?")[0].endswith("/_search")
        order = self._order()
        response = None
        for turn, node in enumerate(order):
            try:
                response = self.pool.request(method, self.nodes[node] + target, body=payload, headers=headers)
            except urllib3.exceptions.HTTPError as err:
                self._down_until[node] = time.monotonic() + self.retry_after
                failures.append(f"{self.nodes[node]}: {err}")
                # A write that timed out may still be applied by that node later, after a newer write
                # sent elsewhere: it is not sent again here (the outbox retries it, in order).
                if isinstance(err, urllib3.exceptions.ReadTimeoutError) and not reading:
                    break
                continue
            # A node shutting down, or one cut off from the cluster manager, answers 503: another may not.
            if response.status in (502, 503, 504) and turn + 1 < len(order):
                failures.append(f"{self.nodes[node]}: {response.status}")
                continue
            break
        if response is None:
            raise SearchUnavailable(f"search cluster unreachable: {'; '.join(failures)}")
        try:
            answer = json.loads(response.data or b"{}")
        except ValueError:
            answer = {"error": {"reason": response.data[:200].decode(errors="replace")}}
        if not isinstance(answer, dict):
            answer = {"answer": answer}
        if response.status < 300 or response.status in ok:
            answer.setdefault("status", response.status)
            return answer
        reason = _reason(answer)
        if response.status >= 500 or response.status == 429:
            raise SearchUnavailable(f"search cluster answered {response.status}: {reason}")
        raise SearchError(f"search cluster refused {method} {path} ({response.status}): {reason}",
                          status=response.status)

    def close(self) -> None:
        self.pool.clear()


def _reason(answer: dict) -> str:
    error = answer.get("error")
    if isinstance(error, dict):
        cause = (error.get("root_cause") or [error])[0]
        return f"{cause.get('type', '')}: {cause.get('reason', '')}"[:300]
    return str(error or answer)[:300]
