"""A throwaway S3-compatible server on 127.0.0.1 for the test run: the Versity S3 Gateway.

Uploaded documents live in S3-compatible object storage when several app servers share them
(market/core/storage.py); the tests speak real S3 over HTTP, through boto3, to this server.
versitygw (Apache-2.0, github.com/versity/versitygw) is a production S3 gateway: it serves a
folder of its own as buckets and objects, and checks every request's signature against its root
account's key pair (ACCESS_KEY, SECRET_KEY below), as a real store does. It is built once from the
Go module proxy like stripe-mock (tests/services/go_tool.py).

SeaweedFS's S3 gateway was the first choice: `go install` refuses its module (replace directives
in its go.mod), and building it from the downloaded module fetches ~2 GB of modules and compiles
for 12 minutes here; versitygw builds in a few.

Run `python tests/services/s3_server.py` to start one by hand; it prints the URL to use as
TEST_S3_URL and runs until interrupted.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

try:
    from go_tool import installed
    from local_server import LocalServer
except ImportError:  # imported as tests.services.s3_server
    from tests.services.go_tool import installed
    from tests.services.local_server import LocalServer

MODULE = "github.com/versity/versitygw"
RELEASE = "v1.8.0"
VERSION = f"versitygw {RELEASE}"
# The gateway's root account: the tests' S3 clients sign with it.
ACCESS_KEY, SECRET_KEY = "psm", "psm-test-secret"


class S3Server(LocalServer):
    name = "the S3 server"
    prefix = "psm-s3-"
    start_timeout = 60.0

    def command(self) -> list[str]:
        binary = installed("versitygw", f"{MODULE}/cmd/versitygw", RELEASE, "versitygw")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        root = self.dir / "buckets"
        root.mkdir()
        return [str(binary), "--access", ACCESS_KEY, "--secret", SECRET_KEY, "--port", f"127.0.0.1:{self.port}",
                "posix", str(root)]

    def answers(self, timeout: float = 2.0) -> bool:
        # Unsigned, the gateway answers 403: up, and checking signatures.
        try:
            with urllib.request.urlopen(f"{self.url}/", timeout=timeout) as r:
                return r.status < 500
        except urllib.error.HTTPError as err:
            return err.code < 500
        except OSError:
            return False


if __name__ == "__main__":
    S3Server().serve_until_interrupted(f"{VERSION} S3 server on {{url}} (key pair {ACCESS_KEY} / {SECRET_KEY})\n"
                                       "TEST_S3_URL={url}")
