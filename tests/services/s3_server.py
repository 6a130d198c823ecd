"""A throwaway S3-compatible server on 127.0.0.1 for the test run: moto's standalone server.

Uploaded documents live in S3-compatible object storage when several app servers share them
(market/core/storage.py); the tests speak real S3 over HTTP, through boto3, to this server.
Moto (Apache-2.0, a test dependency from PyPI) emulates the S3 API in a process of its own, as
stripe-mock does Stripe's. SeaweedFS's S3 gateway was the first choice, but it cannot be
installed the way stripe-mock is: `go install` refuses its module (replace directives in its
go.mod), and building it from the downloaded module compiles 1,739 packages (~2 GB of modules),
far beyond what a CI run on this 2-core machine can spend.

Run `python tests/services/s3_server.py` to start one by hand; it prints the URL to use as
TEST_S3_URL and runs until interrupted.
"""

from __future__ import annotations

import socket
import sys
import urllib.error
import urllib.request

try:
    from local_server import LocalServer
except ImportError:  # imported as tests.services.s3_server
    from tests.services.local_server import LocalServer

try:
    from importlib.metadata import version

    VERSION = f"moto {version('moto')}"
except Exception:  # not installed: start() says so
    VERSION = "moto (not installed)"


class S3Server(LocalServer):
    name = "the S3 server"
    prefix = "psm-s3-"
    start_timeout = 60.0

    def command(self) -> list[str]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def answers(self, timeout: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/", timeout=timeout) as r:
                return r.status == 200
        except urllib.error.HTTPError as err:
            return err.code < 500
        except OSError:
            return False


if __name__ == "__main__":
    S3Server().serve_until_interrupted(f"{VERSION} S3 server on {{url}}\nTEST_S3_URL={{url}}")
