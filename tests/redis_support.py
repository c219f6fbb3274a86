"""A real Redis for the tests: the configured one if it answers, else a private redis-server.

``OCPI_GATEWAY_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``) is tried first. If
nothing answers there and a ``redis-server`` binary exists, the suite starts its own on a
free port. Without either the Redis tests are skipped, except under
``OCPI_GATEWAY_REQUIRE_REDIS=1`` (CI), where they fail instead: CI never skips them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

DEFAULT_URL = "redis://127.0.0.1:6379/15"


def answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


@dataclass
class RedisServer:
    """A redis-server process owned by the tests (optionally persistent, for restart tests)."""

    port: int
    directory: Path
    appendonly: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found")
        self.process = subprocess.Popen(
            [
                binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "yes" if self.appendonly else "no",
                "--appendfsync", "always",
                "--dir", str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not answers(self.url):
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def require_or_skip(reason: str) -> None:
    import pytest

    if os.environ.get("OCPI_GATEWAY_REQUIRE_REDIS"):
        pytest.fail(f"Redis is required here (OCPI_GATEWAY_REQUIRE_REDIS): {reason}")
    pytest.skip(reason)


def delete_prefix(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
