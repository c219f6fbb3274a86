"""The auto-pipelined lane (``backend/redis/lane.py``) answers exactly as redis-py does, to the right caller.

Everything runs against a real Redis: the shared test server for the answers, and a private
``redis-server`` the tests stop and start again for the connection that goes stale.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, ResponseError

from ocpi_gateway.backend.redis.lane import Lane, PipelinedRedis, bypasses_lane
from ocpi_gateway.cli.demo import free_port
from tests.redis_support import RedisServer

SCRIPT = "redis.call('INCRBY', KEYS[1], ARGV[1]); return {redis.call('GET', KEYS[1]), ARGV[2]}"


def pool_for(url: str) -> aioredis.BlockingConnectionPool:
    """The pool the backend makes (decoded answers, a socket timeout), as ``backend.py`` does."""
    return aioredis.BlockingConnectionPool.from_url(
        url, max_connections=8, timeout=5, decode_responses=True, socket_timeout=5, socket_connect_timeout=2
    )


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[tuple[PipelinedRedis, aioredis.Redis, str]]:
    """A lane client and a plain redis-py client on the same server, with a fresh key prefix."""
    lane = PipelinedRedis.from_pool(pool_for(redis_url))
    plain = aioredis.Redis.from_pool(pool_for(redis_url))
    prefix = f"lane-{uuid.uuid4().hex[:8]}"
    yield lane, plain, prefix
    keys = [k async for k in plain.scan_iter(match=f"{prefix}*")]
    if keys:
        await plain.delete(*keys)
    await lane.aclose()
    await plain.aclose()


async def script_of_commands(client: aioredis.Redis, prefix: str) -> list[Any]:
    """A spread of the command shapes the backend uses, with their redis-py response callbacks."""
    script = client.register_script(SCRIPT)
    out: list[Any] = [
        await client.set(f"{prefix}:s", "v", nx=True),
        await client.set(f"{prefix}:s", "w", nx=True),  # None: NX refused
        await client.get(f"{prefix}:s"),
        await client.hset(f"{prefix}:h", mapping={"a": "1", "b": "2"}),
        await client.hgetall(f"{prefix}:h"),
        await client.incr(f"{prefix}:n"),
        await client.expire(f"{prefix}:n", 100),
        await client.sadd(f"{prefix}:set", "x", "y"),
        sorted(await client.smembers(f"{prefix}:set")),
        await client.mget([f"{prefix}:s", f"{prefix}:missing"]),
        await script(keys=[f"{prefix}:c"], args=[5, "tag"]),  # EVALSHA, NoScriptError -> load -> retry
        await client.zadd(f"{prefix}:z", {"m": 1.5}),
        await client.zrangebyscore(f"{prefix}:z", 0, 10, withscores=True),
        await client.exists(f"{prefix}:s", f"{prefix}:missing"),
        await client.delete(f"{prefix}:s"),
        await client.get(f"{prefix}:s"),
    ]
    entry = await client.xadd(f"{prefix}:st", {"f": "v"})
    out.append([(fields) for _id, fields in await client.xrange(f"{prefix}:st")])
    out.append(entry.count("-"))
    return out


async def test_every_command_shape_answers_as_redis_py_does(
    clients: tuple[PipelinedRedis, aioredis.Redis, str],
) -> None:
    """Same commands, two prefixes, one client each: identical answers (callbacks and scripts included)."""
    lane, plain, prefix = clients
    assert await script_of_commands(lane, f"{prefix}a") == await script_of_commands(plain, f"{prefix}b")


async def test_thousands_of_concurrent_commands_each_get_their_own_reply(
    clients: tuple[PipelinedRedis, aioredis.Redis, str],
) -> None:
    """2,000 INCRs at once: every reply 1..2000 exactly once, and the counter at 2,000."""
    lane, plain, prefix = clients
    replies = await asyncio.gather(*(lane.incr(f"{prefix}:count") for _ in range(2000)))
    assert sorted(replies) == list(range(1, 2001))
    assert await plain.get(f"{prefix}:count") == "2000"
    values = await asyncio.gather(*(lane.set(f"{prefix}:k{i}", i) for i in range(300)))
    assert all(values)
    got = await asyncio.gather(*(lane.get(f"{prefix}:k{i}") for i in range(300)))
    assert got == [str(i) for i in range(300)]


async def test_a_cancelled_caller_does_not_shift_the_replies_of_others(
    clients: tuple[PipelinedRedis, aioredis.Redis, str],
) -> None:
    """Callers that stop waiting leave their reply unread by anyone; every other caller gets its own."""
    lane, plain, prefix = clients
    await plain.mset({f"{prefix}:v{i}": str(i) for i in range(200)})
    tasks = [asyncio.create_task(lane.get(f"{prefix}:v{i}")) for i in range(200)]
    await asyncio.sleep(0)
    for task in tasks[::3]:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for i, result in enumerate(results):
        if i % 3:
            assert result == str(i)
    assert await lane.get(f"{prefix}:v7") == "7"


async def test_an_error_reply_fails_only_its_own_command(
    clients: tuple[PipelinedRedis, aioredis.Redis, str],
) -> None:
    """An INCR on text fails with redis-py's ResponseError; its neighbours in the batch succeed."""
    lane, _plain, prefix = clients
    await lane.set(f"{prefix}:text", "abc")
    before, bad, after = await asyncio.gather(
        lane.incr(f"{prefix}:ok"),
        lane.incr(f"{prefix}:text"),
        lane.incr(f"{prefix}:ok"),
        return_exceptions=True,
    )
    assert (before, after) == (1, 2)
    assert isinstance(bad, ResponseError)


async def test_blocking_commands_do_not_hold_the_lane(
    clients: tuple[PipelinedRedis, aioredis.Redis, str],
) -> None:
    """While an XREADGROUP BLOCK waits on its own connection, plain commands still come back."""
    lane, plain, prefix = clients
    stream = f"{prefix}:jobs"
    await plain.xgroup_create(stream, "g", id="0", mkstream=True)
    reader = asyncio.create_task(lane.xreadgroup("g", "c", {stream: ">"}, count=1, block=10_000))
    await asyncio.sleep(0.2)
    assert await lane.set(f"{prefix}:x", "1")
    assert await lane.get(f"{prefix}:x") == "1"
    assert not reader.done()  # the blocking read is still waiting: the SET/GET did not queue behind it
    await plain.xadd(stream, {"f": "v"})
    answer = await asyncio.wait_for(reader, 10)
    assert answer[0][1][0][1] == {"f": "v"}


def test_bypass_rules() -> None:
    """Blocking and connection-state commands, as text or bytes, never join the lane."""
    assert bypasses_lane(("XREADGROUP", b"GROUP", "g", "c", b"BLOCK", 100, b"STREAMS", "s", ">"))
    assert not bypasses_lane(("XREADGROUP", b"GROUP", "g", "c", b"STREAMS", "s", ">"))
    assert bypasses_lane(("WAIT", 1, 100))
    assert bypasses_lane(("MULTI",))
    assert not bypasses_lane(("EVALSHA", "abc", 1, "k"))
    assert not bypasses_lane(("SCRIPT LOAD", "return 1"))


async def test_a_redis_restart_costs_no_command(tmp_path: Path) -> None:
    """The lane's connection goes stale when Redis restarts: the next command is sent again, once."""
    server = RedisServer(free_port(), tmp_path)
    server.start()
    client = PipelinedRedis.from_pool(pool_for(server.url))
    try:
        assert await client.incr("restart:n") == 1
        server.stop()
        server.start()  # the lane's connection is now dead, and nothing has told it yet
        assert await client.incr("restart:n") == 1  # a new server (no persistence): counted once
        assert await client.get("restart:n") == "1"
        server.stop()
        with pytest.raises(RedisConnectionError):
            await client.incr("restart:n")  # Redis is down: an error, not a hang
    finally:
        await client.aclose()
        server.stop()


async def test_closing_fails_the_waiting_callers(redis_url: str) -> None:
    """A lane closed with commands queued answers them (ConnectionError) instead of leaving them hanging."""
    pool = pool_for(redis_url)
    lane = Lane(pool)
    waiting = asyncio.create_task(lane.execute(("GET", "nothing-here"), raw=False))
    await lane.close()
    result = await asyncio.gather(waiting, return_exceptions=True)
    assert result[0] is None or isinstance(result[0], RedisConnectionError)
    await pool.aclose()


async def test_a_script_the_server_forgot_is_loaded_again(
    clients: tuple[PipelinedRedis, aioredis.Redis, str],
) -> None:
    """After ``SCRIPT FLUSH`` (what a restarted or promoted server knows) the next call still runs."""
    lane, plain, prefix = clients
    script = lane.register_script(SCRIPT)
    assert await script(keys=[f"{prefix}:c"], args=[2, "a"]) == ["2", "a"]
    await plain.script_flush()
    assert await script(keys=[f"{prefix}:c"], args=[3, "b"]) == ["5", "b"]
    pipe = lane.pipeline(transaction=False)  # with a pipeline it is redis-py's own call
    await script(keys=[f"{prefix}:c"], args=[1, "c"], client=pipe)
    assert await pipe.execute() == [["6", "c"]]


class PointsAtOneServer:
    """A stand-in for redis-py's Sentinel manager that names one server as the primary, and counts asks."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.asked = 0

    async def discover_master(self, _service: str) -> tuple[str, int]:
        self.asked += 1
        return ("127.0.0.1", self.port)

    async def discover_slaves(self, _service: str) -> list[tuple[str, int]]:
        return []


async def test_readonly_fails_only_its_command_on_a_direct_connection(tmp_path: Path) -> None:
    """``redis.url`` naming a replica: a write gets redis-py's ReadOnlyError; reads beside it answer."""
    replica = RedisServer(free_port(), tmp_path, replica_of=free_port())  # its primary never answers
    replica.start()
    client = PipelinedRedis.from_pool(pool_for(replica.url))
    try:
        before, write, after = await asyncio.gather(
            client.get("ro:k"), client.set("ro:k", "v"), client.get("ro:k"), return_exceptions=True
        )
        assert (before, after) == (None, None)
        assert isinstance(write, ReadOnlyError)
    finally:
        await client.aclose()
        replica.stop()


async def test_readonly_through_sentinel_drops_the_connection_and_asks_again(tmp_path: Path) -> None:
    """A demoted primary behind Sentinel: READONLY is a connection error and the Sentinels are asked anew.

    That is what redis-py's Sentinel connection does on its own reads; the lane parses replies
    itself, so it must do the same or a failover would leave it writing to a replica.
    """
    replica = RedisServer(free_port(), tmp_path, replica_of=free_port())
    replica.start()
    sentinels = PointsAtOneServer(replica.port)
    pool = SentinelConnectionPool("primary", sentinels, decode_responses=True, socket_timeout=5)
    client = PipelinedRedis.from_pool(pool)
    try:
        assert await client.get("ro:k") is None  # connected: the primary was asked for once
        asked = sentinels.asked
        with pytest.raises(RedisConnectionError):
            await client.set("ro:k", "v")
        assert sentinels.asked > asked  # the batch was tried again on a connection made anew
    finally:
        await client.aclose()
        replica.stop()
