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


def _launch(args: list[str], url: str, what: str) -> subprocess.Popen[bytes]:
    """Start ``redis-server`` with ``args`` and return once ``url`` answers (else stop it and raise)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found")
    process = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not answers(url):
        if time.monotonic() > deadline:
            _terminate(process)
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.05)
    return process


def _terminate(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(10)


@dataclass
class RedisServer:
    """A redis-server process owned by the tests (optionally persistent, for restart tests)."""

    port: int
    directory: Path
    appendonly: bool = False
    replica_of: int | None = None  # the primary's port (on 127.0.0.1), for a replica
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "always",
            "--dir", str(self.directory),
            "--repl-diskless-sync-delay", "0",  # replicas (re)sync at once, not after 5 s
            *(["--replicaof", "127.0.0.1", str(self.replica_of)] if self.replica_of else []),
        ]  # fmt: skip
        self.process = _launch(args, self.url, "redis-server")

    def stop(self) -> None:
        _terminate(self.process)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: what a crashed primary looks like to its clients, replicas and Sentinels."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@dataclass
class SentinelServer:
    """A Redis Sentinel owned by the tests, watching one primary under ``master``; fails over fast."""

    port: int
    directory: Path
    primary_port: int
    master: str = "gw"
    down_after_ms: int = 1000
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        config = self.directory / f"sentinel-{self.port}.conf"
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.directory}\n"
            f"sentinel monitor {self.master} 127.0.0.1 {self.primary_port} 1\n"
            f"sentinel down-after-milliseconds {self.master} {self.down_after_ms}\n"
            f"sentinel failover-timeout {self.master} 5000\n"
            f"sentinel parallel-syncs {self.master} 1\n"
        )
        self.process = _launch([str(config), "--sentinel"], f"redis://{self.address}", "redis sentinel")

    def primary(self) -> tuple[str, int] | None:
        """The primary this Sentinel names now."""
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, decode_responses=True)
        try:
            found = client.sentinel_get_master_addr_by_name(self.master)  # (host, port) or None
            return (str(found[0]), int(found[1])) if isinstance(found, tuple) else None
        finally:
            client.close()

    def stop(self) -> None:
        _terminate(self.process)
        self.process = None


def wait_replicated(primary_url: str, replicas: int, timeout: float = 10.0) -> None:
    """Return once the primary reports ``replicas`` replicas online and in sync."""
    client = redis.Redis.from_url(primary_url, socket_timeout=1)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if int(client.wait(replicas, 100)) >= replicas:
                info = client.info("replication")
                if int(info.get("connected_slaves", 0)) >= replicas:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{replicas} replica(s) did not come online")
    finally:
        client.close()


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
