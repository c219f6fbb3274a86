"""Redis goes away and comes back: never ACCEPTED while it is gone, back to work by itself."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ocpi_gateway.cli.demo import free_port
from ocpi_gateway.cli.mockscsp import MockScsp
from tests.conftest import SCSP_TOKEN, GatewayFactory, StationFactory
from tests.e2e.helpers import PROFILE_A, put_profile
from tests.e2e.test_flows import result_at, started
from tests.redis_support import RedisServer, require_or_skip


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A persistent redis-server of our own, so the test may stop and restart it."""
    server = RedisServer(free_port(), tmp_path, appendonly=True)
    try:
        server.start()
    except RuntimeError as exc:
        require_or_skip(str(exc))
    yield server
    server.stop()


async def wait_ready(base_url: str, ready: bool) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            if ((await client.get(f"{base_url}/ready")).status_code == 200) is ready:
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"/ready never became {ready}")


async def test_redis_restart(
    private_redis: RedisServer,
    gateway_factory: GatewayFactory,
    station_factory: StationFactory,
    mock_scsp: MockScsp,
) -> None:
    """Redis down: HTTP 503 / OCPI 3000 and /ready 503; Redis back: ACCEPTED and delivered again."""
    gateway = await gateway_factory(redis={"url": private_redis.url, "key_prefix": "outage", "node_ttl": 1.5})
    _station, session_id = await started(station_factory, gateway, "ocpp1.6")
    before = mock_scsp.result_url("before")
    assert (await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, before)).status_code == 200
    await result_at(mock_scsp, before)

    private_redis.stop()
    down = await put_profile(
        gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, mock_scsp.result_url("down")
    )
    assert down.status_code == 503
    assert down.json()["status_code"] == 3000
    assert "data" not in down.json() or down.json()["data"] is None
    await wait_ready(gateway.base_url, ready=False)

    private_redis.start()
    await wait_ready(gateway.base_url, ready=True)
    after = mock_scsp.result_url("after")
    for _ in range(100):  # the node's heartbeat and the station's presence come back first
        resp = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, after)
        if resp.json()["data"]["result"] == "ACCEPTED":
            break
        await asyncio.sleep(0.1)
    assert resp.json()["data"]["result"] == "ACCEPTED"
    assert (await result_at(mock_scsp, after, timeout=15)).body == {"result": "ACCEPTED"}
