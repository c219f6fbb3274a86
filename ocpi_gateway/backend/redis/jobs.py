"""Jobs in Redis Streams: one stream per node, routed to the node that holds the station.

Life of a job: ``put`` XADDs it to the stream of the node holding its station (found in the
station registry); that node's worker reads it with XREADGROUP; ``ack`` (XACK + XDEL) only
after the result was delivered or given up at the deadline. If the station moved, the job
is ``forward``-ed to the new node (only if the entry is still ours). A station that arrives at
a node ``arrive``-s: its entries move from the old node's stream at once, whether that node
lives or not. Nodes heartbeat into a sorted set; a node whose heartbeat is older than
``redis.node_ttl`` is dead and a live node moves every entry of its stream (read or not, acked
never) to where the station is now, or to itself. A node that stops gracefully ``leave``s so
this happens at once.

A job can therefore run in two places for a moment (moved while its old node was calling the
station). ``claim_result`` keeps its result single: the first process with an answer owns the
delivery, recorded with its lease value; a copy delivers only if that owner died.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import deque
from typing import cast

import redis.asyncio as aioredis
import structlog
from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT

from ocpi_gateway.backend.base import Claim
from ocpi_gateway.backend.keys import GROUP, Keys
from ocpi_gateway.backend.redis import scripts as redis_scripts
from ocpi_gateway.backend.redis.lease import holder_gone
from ocpi_gateway.backend.redis.store import RedisStationRegistry, raise_if_cancelled, redis_errors
from ocpi_gateway.domain import Job
from ocpi_gateway.errors import BackendError, NotReplicated

log = structlog.get_logger(__name__)

READ_BATCH = 100
READ_BLOCK_MS = 1000
# How long a result record outlives the job's deadline (copies of a job never run longer).
RESULT_GRACE = 120
# While another live process delivers a job's result, how often a copy looks again, and for how
# long past the deadline (the owner's lease lapses within ``redis.node_ttl`` if it died).
CLAIM_POLL_SECONDS = 0.25
# A held job (``redis.wait_replicas``): how often its node looks whether it may run, and how long the
# hold lasts past the WAIT timeout (it ends by itself if the accepting node died mid-WAIT).
HOLD_POLL_SECONDS = 0.005
HOLD_MARGIN_MS = 2000
CLAIM_PATIENCE = 60.0

# What XRANGE / XREADGROUP give back with decode_responses: [(entry id, {field: value})].
Entries = list[tuple[str, dict[str, str]]]


class RedisJobQueue:
    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        node: str,
        registry: RedisStationRegistry,
        owner: str,
        wait: tuple[int, int] = (0, 0),
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._node = node
        self._owner = owner  # this process's lease value: who owns a result it claimed
        self._host = socket.gethostname()
        # (replicas, timeout ms): how many replicas must hold a job somebody waits for (WAIT).
        self._wait_replicas, self._wait_timeout_ms = wait
        self._registry = registry
        self._stream = keys.node_stream(node)
        self._buffer: deque[Job] = deque()
        self._ready = False
        self.fenced = False  # this process lost the node's lease: it must not read the stream
        self._enqueue = redis.register_script(redis_scripts.ENQUEUE)
        self._withdraw = redis.register_script(redis_scripts.WITHDRAW)
        self._held: set[str] = set()  # jobs read while their accepting node may still withdraw them
        self._ack = redis.register_script(redis_scripts.ACK)
        self._forward = redis.register_script(redis_scripts.FORWARD)
        self._arrive = redis.register_script(redis_scripts.ARRIVE)
        self._claim = redis.register_script(redis_scripts.CLAIM)

    async def setup(self) -> None:
        """Create our stream and consumer group, and announce this node as alive."""
        async with redis_errors():
            try:
                await self._redis.xgroup_create(self._stream, GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            await self.heartbeat()
        self._ready = True

    async def _target(self, station_id: str) -> str:
        info = await self._registry.lookup(station_id)
        return info.node if info is not None else self._node

    async def put(self, job: Job, node: str | None = None) -> None:
        await self.put_settled(job, node, None)

    async def put_settled(self, job: Job, node: str | None, guard: tuple[str, str, int] | None) -> None:
        """``put``, and with ``guard`` = (Redis key, answer, ttl) store that answer in the same script."""
        target = node or await self._target(job.station_id)
        replicated = self._wait_replicas and (
            guard is not None or job.response_url is not None or job.outcome_ttl
        )
        hold_ms = self._wait_timeout_ms + HOLD_MARGIN_MS if replicated else 0
        keys = [self._keys.node_stream(target), self._keys.pending, self._keys.hold(job.job_id)]
        args: list[str | int] = [job.model_dump_json(), job.station_id, hold_ms]
        if guard is not None:
            keys.append(guard[0])
            args += [guard[1], guard[2]]
        if hold_ms:
            await self._put_replicated(keys, args, job)
            return
        async with redis_errors():
            await self._enqueue(keys=keys, args=args)

    async def _put_replicated(self, keys: list[str], args: list[str | int], job: Job) -> None:
        """ENQUEUE (held), then WAIT on the same pooled connection, in one round trip; then release.

        WAIT counts the replicas that acknowledged every earlier write of its connection, so it must
        follow the write on that connection; it blocks the connection, hence not on the lane. The
        job is held meanwhile (its node reads it but does not run it, :meth:`released`): with too few
        replicas in time it is withdrawn and :class:`NotReplicated` raised (503 / OCPI 3000), and
        nothing ran for a request that was answered as failed. ``keys`` and ``args`` are ENQUEUE's,
        with a hold ttl.
        """
        hold, hold_ms = keys[2], args[2]
        async with redis_errors(), self._redis.pipeline(transaction=False) as pipe:
            await self._enqueue(keys=keys, args=args, client=pipe)
            pipe.wait(self._wait_replicas, self._wait_timeout_ms)
            entry_id, confirmed = await pipe.execute()
        if int(confirmed) >= self._wait_replicas:
            async with redis_errors():
                await self._redis.delete(hold)
            return
        async with redis_errors():
            await self._withdraw(keys=keys, args=[str(entry_id), job.station_id, hold_ms])
        log.warning("job_not_replicated", replicas=int(confirmed), wanted=self._wait_replicas)
        raise NotReplicated(self._wait_replicas, int(confirmed), self._wait_timeout_ms)

    async def released(self, job: Job) -> bool:
        """Wait while the job's accepting node waits for its replicas; False if it was withdrawn.

        A held job is looked at every few milliseconds until its hold key is gone (confirmed) or says
        withdrawn; a hold that outlives its expiry (the accepting node died mid-WAIT) lets it run.
        A withdrawn job is acked as a finished one is: where its entry is still here (it moved here
        with its station, or was reclaimed, after it was stored) the entry goes and the station's
        pending count drops; where the withdrawal deleted it already, only our read is left.
        """
        if job.job_id not in self._held:
            return True
        hold = self._keys.hold(job.job_id)
        while True:
            async with redis_errors():
                state = await self._redis.get(hold)
            if state is None:
                self._held.discard(job.job_id)
                return True
            if state == "withdrawn":
                log.info("job_withdrawn", job_id=job.job_id)
                await self.ack(job)
                self._held.discard(job.job_id)
                return False
            await asyncio.sleep(HOLD_POLL_SECONDS)

    async def resume(self, node_ttl: float) -> int:
        """Take back what this node id's previous process left: entries it read and never acked.

        Runs at start, holding the node's reclaim lock (waiting while a peer reclaims us), so
        a peer's reclaim and this resume never both move the same entry. Resumed jobs count
        as reclaimed: one whose station answer was saved is only delivered, never sent again.
        """
        lock = self._keys.reclaim_lock(self._node)
        async with redis_errors():
            for _ in range(int(node_ttl * 30) + 50):
                if await self._redis.set(lock, self._node, nx=True, ex=max(5, int(node_ttl * 3))):
                    break
                await asyncio.sleep(0.1)
            try:
                self._ready = False
                await self.setup()  # a peer's reclaim may have deleted the stream and its group
                answer = await self._redis.xreadgroup(GROUP, self._node, {self._stream: "0"}, count=100_000)
                resumed = self._buffer_entries(cast(list[tuple[str, Entries]], answer or []), reclaimed=True)
            finally:
                await self._redis.delete(lock)
        log.info("node_resumed", node=self._node, jobs=resumed)
        return resumed

    def _buffer_entries(self, answer: list[tuple[str, Entries]], *, reclaimed: bool = False) -> int:
        count = 0
        for _stream, entries in answer:
            for entry_id, fields in entries:
                if not fields:  # deleted after it was read: nothing left to run
                    continue
                job = Job.model_validate_json(fields["job"])
                job.receipt = entry_id
                if reclaimed or "moved" in fields:
                    job.reclaimed += 1
                if "hold" in fields:
                    self._held.add(job.job_id)
                self._buffer.append(job)
                count += 1
        return count

    async def get(self) -> Job:
        if self.fenced:
            await asyncio.Event().wait()  # another process works this node id now: never read again
        if not self._ready:
            await self.setup()
        while not self._buffer:
            raise_if_cancelled()
            try:
                async with redis_errors():
                    answer = await self._redis.xreadgroup(
                        GROUP, self._node, {self._stream: ">"}, count=READ_BATCH, block=READ_BLOCK_MS
                    )
            except BackendError as exc:
                if "NOGROUP" in str(exc):  # our stream was reclaimed while we looked dead: start anew
                    self._ready = False
                raise
            self._buffer_entries(cast(list[tuple[str, Entries]], answer or []))
        return self._buffer.popleft()  # a held one too: ``released`` waits in its station's lane

    async def ack(self, job: Job) -> None:
        keys = [self._stream, self._keys.pending, self._keys.result(job.job_id)]
        async with redis_errors():
            await self._ack(keys=keys, args=[GROUP, job.receipt or "", job.station_id])

    async def pending(self, station_id: str) -> int:
        async with redis_errors():
            value = await self._redis.hget(self._keys.pending, station_id)
        return max(0, int(value or 0))

    async def forward(self, job: Job, node: str) -> None:
        keys = [self._stream, self._keys.node_stream(node)]
        args = [GROUP, job.receipt or "", job.model_dump_json(), job.station_id]
        async with redis_errors():
            forwarded = await self._forward(keys=keys, args=args)
        log.info("job_forwarded" if forwarded else "job_moved_already", to_node=node)

    async def arrive(self, station_id: str, node: str) -> int:
        """Move ``station_id``'s entries from ``node``'s stream to ours (it connected here)."""
        keys = [self._keys.node_stream(node), self._stream]
        async with redis_errors():
            moved = int(await self._arrive(keys=keys, args=[GROUP, station_id]))
        if moved:
            log.info("jobs_followed_station", station_id=station_id, from_node=node, jobs=moved)
        return moved

    async def claim_result(self, job: Job, answer: str | None) -> Claim:
        ttl = max(0, int(job.deadline - time.time())) + RESULT_GRACE
        give_up = job.deadline + CLAIM_PATIENCE
        dead = ""
        while True:
            args: list[str | int] = [self._owner, self._node, answer or "", ttl, self._keys.lease(""), dead]
            async with redis_errors():
                reply = await self._claim(keys=[self._keys.result(job.job_id)], args=args)
            state = str(reply[0])
            if state == "none":
                return Claim()
            if state == "mine":
                return Claim(deliver=str(reply[1]))
            if state == "done":
                return Claim(elsewhere=True)
            owner = str(reply[1])  # 'theirs': a process whose lease still stands is delivering it
            if holder_gone(owner, self._host):
                dead = owner  # a process of this host that no longer runs: take its answer over
                continue
            if time.time() > give_up:
                log.warning("job_result_owner_silent", owner=owner.rsplit(":", 1)[0])
                return Claim(elsewhere=True)
            await asyncio.sleep(CLAIM_POLL_SECONDS)

    async def heartbeat(self) -> None:
        async with redis_errors():
            await self._redis.zadd(self._keys.nodes, {self._node: time.time()})

    async def declare_dead(self, node: str) -> None:
        """Mark ``node`` dead for every node (a heartbeat of 0), as its own ``leave`` would."""
        async with redis_errors():
            await self._redis.zadd(self._keys.nodes, {node: 0}, xx=True)

    async def leave(self) -> None:
        """Mark this node dead at once: the next live node's sweep reclaims what we leave."""
        async with redis_errors():
            await self._redis.zadd(self._keys.nodes, {self._node: 0})

    async def reclaim_dead(self, node_ttl: float) -> int:
        """Move every job of every dead node to where its station is now (or to us)."""
        async with redis_errors():
            dead = await self._redis.zrangebyscore(self._keys.nodes, "-inf", time.time() - node_ttl)
        moved = 0
        for node in dead:
            if node != self._node:
                moved += await self._reclaim(str(node), node_ttl)
        return moved

    async def _reclaim(self, node: str, node_ttl: float) -> int:
        lock = self._keys.reclaim_lock(node)
        async with redis_errors():
            if not await self._redis.set(lock, self._node, nx=True, ex=max(5, int(node_ttl * 3))):
                return 0
            stream = self._keys.node_stream(node)
            entries = cast(Entries, await self._redis.xrange(stream, "-", "+"))
        for entry_id, fields in entries:
            job = Job.model_validate_json(fields["job"])
            job.reclaimed += 1
            target = await self._target(job.station_id)
            copy: dict[FieldT, EncodableT] = {"job": job.model_dump_json(), "st": job.station_id}
            if "hold" in fields:  # still held for its replicas: the copy waits as the original would
                copy["hold"] = fields["hold"]
            async with redis_errors(), self._redis.pipeline(transaction=True) as pipe:
                pipe.xadd(self._keys.node_stream(target), copy)
                pipe.xdel(stream, entry_id)
                await pipe.execute()
            log.info("job_reclaimed", job_id=job.job_id, from_node=node, to_node=target)
        async with redis_errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(stream)
            pipe.zrem(self._keys.nodes, node)
            pipe.delete(lock)
            await pipe.execute()
        log.info("node_reclaimed", node=node, jobs=len(entries))
        return len(entries)
