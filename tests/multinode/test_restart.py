"""A node restarted under the same ``redis.node_id`` resumes at once; two live ones never share it.

Real processes, real SIGKILL, real Redis. ``node_ttl`` is 10 s here on purpose: the death of a
node is noticed only after that, so a result that arrives sooner was not waiting for it.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from tests.conftest import SCSP_TOKEN
from tests.e2e.helpers import PROFILE_A, put_profile
from tests.e2e.test_flows import result_at
from tests.multinode.nodes import Node

SLOW_ANSWER = 4.0
RESULT_TIMEOUT = 15


@pytest.fixture
def redis_slow_death(redis_settings: dict[str, Any]) -> dict[str, Any]:
    return {**redis_settings, "node_ttl": 10.0}


@pytest.fixture
async def nodes(tmp_path: Path) -> AsyncIterator[list[Node]]:
    made: list[Node] = []
    yield made
    for node in made:
        await node.stop()


async def test_restart_with_the_same_node_id_resumes_at_once(
    tmp_path: Path, redis_slow_death: dict[str, Any], mock_scsp: MockScsp, nodes: list[Node]
) -> None:
    """SIGKILL while a 4 s station answers; restarted at once under its node id, the node re-sends
    the job and the SCSP gets ACCEPTED before the 15 s it was promised (node_ttl is 10 s)."""
    config = tmp_path / "stable.toml"
    node = Node("stable", config)
    nodes.append(node)
    await node.start(redis_slow_death, mock_scsp.base_url, node_id="stable-1", result_timeout=RESULT_TIMEOUT,
                     call_timeout=RESULT_TIMEOUT - 5)  # fmt: skip
    station = SimulatedStation("SLOW-1", node.ws_url)
    try:
        await station.connect()
        session_id = await station.start_transaction(connector_id=1)
        await asyncio.sleep(0.3)
        station.answer_delay = SLOW_ANSWER
        url = mock_scsp.result_url("restart")
        sent = time.time()
        answer = await put_profile(node.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        assert answer.json()["data"]["result"] == "ACCEPTED"
        promised = answer.json()["data"]["timeout"]
        await station.wait_for_call("SetChargingProfile", timeout=5)
        node.kill()
        await node.process.wait()  # type: ignore[union-attr]
        restarted = Node("stable-again", config, port=node.port)
        nodes.append(restarted)
        await restarted.start(redis_slow_death, mock_scsp.base_url, node_id="stable-1",
                              result_timeout=RESULT_TIMEOUT, call_timeout=RESULT_TIMEOUT - 5)  # fmt: skip
        await station.wait_disconnected(timeout=10)
        await station.reconnect()
        received = await result_at(mock_scsp, url, timeout=promised)
        assert received.body == {"result": "ACCEPTED"}
        assert received.at - sent < promised
        assert received.at - sent < 10.0  # sooner than node_ttl: the restart did not wait for it
    finally:
        await station.close()


async def test_a_second_live_process_with_the_same_node_id_refuses_to_start(
    tmp_path: Path, redis_settings: dict[str, Any], mock_scsp: MockScsp, nodes: list[Node]
) -> None:
    """The lease: the twin waits out one node_ttl, sees the first renew it, and stops with one line."""
    first = Node("first", tmp_path / "first.toml")
    nodes.append(first)
    await first.start(redis_settings, mock_scsp.base_url, node_id="twin")
    twin = Node("twin", tmp_path / "twin.toml")
    nodes.append(twin)
    with pytest.raises(RuntimeError) as refused:
        await twin.start(redis_settings, mock_scsp.base_url, node_id="twin")
    assert twin.process is not None
    assert await twin.process.wait() == 2
    lines = str(refused.value).strip().splitlines()
    assert any("redis.node_id" in line and "in use" in line for line in lines), lines
    assert first.process is not None
    assert first.process.returncode is None  # the first one works on, undisturbed


async def test_a_station_moving_from_a_killed_node_brings_its_job_at_once(
    tmp_path: Path, redis_slow_death: dict[str, Any], mock_scsp: MockScsp, nodes: list[Node]
) -> None:
    """Node A is SIGKILLed mid-call; its station reconnects to node B, which sees A's process gone
    (its lease names a pid of this host that no longer runs) and takes A's jobs at once: the
    station gets the job again within a second, not after ``node_ttl`` (10 s)."""
    node_a, node_b = Node("move-a", tmp_path / "a.toml"), Node("move-b", tmp_path / "b.toml")
    nodes.extend((node_a, node_b))
    await asyncio.gather(
        node_a.start(redis_slow_death, mock_scsp.base_url, node_id="move-a"),
        node_b.start(redis_slow_death, mock_scsp.base_url, node_id="move-b"),
    )
    station = SimulatedStation("MOVE-1", node_a.ws_url, behaviour="silent")
    try:
        await station.connect()
        session_id = await station.start_transaction(connector_id=1)
        await asyncio.sleep(0.3)
        url = mock_scsp.result_url("moved")
        answer = await put_profile(node_b.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        assert answer.json()["data"]["result"] == "ACCEPTED"
        await station.wait_for_call("SetChargingProfile", timeout=5)  # open on node A
        node_a.kill()
        await station.wait_disconnected(timeout=10)
        station.behaviour = "accept"
        station.url = f"{node_b.ws_url}/MOVE-1"
        reconnecting = time.monotonic()
        await station.reconnect()
        await station.wait_for_call("SetChargingProfile", timeout=5)
        assert time.monotonic() - reconnecting < 1.0  # re-sent at once, not after node_ttl (10 s)
        received = await result_at(mock_scsp, url, timeout=20)
        assert received.body == {"result": "ACCEPTED"}
    finally:
        await station.close()


async def test_a_station_leaving_a_frozen_node_is_served_within_a_second_and_answered_once(
    tmp_path: Path, redis_slow_death: dict[str, Any], mock_scsp: MockScsp, nodes: list[Node]
) -> None:
    """Node A freezes (SIGSTOP) mid-call: alive for Redis (its lease stands, its process exists), as a
    node on another host or behind a partition would be. The station, its old socket hanging, opens a
    new one to node B, which takes the station's job at once and calls the station within a second
    (node_ttl is 10 s). When A thaws, its own copy of the job finds its entry gone: one result."""
    node_a, node_b = Node("frozen-a", tmp_path / "a.toml"), Node("frozen-b", tmp_path / "b.toml")
    nodes.extend((node_a, node_b))
    await asyncio.gather(
        node_a.start(redis_slow_death, mock_scsp.base_url, node_id="frozen-a"),
        node_b.start(redis_slow_death, mock_scsp.base_url, node_id="frozen-b"),
    )
    assert node_a.process is not None
    old = SimulatedStation("FROZEN-1", node_a.ws_url, behaviour="silent")
    new = SimulatedStation("FROZEN-1", node_b.ws_url)
    try:
        await old.connect()
        session_id = await old.start_transaction(connector_id=1)
        await asyncio.sleep(0.3)
        url = mock_scsp.result_url("frozen")
        answer = await put_profile(node_b.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        assert answer.json()["data"]["result"] == "ACCEPTED"
        await old.wait_for_call("SetChargingProfile", timeout=5)  # open on node A
        node_a.process.send_signal(signal.SIGSTOP)
        new.state = old.state  # the same station (its transaction), on a new socket
        new.behaviour = "accept"
        reconnecting = time.monotonic()
        await new.connect()
        await new.wait_for_call("SetChargingProfile", timeout=5)
        assert time.monotonic() - reconnecting < 1.0  # not node_ttl (10 s): A was never declared dead
        received = await result_at(mock_scsp, url, timeout=10)
        assert received.body == {"result": "ACCEPTED"}
        node_a.process.send_signal(signal.SIGCONT)
        await old.close()  # A wakes up to its call's socket closing: its copy looks for the station
        await asyncio.sleep(2.0)
        posts = [r for r in mock_scsp.received if r.method == "POST" and url.endswith(r.path)]
        assert len(posts) == 1
    finally:
        if node_a.process.returncode is None:
            node_a.process.send_signal(signal.SIGCONT)
        await new.close()
        await old.close()
