"""Gateway nodes as real processes sharing one Redis, for kill -9 and SIGTERM tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ocpi_gateway.cli.demo import free_port
from tests.conftest import ADMIN_TOKEN, GATEWAY_TOKEN, SCSP_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def node_config(
    port: int, redis: dict[str, Any], scsp_base: str, node_id: str = "", result_timeout: int = 40, **ocpp: Any
) -> str:
    """A TOML config for one node; every node of a test gets the same Redis section."""
    ocpp_lines = "\n".join(f"{k} = {v!r}" for k, v in ocpp.items())
    # Every key of the test's Redis section (url, key_prefix, node_ttl; sentinels, wait_replicas ...).
    redis_lines = "\n".join(f"{k} = {v!r}" for k, v in redis.items())
    return f"""
[http]
host = "127.0.0.1"
port = {port}

[redis]
{redis_lines}
node_id = "{node_id}"

[ocpi]
result_timeout = {result_timeout}

[[ocpi.parties]]
country_code = "NL"
party_id = "SCS"
token = "{SCSP_TOKEN}"
their_token = "{GATEWAY_TOKEN}"
versions_url = "{scsp_base}/ocpi/versions"
response_url_hosts = ["127.0.0.1"]
allow_private_callbacks = true

[admin]
token = "{ADMIN_TOKEN}"

[ocpp]
heartbeat_interval = 60
{ocpp_lines}

[log]
level = "warning"
format = "json"
"""


@dataclass
class Node:
    """One ``ocpi-gateway serve`` process."""

    name: str
    config: Path
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    async def start(
        self, redis: dict[str, Any], scsp_base: str, node_id: str = "", result_timeout: int = 40, **ocpp: Any
    ) -> None:
        self.config.write_text(node_config(self.port, redis, scsp_base, node_id, result_timeout, **ocpp))
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCPI_GATEWAY__")}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ocpi_gateway",
            "serve",
            "--config",
            str(self.config),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    if (await client.get(f"{self.base_url}/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if self.process.returncode is not None:
                    break
                await asyncio.sleep(0.05)
        raise RuntimeError(f"node {self.name} did not start: {await self.stderr()}")

    async def stderr(self) -> str:
        if self.process is None or self.process.stderr is None or self.process.returncode is None:
            return ""
        return (await self.process.stderr.read()).decode()[-3000:]

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def terminate(self, timeout: float = 30) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.kill()
            await self.process.wait()
