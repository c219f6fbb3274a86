"""Several nodes on one Redis: routing to the station's node, forwarding, reclaiming the dead."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as aioredis
from structlog.testing import capture_logs

from ocpi_gateway.backend.base import Claim
from ocpi_gateway.backend.keys import Keys
from ocpi_gateway.backend.redis import scripts as redis_scripts
from ocpi_gateway.backend.redis.backend import RedisBackend
from ocpi_gateway.config import RedisSettings
from ocpi_gateway.domain import Job
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


@dataclass
class Direct:
    """A plain client on the test Redis and the test's keys: to stage or read what nodes store."""

    client: aioredis.Redis
    keys: Keys


@pytest.fixture
async def direct(redis_settings: dict[str, Any]) -> AsyncIterator[Direct]:
    client = aioredis.Redis.from_url(redis_settings["url"], decode_responses=True)
    yield Direct(client, Keys(redis_settings["key_prefix"]))
    await client.aclose()


async def kill(node: RedisBackend, direct: Direct) -> None:
    """Simulate a dead node: its last heartbeat lies far in the past."""
    await direct.client.zadd(direct.keys.nodes, {node.node_id: time.time() - 3600})


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
    async def test_presence_ends_with_the_node(self, nodes: NodeFactory, direct: Direct) -> None:
        """A station held by a node whose heartbeat stopped is nowhere."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        await a.stations.up(station("CS-1", "node-a"))
        assert await b.stations.lookup("CS-1") is not None
        await kill(a, direct)
        assert await b.stations.lookup("CS-1") is None

    async def test_unfinished_jobs_of_a_dead_node_are_reclaimed(
        self, nodes: NodeFactory, direct: Direct
    ) -> None:
        """Read-but-unacked and unread jobs of a dead node move to a live node, results kept."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        first, second = job("CS-1"), job("CS-1")
        await a.jobs.put(first, "node-a")
        await a.jobs.put(second, "node-a")
        taken = await asyncio.wait_for(a.jobs.get(), 5)  # in flight when the node dies
        await a.jobs.claim_result(taken, '{"result":"ACCEPTED"}')
        await kill(a, direct)
        assert await b.jobs.reclaim_dead(1.5) == 2
        got = [await asyncio.wait_for(b.jobs.get(), 5) for _ in range(2)]
        assert {job.job_id for job in got} == {first.job_id, second.job_id}
        assert [job.reclaimed for job in got] == [1, 1]  # so the runner looks for a saved result
        # a's lease was never held (a test without start()): its process counts as gone
        assert await b.jobs.claim_result(taken, None) == Claim(deliver='{"result":"ACCEPTED"}')

    async def test_reclaimed_jobs_follow_the_station(self, nodes: NodeFactory, direct: Direct) -> None:
        """A dead node's job goes to the live node that holds its station now."""
        a, b, c = [await started(nodes(n)) for n in ("node-a", "node-b", "node-c")]
        await a.jobs.put(job("CS-9"), "node-a")
        await kill(a, direct)
        await c.stations.up(station("CS-9", "node-c"))
        assert await b.jobs.reclaim_dead(1.5) == 1
        taken = await asyncio.wait_for(c.jobs.get(), 5)
        assert taken.station_id == "CS-9"

    async def test_a_node_that_leaves_is_reclaimed_at_once(self, nodes: NodeFactory) -> None:
        """After a graceful leave another node takes the unfinished jobs without waiting for the TTL."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        await a.jobs.put(job("CS-1"), "node-a")
        await a.leave()
        assert await b.jobs.reclaim_dead(1.5) == 1


class TestStationArrives:
    """A station that connects to another node takes its open jobs along at once (issue 17.2)."""

    async def test_its_jobs_move_from_a_live_node_and_the_old_copy_is_not_forwarded_again(
        self, nodes: NodeFactory, direct: Direct
    ) -> None:
        """Read and unread jobs of CS-1 move from A to B; CS-2's stay; A's late forward and ack do nothing."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        await a.start()  # A lives: its lease stands
        first, second, other = job("CS-1"), job("CS-1"), job("CS-2")
        for stored in (first, second, other):
            await a.jobs.put(stored, "node-a")
        in_flight = await asyncio.wait_for(a.jobs.get(), 5)
        assert in_flight.job_id == first.job_id
        assert await b.adopt("node-a", "CS-1") == 2
        got = [await asyncio.wait_for(b.jobs.get(), 5) for _ in range(2)]
        assert [j.job_id for j in got] == [first.job_id, second.job_id]
        assert [j.reclaimed for j in got] == [1, 1]  # moved: the runner looks for an answer first
        with capture_logs() as logs:
            await a.jobs.forward(in_flight, "node-b")  # A's copy found the station gone
        assert [e["event"] for e in logs] == ["job_moved_already"]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(b.jobs.get(), 1.5)  # nothing forwarded twice
        await a.jobs.ack(in_flight)  # a copy's ack does not count the job as finished
        assert await a.jobs.pending("CS-1") == 2
        for moved in got:
            await b.jobs.ack(moved)
        assert int(await direct.client.hget(direct.keys.pending, "CS-1") or 0) == 0
        # A read its batch before the move: its stale copy of the second job comes, then CS-2's own.
        left = [(await asyncio.wait_for(a.jobs.get(), 5)).job_id for _ in range(2)]
        assert left == [second.job_id, other.job_id]

    async def test_arriving_from_a_node_that_never_had_its_jobs_moves_nothing(
        self, nodes: NodeFactory
    ) -> None:
        """A station whose old node has nothing open for it: nothing moves, the node's lease is left alone."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        await a.start()
        await a.jobs.put(job("CS-2"), "node-a")
        assert await b.adopt("node-a", "CS-1") == 0
        assert (await asyncio.wait_for(a.jobs.get(), 5)).station_id == "CS-2"


async def store_held(direct: Direct, node: str, station_id: str) -> tuple[Job, str]:
    """What ``put`` stores before its WAIT with ``redis.wait_replicas``: a held job; its entry id."""
    held = job(station_id)
    entry = await direct.client.register_script(redis_scripts.ENQUEUE)(
        keys=[direct.keys.node_stream(node), direct.keys.pending, direct.keys.hold(held.job_id)],
        args=[held.model_dump_json(), station_id, 10_000],
    )
    return held, str(entry)


async def end_hold(direct: Direct, node: str, held: Job, entry: str, *, confirmed: bool) -> int:
    """The accepting node's end of the WAIT: release the hold, or withdraw the job (returns WITHDRAW's)."""
    hold = direct.keys.hold(held.job_id)
    if confirmed:
        return int(await direct.client.delete(hold))
    withdraw = direct.client.register_script(redis_scripts.WITHDRAW)
    keys = [direct.keys.node_stream(node), direct.keys.pending, hold]
    return int(await withdraw(keys=keys, args=[entry, held.station_id, 10_000]))


async def counted(direct: Direct, station_id: str, node: str) -> tuple[int, int]:
    """The station's pending count and the length of the node's stream."""
    pending = int(await direct.client.hget(direct.keys.pending, station_id) or 0)
    return pending, int(await direct.client.xlen(direct.keys.node_stream(node)))


class TestHeldJobs:
    """``redis.wait_replicas``: a job stored before its replicas confirmed it runs only once released."""

    async def test_a_held_job_is_read_at_once_and_waits_alone(
        self, nodes: NodeFactory, direct: Direct
    ) -> None:
        """The node reads a held job and the next station's job without waiting for the hold: only
        ``released`` (called in the held job's own station lane) waits, until the hold ends."""
        a = await started(nodes("node-a"))
        held, entry = await store_held(direct, "node-a", "CS-1")
        other = job("CS-2")
        await a.jobs.put(other, "node-a")
        got = [await asyncio.wait_for(a.jobs.get(), 2) for _ in range(2)]
        assert [j.job_id for j in got] == [held.job_id, other.job_id]
        assert await asyncio.wait_for(a.jobs.released(got[1]), 1) is True  # not held: at once
        releasing = asyncio.create_task(a.jobs.released(got[0]))
        await asyncio.sleep(0.3)
        assert not releasing.done()  # still held for the replicas
        assert await end_hold(direct, "node-a", held, entry, confirmed=True) == 1
        assert await asyncio.wait_for(releasing, 2) is True

    async def test_a_withdrawn_job_is_dropped_and_uncounted(self, nodes: NodeFactory, direct: Direct) -> None:
        """The replicas fell short: the job never runs and leaves no count or entry behind."""
        a = await started(nodes("node-a"))
        held, entry = await store_held(direct, "node-a", "CS-1")
        got = await asyncio.wait_for(a.jobs.get(), 2)
        releasing = asyncio.create_task(a.jobs.released(got))
        await asyncio.sleep(0.1)
        assert await end_hold(direct, "node-a", held, entry, confirmed=False) == 1
        assert await asyncio.wait_for(releasing, 2) is False
        assert await counted(direct, "CS-1", "node-a") == (0, 0)

    async def test_a_job_still_held_for_its_replicas_moves_held(
        self, nodes: NodeFactory, direct: Direct
    ) -> None:
        """A held job moves with its station (``ARRIVE``) and stays held: B runs it only once released."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        await a.start()
        held, entry = await store_held(direct, "node-a", "CS-1")
        assert await b.adopt("node-a", "CS-1") == 1
        got = await asyncio.wait_for(b.jobs.get(), 2)
        releasing = asyncio.create_task(b.jobs.released(got))
        await asyncio.sleep(0.3)
        assert not releasing.done()
        await end_hold(direct, "node-a", held, entry, confirmed=True)
        assert await asyncio.wait_for(releasing, 2) is True

    @pytest.mark.parametrize("how", ["moved", "reclaimed"])
    async def test_a_job_withdrawn_after_it_left_its_node_is_dropped_and_uncounted(
        self, how: str, nodes: NodeFactory, direct: Direct
    ) -> None:
        """The copy on B of a job A withdraws (moved with its station, or reclaimed from A taken for dead
        in the middle of its WAIT) never runs, and neither the station's pending count (which
        stretches later ``timeout`` answers) nor B's stream keeps it."""
        a, b = await started(nodes("node-a")), await started(nodes("node-b"))
        held, entry = await store_held(direct, "node-a", "CS-1")
        if how == "moved":
            await a.start()
            assert await b.adopt("node-a", "CS-1") == 1
        else:
            await kill(a, direct)
            assert await b.jobs.reclaim_dead(1.5) == 1
        got = await asyncio.wait_for(b.jobs.get(), 2)
        releasing = asyncio.create_task(b.jobs.released(got))
        await asyncio.sleep(0.3)
        assert not releasing.done()  # the copy waits for the hold as the original would
        assert await end_hold(direct, "node-a", held, entry, confirmed=False) == 0  # left A already
        assert await asyncio.wait_for(releasing, 2) is False
        assert await counted(direct, "CS-1", "node-b") == (0, 0)


async def claimed_by_a(nodes: NodeFactory) -> tuple[RedisBackend, RedisBackend, Job, Job]:
    """Nodes A and B alive; A read a job and claimed ACCEPTED for it; B holds a moved copy."""
    a, b = await started(nodes("node-a")), await started(nodes("node-b"))
    await a.start()
    await b.start()
    stored = job("CS-1")
    await a.jobs.put(stored, "node-a")
    copy_a = await asyncio.wait_for(a.jobs.get(), 5)
    assert await a.jobs.claim_result(copy_a, '{"result":"ACCEPTED"}') == Claim(
        deliver='{"result":"ACCEPTED"}'
    )
    return a, b, copy_a, stored.model_copy(update={"reclaimed": 1})


class TestOneResult:
    """Two copies of one job (moved while its old node still ran it) deliver one result."""

    async def test_a_live_owner_keeps_the_delivery_and_the_copy_only_acks(self, nodes: NodeFactory) -> None:
        """B's claim waits while A (alive) delivers; once A acks, B is told the result went elsewhere."""
        a, b, copy_a, copy_b = await claimed_by_a(nodes)
        waiting = asyncio.create_task(b.jobs.claim_result(copy_b, '{"result":"REJECTED"}'))
        await asyncio.sleep(0.6)
        assert not waiting.done()  # A still delivers
        await a.jobs.ack(copy_a)
        assert await asyncio.wait_for(waiting, 5) == Claim(elsewhere=True)
        assert await b.jobs.claim_result(copy_b, None) == Claim(elsewhere=True)

    async def test_an_owner_whose_lease_is_gone_hands_its_answer_over(
        self, nodes: NodeFactory, direct: Direct
    ) -> None:
        """A claimed the answer and died (its lease lapsed): B delivers A's answer, not its own."""
        _a, b, _copy_a, copy_b = await claimed_by_a(nodes)
        await direct.client.delete(direct.keys.lease("node-a"))  # what expiry does
        claim = await asyncio.wait_for(b.jobs.claim_result(copy_b, '{"result":"REJECTED"}'), 2)
        assert claim == Claim(deliver='{"result":"ACCEPTED"}')
