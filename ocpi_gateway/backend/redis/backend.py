"""The durable Redis backend: the same interface as the embedded one, shared by every node.

Composition only: sessions, presence, guards and sequences live in ``store``, jobs in
``jobs``, the synchronous admission of a request in ``admission``, Lua in
``scripts``, key names in ``backend/keys.py``. ``maintain`` keeps this node's heartbeat fresh and
reclaims the jobs of dead nodes.
"""

from __future__ import annotations

import asyncio
import socket

import redis.asyncio as aioredis
import structlog

from ocpi_gateway.backend.keys import Keys
from ocpi_gateway.backend.outcomes import RedisOutcomeStore
from ocpi_gateway.backend.redis.admission import RedisAdmission
from ocpi_gateway.backend.redis.connect import connection_pool
from ocpi_gateway.backend.redis.jobs import RedisJobQueue
from ocpi_gateway.backend.redis.lane import PipelinedRedis
from ocpi_gateway.backend.redis.lease import NodeLease, holder_gone
from ocpi_gateway.backend.redis.store import (
    RedisGuards,
    RedisPartyStore,
    RedisSequences,
    RedisSessionStore,
    RedisStationRegistry,
    raise_if_cancelled,
    redis_errors,
)
from ocpi_gateway.config import RedisSettings
from ocpi_gateway.errors import BackendError

log = structlog.get_logger(__name__)


class RedisBackend:
    def __init__(self, settings: RedisSettings, node_id: str) -> None:
        self._settings = settings
        self._node_id = node_id
        pool = connection_pool(settings)  # direct from redis.url, or through Sentinel (connect.py)
        # Plain commands share one auto-pipelined connection (lane.py); blocking ones use the pool.
        self._redis: aioredis.Redis = PipelinedRedis.from_pool(pool)
        keys = self._keys = Keys(settings.key_prefix)
        self._sessions = RedisSessionStore(self._redis, keys, settings.completed_session_ttl)
        self._stations = RedisStationRegistry(self._redis, keys, settings.node_ttl)
        self._guards = RedisGuards(self._redis, keys)
        self._sequences = RedisSequences(self._redis, keys)
        self._lease = NodeLease(self._redis, keys, node_id, settings.node_ttl)
        wait = (settings.wait_replicas, settings.wait_timeout_ms)
        self._jobs = RedisJobQueue(self._redis, keys, node_id, self._stations, self._lease.value, wait)
        self._parties = RedisPartyStore(self._redis, keys)
        self._outcomes = RedisOutcomeStore(self._redis, keys)
        self._admission = RedisAdmission(self._redis, keys, self._guards, self._stations, self._jobs)

    @property
    def sessions(self) -> RedisSessionStore:
        return self._sessions

    @property
    def jobs(self) -> RedisJobQueue:
        return self._jobs

    @property
    def parties(self) -> RedisPartyStore:
        return self._parties

    @property
    def outcomes(self) -> RedisOutcomeStore:
        return self._outcomes

    @property
    def stations(self) -> RedisStationRegistry:
        return self._stations

    @property
    def guards(self) -> RedisGuards:
        return self._guards

    @property
    def admission(self) -> RedisAdmission:
        return self._admission

    @property
    def node_id(self) -> str:
        return self._node_id

    async def next_transaction_id(self) -> int:
        return await self._sequences.next_transaction_id()

    async def next_profile_id(self, station_id: str) -> int:
        return await self._sequences.next_profile_id(station_id)

    async def ping(self) -> bool:
        try:
            async with redis_errors():
                return bool(await self._redis.ping())
        except BackendError:
            return False

    async def start(self) -> None:
        """Hold this node id's lease, then resume what its previous process left in the stream.

        Raises:
            NodeIdInUse: another live process works this node id.
            BackendError: Redis cannot be reached.
        """
        async with redis_errors():
            await self._lease.acquire()
        await self._jobs.resume(self._settings.node_ttl)

    async def adopt(self, node: str, station_id: str) -> int:
        """A station arrived here from ``node``: its jobs follow it now, and a dead node's all do.

        The station's entries move from ``node``'s stream to ours at once (``arrive``), dead or
        alive: a live node that was still calling the station over its old socket finds its entry
        gone, so it neither forwards nor acks it twice, and ``claim_result`` keeps one result.
        ``node`` is dead now when its lease is gone (expired, or released on a graceful stop) or
        held by a process of this host that no longer runs; then it is marked dead for every node
        and its stream reclaimed (its other jobs go where their stations are now). A node whose
        death cannot be told yet (a lease from another host) is left to ``redis.node_ttl``.
        """
        if node == self._node_id:
            return 0
        moved = await self._jobs.arrive(station_id, node)
        async with redis_errors():
            holder = await self._redis.get(self._keys.lease(node))
        if holder is not None and not holder_gone(str(holder), socket.gethostname()):
            return moved
        await self._jobs.declare_dead(node)
        reclaimed = await self._jobs.reclaim_dead(self._settings.node_ttl)
        log.info("node_adopted", node=node, jobs=moved + reclaimed)
        return moved + reclaimed

    async def maintain(self) -> None:
        """Heartbeat (and renew the lease) every third of ``node_ttl``, reclaim dead nodes;
        survives Redis outages. A lost lease fences the node: it stops reading its stream."""
        interval = self._settings.node_ttl / 3
        healthy = True
        while True:
            try:
                async with redis_errors():
                    if not self._jobs.fenced and not await self._lease.renew():
                        self._jobs.fenced = True
                await self._jobs.heartbeat()
                await self._jobs.reclaim_dead(self._settings.node_ttl)
                if not healthy:
                    log.info("redis_recovered", node=self._node_id)
                healthy = True
            except BackendError as exc:
                if healthy:
                    log.error("redis_unavailable", node=self._node_id, error=str(exc))
                healthy = False
            raise_if_cancelled()
            await asyncio.sleep(interval)

    async def leave(self) -> None:
        try:
            await self._jobs.leave()
            async with redis_errors():
                await self._lease.release()
        except BackendError as exc:
            log.warning("node_leave_failed", error=str(exc))

    async def close(self) -> None:
        await self._redis.aclose()
