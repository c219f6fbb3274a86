"""Several nodes on one Redis: routing to the station's node, forwarding, reclaiming the dead."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from ocpi_gateway.backend.keys import Keys
from ocpi_gateway.backend.redis.backend import RedisBackend
from ocpi_gateway.config import RedisSettings
from tests.backend.test_contract import job, station

NodeFactory = Callable[[str], RedisBackend]


@pytest.fixture
async def nodes(redis_settings: dict[str, Any]) -> AsyncIterator[NodeFactory]:
    made: list[RedisBackend] = []

    def make(node: str) -> RedisBackend:
        backend = RedisBackend(RedisSettings(**redis_settings), node)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.close()


async def kill(node: RedisBackend, redis_settings: dict[str, Any]) -> None:
    """Simulate a dead node: its last heartbeat lies far in the past."""
    client = aioredis.Redis.from_url(redis_settings["url"], decode_responses=True)
    await client.zadd(Keys(redis_settings["key_prefix"]).nodes, {node.node_id: time.time() - 3600})
    await client.aclose()


async def started(node: RedisBackend) -> RedisBackend:
    await node.jobs.setup()
    return node


class TestRouting:
    async def test_job_goes_to_the_node_holding_the_station(self, nodes: NodeFactory) -> None:
        """A job accepted on node B for a station held by node A is read by A, not by B."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        await a.stations.up(station("CS-1", "node-a"))
        stored = job("CS-1")
        await b.jobs.put(stored)
        taken = await asyncio.wait_for(a.jobs.get(), 5)
        assert taken.job_id == stored.job_id
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(b.jobs.get(), 1.5)

    async def test_forward_hands_the_job_over(self, nodes: NodeFactory) -> None:
        """A node forwards a job whose station moved; the other node gets it, ours no longer holds it."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        await a.jobs.put(job("CS-1"), "node-a")
        taken = await asyncio.wait_for(a.jobs.get(), 5)
        await a.jobs.forward(taken, "node-b")
        moved = await asyncio.wait_for(b.jobs.get(), 5)
        assert moved.job_id == taken.job_id
        assert await a.jobs.reclaim_dead(1.5) == 0


class TestDeadNodes:
    async def test_presence_ends_with_the_node(
        self, nodes: NodeFactory, redis_settings: dict[str, Any]
    ) -> None:
        """A station held by a node whose heartbeat stopped is nowhere."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        await a.stations.up(station("CS-1", "node-a"))
        assert await b.stations.lookup("CS-1") is not None
        await kill(a, redis_settings)
        assert await b.stations.lookup("CS-1") is None

    async def test_unfinished_jobs_of_a_dead_node_are_reclaimed(
        self, nodes: NodeFactory, redis_settings: dict[str, Any]
    ) -> None:
        """Read-but-unacked and unread jobs of a dead node move to a live node, results kept."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        first, second = job("CS-1"), job("CS-1")
        await a.jobs.put(first, "node-a")
        await a.jobs.put(second, "node-a")
        taken = await asyncio.wait_for(a.jobs.get(), 5)  # in flight when the node dies
        await a.jobs.save_result(taken, '{"result":"ACCEPTED"}')
        await kill(a, redis_settings)
        assert await b.jobs.reclaim_dead(1.5) == 2
        got = [await asyncio.wait_for(b.jobs.get(), 5) for _ in range(2)]
        assert {job.job_id for job in got} == {first.job_id, second.job_id}
        assert [job.reclaimed for job in got] == [1, 1]  # so the runner looks for a saved result
        assert await b.jobs.load_result(taken) == '{"result":"ACCEPTED"}'

    async def test_reclaimed_jobs_follow_the_station(
        self, nodes: NodeFactory, redis_settings: dict[str, Any]
    ) -> None:
        """A dead node's job goes to the live node that holds its station now."""
        a, b, c = [await started(nodes(n)) for n in ("node-a", "node-b", "node-c")]
        await a.jobs.put(job("CS-9"), "node-a")
        await kill(a, redis_settings)
        await c.stations.up(station("CS-9", "node-c"))
        assert await b.jobs.reclaim_dead(1.5) == 1
        taken = await asyncio.wait_for(c.jobs.get(), 5)
        assert taken.station_id == "CS-9"

    async def test_a_node_that_leaves_is_reclaimed_at_once(
        self, nodes: NodeFactory, redis_settings: dict[str, Any]
    ) -> None:
        """After a graceful leave another node takes the unfinished jobs without waiting for the TTL."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        await a.jobs.put(job("CS-1"), "node-a")
        await a.leave()
        assert await b.jobs.reclaim_dead(1.5) == 1
