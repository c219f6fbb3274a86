"""How many commands one OCPI PUT flow sends to Redis, counted with MONITOR.

redis-py costs about 150 µs of Python per command, so the command count of a flow is the
Redis backend's speed (docs/benchmarks.md). Before the admission and bookkeeping scripts a
steady PUT flow sent 22 commands (32 with MULTI and EXEC) in 14 round trips; these bounds catch a slide back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis

from ocpi_gateway.appkeys import PARTIES, WORKER
from ocpi_gateway.cli.mockscsp import MockScsp
from tests.conftest import SCSP_TOKEN, Gateway, GatewayFactory, StationFactory
from tests.e2e.helpers import PROFILE_A, put_profile
from tests.e2e.test_flows import result_at, wait_session

# Per node and not per flow: the heartbeat, the dead-node sweep and the worker's blocking read.
BACKGROUND = ("ZADD", "ZRANGEBYSCORE", "XREADGROUP")
# Partner lookups are cached per node (``ocpi.party_cache_seconds``), not paid per flow.
CACHED = (":party:", ":party-token:")
# One steady PUT flow (the session already has its profile id and the partner steers it) (exactly, today).
STEADY_FLOW_MAX = 7
# The first PUT of a session also allocates its profile id and marks the partner as steering (exactly, today).
FIRST_FLOW_MAX = 9


def counted(command: str, prefix: str, source: str) -> bool:
    """A command a client sent for this test's keys (not one a script ran) that is paid per flow."""
    if source == "lua" or prefix not in command or command.startswith(BACKGROUND):
        return False
    return not any(cached in command for cached in CACHED)


@asynccontextmanager
async def flow_commands(url: str, prefix: str) -> AsyncIterator[list[str]]:
    """Collect the commands clients send that name keys under ``prefix`` (not those run by Lua).

    Markers sent through the monitoring connection's twin bound the window exactly, so no
    sleep decides what is counted.
    """
    seen: list[str] = []
    marker = f"{prefix}:marker:{uuid.uuid4().hex}"
    started, ended = asyncio.Event(), asyncio.Event()
    client = aioredis.Redis.from_url(url, decode_responses=True)

    async def watch() -> None:
        async with client.monitor() as monitor:
            async for info in monitor.listen():
                command = str(info["command"])
                if marker in command:
                    if started.is_set():
                        ended.set()
                        return
                    started.set()
                elif started.is_set() and counted(command, prefix, str(info.get("client_address"))):
                    seen.append(command)

    task = asyncio.create_task(watch())
    other = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        while not started.is_set():
            await other.get(marker)
            await asyncio.sleep(0.05)
        yield seen
        await other.get(marker)
        await asyncio.wait_for(ended.wait(), 5)
        await asyncio.wait_for(task, 5)
    finally:
        task.cancel()
        await other.aclose()
        await client.aclose()


async def endpoints_read(gw: Gateway) -> None:
    """Wait until the partner's endpoints were read at start (that write is not a flow's)."""
    for _ in range(250):
        party = await gw.app[PARTIES].get("NL*SCS")
        if party is not None and (party.endpoints or party.endpoints_error):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the partner's endpoints were never read")


async def one_flow(gw: Gateway, scsp: MockScsp, session_id: str) -> None:
    """A PUT answered ACCEPTED, its result at the SCSP, and its job acknowledged."""
    url = scsp.result_url(f"flow-{uuid.uuid4().hex[:8]}")
    resp = await put_profile(gw.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
    assert resp.json()["data"]["result"] == "ACCEPTED"
    assert (await result_at(scsp, url)).body == {"result": "ACCEPTED"}
    worker = gw.app[WORKER]
    for _ in range(250):
        if worker.in_flight == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the job never finished")


class TestRedisCommandsPerFlow:
    async def test_first_and_steady_put_flows_stay_within_their_command_budget(
        self,
        gateway_factory: GatewayFactory,
        station_factory: StationFactory,
        mock_scsp: MockScsp,
        redis_settings: dict[str, Any],
    ) -> None:
        """A first PUT costs at most 9 Redis commands, every later one at most 7 (34 and 22 before)."""
        gw = await gateway_factory(redis=redis_settings, ocpi={"party_cache_seconds": 60})
        station = await station_factory(gw, protocol="ocpp1.6")
        session_id = await station.start_transaction(connector_id=1)
        await wait_session(gw, session_id)
        await endpoints_read(gw)  # the start-up read of the partner's endpoints writes its record
        url, prefix = redis_settings["url"], redis_settings["key_prefix"]

        async with flow_commands(url, prefix) as first:
            await one_flow(gw, mock_scsp, session_id)
        async with flow_commands(url, prefix) as steady:
            await one_flow(gw, mock_scsp, session_id)

        assert len(first) <= FIRST_FLOW_MAX, "\n".join(first)
        assert len(steady) <= STEADY_FLOW_MAX, "\n".join(steady)
        # The ACCEPTED answer is stored with the job: no separate write of the idempotency key.
        assert not [c for c in steady if c.startswith("SET") and ":guard:idem:" in c], "\n".join(steady)
