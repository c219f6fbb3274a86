"""Several gateway processes on one Redis: any node accepts, the station's node executes,
and a node killed with SIGKILL mid-call loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from ocpi_gateway.backend.keys import Keys
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from tests.conftest import SCSP_TOKEN
from tests.e2e.helpers import PROFILE_A, put_profile
from tests.e2e.test_flows import result_at
from tests.multinode.nodes import Node

NodesFactory = Callable[..., Awaitable[list[Node]]]


@pytest.fixture
async def cluster(
    tmp_path: Path, redis_settings: dict[str, Any], mock_scsp: MockScsp
) -> AsyncIterator[NodesFactory]:
    started: list[Node] = []

    async def start(count: int, **ocpp: Any) -> list[Node]:
        nodes = [Node(f"node{i}", tmp_path / f"node{i}.toml") for i in range(count)]
        await asyncio.gather(*(n.start(redis_settings, mock_scsp.base_url, **ocpp) for n in nodes))
        started.extend(nodes)
        return nodes

    yield start
    await asyncio.gather(*(n.stop() for n in started))


@pytest.fixture
async def stations() -> AsyncIterator[list[SimulatedStation]]:
    made: list[SimulatedStation] = []
    yield made
    for station in made:
        await station.close()


async def connect(
    stations: list[SimulatedStation], node: Node, station_id: str, protocol: str = "ocpp1.6", **kw: Any
) -> tuple[SimulatedStation, str]:
    station = SimulatedStation(station_id, node.ws_url, protocol=protocol, **kw)
    stations.append(station)
    await station.connect()
    session_id = await station.start_transaction(connector_id=1)
    await asyncio.sleep(0.2)  # the capabilities read and the presence record settle
    return station, session_id


class TestSeveralNodes:
    async def test_any_node_accepts_and_the_stations_node_calls_it(
        self, cluster: NodesFactory, stations: list[SimulatedStation], mock_scsp: MockScsp
    ) -> None:
        """Three nodes, stations spread over them: a PUT on any node reaches the station on its node."""
        nodes = await cluster(3)
        placed = [
            await connect(stations, nodes[i], f"MN-{i}", "ocpp1.6" if i % 2 else "ocpp2.0.1")
            for i in range(3)
        ]
        for i, (station, session_id) in enumerate(placed):
            entry = nodes[(i + 1) % 3]  # always a node that does not hold the station
            url = mock_scsp.result_url(f"mn-{i}")
            resp = await put_profile(entry.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
            assert resp.json()["data"]["result"] == "ACCEPTED"
            await station.wait_for_call("SetChargingProfile", timeout=10)
            assert (await result_at(mock_scsp, url, timeout=15)).body == {"result": "ACCEPTED"}

    async def test_node_killed_mid_call_loses_nothing(
        self, cluster: NodesFactory, stations: list[SimulatedStation], mock_scsp: MockScsp
    ) -> None:
        """SIGKILL on the node calling the station: another node finishes the job and posts the result."""
        first, second = await cluster(2, call_timeout=15)
        station, session_id = await connect(stations, first, "KILL-1", behaviour="silent")
        url = mock_scsp.result_url("killed")
        resp = await put_profile(second.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        assert resp.json()["data"]["result"] == "ACCEPTED"
        await station.wait_for_call("SetChargingProfile", timeout=10)  # the call is open on `first`
        first.kill()
        await station.wait_disconnected(timeout=10)
        station.behaviour = "accept"
        station.url = f"{second.ws_url}/KILL-1"
        await station.reconnect()
        await station.wait_for_call("SetChargingProfile", timeout=20)
        received = await result_at(mock_scsp, url, timeout=resp.json()["data"]["timeout"])
        assert received.body == {"result": "ACCEPTED"}

    async def test_sigterm_exits_cleanly_and_hands_the_node_back(
        self, cluster: NodesFactory, redis_settings: dict[str, Any]
    ) -> None:
        """SIGTERM: exit 0, and the node marks itself gone so its work is reclaimed at once."""
        (node,) = await cluster(1)
        assert await node.terminate() == 0
        client = aioredis.Redis.from_url(redis_settings["url"], decode_responses=True)
        scores = await client.zrange(Keys(redis_settings["key_prefix"]).nodes, 0, -1, withscores=True)
        await client.aclose()
        assert scores
        assert all(score == 0 for _node, score in scores)
