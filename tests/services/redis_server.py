"""A throwaway Redis on 127.0.0.1: the rate limiter's shared storage when several app servers run.

Debian's `redis-server` package (BSD-licensed Redis 7.0), installed by the harness as root when
missing, as Chromium is. Each server is private to the tests that start it — its own port, its
own folder, nothing saved to disk — so a test may stop it and start it again to see what the app
does while Redis is away.

Run `python tests/services/redis_server.py` to start one by hand; it prints the URL.
"""

from __future__ import annotations

import os
import socket
import subprocess

try:
    from local_server import LocalServer
    from postgres import ServiceError
except ImportError:  # imported as tests.services.redis_server
    from tests.services.local_server import LocalServer
    from tests.services.postgres import ServiceError

EXECUTABLE = "/usr/bin/redis-server"


def ensure_installed() -> str:
    if os.access(EXECUTABLE, os.X_OK):
        return EXECUTABLE
    if os.geteuid() != 0:
        raise ServiceError(f"{EXECUTABLE} is missing and we are not root to apt-get redis-server")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], env=env, check=False)
    if result.returncode != 0 or not os.access(EXECUTABLE, os.X_OK):
        raise ServiceError("apt-get install redis-server failed")
    return EXECUTABLE


def version() -> str:
    try:
        out = subprocess.run([ensure_installed(), "--version"], capture_output=True, text=True, check=False).stdout
    except ServiceError as err:
        return f"Redis (not installed: {err})"
    return out.split(" sha=")[0].strip()


class RedisServer(LocalServer):
    name = "redis-server"
    prefix = "psm-redis-"
    start_timeout = 20.0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        binary = ensure_installed()
        if self.port is None:  # a restart keeps its port, as a real server's address does
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        # In memory only (no RDB/AOF files), loopback only, in our own folder.
        return [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.dir), "--protected-mode", "yes"]

    def answers(self, timeout: float = 2.0) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def pause(self) -> None:
        """Stop the process but keep the port and folder, so `start()` brings the same address back."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    RedisServer().serve_until_interrupted(f"{version()} on {{url}}\nRATELIMIT_STORAGE_URI={{url}}")
