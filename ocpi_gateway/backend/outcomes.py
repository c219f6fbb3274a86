"""Where job outcomes are kept for a while: in this process, or in Redis for every node.

An outcome is the JSON a caller polls for when a job has no ``response_url`` (see
``ocpi_gateway/core/outcomes.py``). Both stores expire entries after their TTL, so nobody has
to clean up after callers that never come back.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from ocpi_gateway.backend.keys import Keys
from ocpi_gateway.backend.redis.store import redis_errors


class MemoryOutcomeStore:
    """Outcomes in a dict with expiry, bounded so a flood of jobs cannot grow it forever."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, str]] = {}

    async def put(self, job_id: str, outcome: str, ttl: int) -> None:
        now = time.monotonic()
        if len(self._entries) >= self.MAX_ENTRIES and job_id not in self._entries:
            for key in [k for k, (expiry, _) in self._entries.items() if expiry <= now]:
                del self._entries[key]
            while len(self._entries) >= self.MAX_ENTRIES:
                del self._entries[next(iter(self._entries))]
        self._entries[job_id] = (now + ttl, outcome)

    async def get(self, job_id: str) -> str | None:
        found = self._entries.get(job_id)
        if found is None or found[0] <= time.monotonic():
            return None
        return found[1]


class RedisOutcomeStore:
    """Outcomes as plain keys with a TTL, so any node can answer a poll for any job."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def put(self, job_id: str, outcome: str, ttl: int) -> None:
        async with redis_errors():
            await self._redis.set(self._keys.outcome(job_id), outcome, ex=ttl)

    async def get(self, job_id: str) -> str | None:
        async with redis_errors():
            value = await self._redis.get(self._keys.outcome(job_id))
        return None if value is None else str(value)
