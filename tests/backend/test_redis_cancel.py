"""Loops over Redis stop when cancelled, even when redis-py swallows the CancelledError.

redis-py 8 can lose a cancellation that lands mid-command; the heartbeat loop then ran
forever and a gateway's shutdown hung (seen as rare 60 s teardown timeouts in the suite).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from ocpi_gateway.backend.redis.backend import RedisBackend
from ocpi_gateway.config import RedisSettings

# Cancel at many points of the loop; most land inside a Redis command.
ROUNDS = 20
# Generous: a stream read blocks up to a second before it looks at its cancellation.
STOP_WITHIN = 5.0


async def cancel_many(start: Callable[[], Awaitable[Any]]) -> int:
    """Start and cancel the loop ``ROUNDS`` times (once each); how many of them stopped."""
    stopped = 0
    for i in range(ROUNDS):
        task = asyncio.ensure_future(start())
        await asyncio.sleep((i % 8) * 0.0005)
        task.cancel()
        await asyncio.wait({task}, timeout=STOP_WITHIN)  # unlike wait_for, never cancels again
        stopped += task.done()
        while not task.done():  # a loop that lost its cancellation: end it for the next round
            task.cancel()
            await asyncio.wait({task}, timeout=STOP_WITHIN)
        with contextlib.suppress(asyncio.CancelledError):
            task.result()
    return stopped


class TestCancellation:
    async def test_heartbeat_and_stream_reads_stop(self, redis_settings: dict[str, Any]) -> None:
        """Every cancelled heartbeat loop and every cancelled job read ends."""
        backend = RedisBackend(RedisSettings(**redis_settings), "node-a")
        try:
            await backend.jobs.setup()
            assert await cancel_many(backend.maintain) == ROUNDS
            assert await cancel_many(backend.jobs.get) == ROUNDS
        finally:
            await backend.close()
