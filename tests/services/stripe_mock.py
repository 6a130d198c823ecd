"""A throwaway stripe-mock server on 127.0.0.1 for the test run, built from the Go module proxy.

stripe-mock answers the Stripe API from Stripe's OpenAPI spec (no state, no real money). It is
installed once with `go install` into a cache folder (tests/services/go_tool.py) and each run
starts one server that stops at the end.

The version is pinned together with the `stripe` SDK in pyproject.toml: v0.203.0 embeds API
version 2026-08-26.dahlia, which is what stripe 15.6.2 sends.

Run `python tests/services/stripe_mock.py` to start one by hand; it prints the URL to use as
TEST_STRIPE_MOCK_URL and runs until interrupted.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

try:
    from go_tool import installed
    from local_server import LocalServer
except ImportError:  # imported as tests.services.stripe_mock
    from tests.services.go_tool import installed
    from tests.services.local_server import LocalServer

VERSION = "v0.203.0"
MODULE = "github.com/stripe/stripe-mock"
LISTENING = re.compile(r"Listening for HTTP at address: 127\.0\.0\.1:(\d+)")


def ensure_installed() -> Path:
    """The stripe-mock binary, built once from the Go module proxy."""
    return installed("stripe-mock", MODULE, VERSION, "stripe-mock")


class StripeMock(LocalServer):
    name = "stripe-mock"
    prefix = "psm-stripe-"
    start_timeout = 30.0

    def command(self) -> list[str]:
        binary = ensure_installed()
        # Port 0 lets the kernel pick a free loopback port, read back from the log, so two runs
        # never race for one. Asking for HTTP alone would still open HTTPS on *:12112, so HTTPS
        # goes to a unix socket in our own folder: nothing listens beyond 127.0.0.1.
        return [str(binary), "-http-addr", "127.0.0.1:0", "-https-unix", str(self.dir / "https.sock")]

    def learn_port(self) -> int | None:
        if self.port is None and (found := LISTENING.search(self.tail())):
            return int(found.group(1))
        return self.port

    def answers(self, timeout: float = 2.0) -> bool:
        request = urllib.request.Request(f"{self.url}/v1/customers",
                                         headers={"Authorization": "Bearer sk_test_123"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                return r.status == 200 and "Stripe-Mock-Version" in r.headers
        except (OSError, urllib.error.HTTPError):
            return False


if __name__ == "__main__":
    StripeMock().serve_until_interrupted(f"stripe-mock {VERSION} on {{url}}\nTEST_STRIPE_MOCK_URL={{url}}")
