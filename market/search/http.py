"""A thin JSON-over-HTTP client for the REST API subset Elasticsearch and OpenSearch share.

Why not the official `elasticsearch` package: its 7.14+ releases refuse servers whose build
flavour is not `default` (and OpenSearch), its 8.x releases refuse 7.x servers, and each major
version pins its own transport. The handful of endpoints the app uses (_bulk, _search, index
and alias admin, _cluster/health) have been stable across all of them. CI runs the search
contract suite against Elasticsearch 7.10.2 and OpenSearch 2.19.1 (tests/search/conftest.py).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import urllib3

from market.search.backend import SearchError, SearchUnavailable


class ElasticClient:
    """One connection pool to a cluster; errors become SearchUnavailable or SearchError."""

    def __init__(self, url: str, *, username: str | None = None, password: str | None = None,
                 ca_certs: str | None = None, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.username:  # credentials in the URL: https://user:pass@host:9200
            username = username or parts.username
            password = password or parts.password or ""
            netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
            parts = parts._replace(netloc=netloc)
        self.base = urlunsplit(parts._replace(path=parts.path.rstrip("/"))).rstrip("/")
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if username:
            self.headers.update(urllib3.make_headers(basic_auth=f"{username}:{password or ''}"))
        self.pool = urllib3.PoolManager(
            maxsize=8, timeout=urllib3.Timeout(connect=min(timeout, 3.0), read=timeout),
            retries=False, ca_certs=ca_certs,
            cert_reqs="CERT_REQUIRED" if parts.scheme == "https" else None)

    def __repr__(self) -> str:  # never the credentials
        return f"ElasticClient({self.base!r})"

    def request(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                ndjson: list[dict] | None = None, ok: tuple[int, ...] = ()) -> dict[str, Any]:
        """Send one request and return the decoded JSON answer.

        Statuses in `ok` (say 404 for an index that may not exist) come back as answers
        with a `status` key instead of raising.
        """
        url = self.base + "/" + path.lstrip("/")
        if params:
            url += "?" + "&".join(f"{k}={quote(str(v))}" for k, v in params.items())
        headers = dict(self.headers)
        if ndjson is not None:
            data = "".join(json.dumps(line, ensure_ascii=False, default=str) + "\n" for line in ndjson)
            headers["Content-Type"] = "application/x-ndjson"
        else:
            data = None if body is None else json.dumps(body, ensure_ascii=False, default=str)
        try:
            response = self.pool.request(method, url, body=data.encode() if data is not None else None,
                                         headers=headers)
        except urllib3.exceptions.HTTPError as err:
            raise SearchUnavailable(f"search cluster unreachable at {self.base}: {err}") from None
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
