"""The embedded backend: everything in this process, for ``make run`` and single-node use.

It keeps the same contract as Redis (a job is stored before ACCEPTED and acked after its
result) but survives nothing: a restart forgets sessions and queued jobs. Transaction ids
start from a time-based seed so a restarted gateway does not reuse ids that stations may
still be charging under.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from typing import Any

from ocpi_gateway.backend.base import FIRST_PROFILE_ID, AdmissionRequest, Admitted, Claim
from ocpi_gateway.backend.outcomes import MemoryOutcomeStore
from ocpi_gateway.backend.parties import MemoryPartyStore
from ocpi_gateway.domain import Job, Session, StationInfo


class MemorySessionStore:
    def __init__(self) -> None:
        self._by_id: dict[str, Session] = {}
        self._by_tx: dict[tuple[str, str], str] = {}

    async def get(self, session_id: str) -> Session | None:
        """A copy, as Redis hands out: editing it changes nothing until it is put back."""
        session = self._by_id.get(session_id)
        return session.clone() if session is not None else None

    async def find_by_transaction(self, station_id: str, transaction_id: str) -> Session | None:
        session_id = self._by_tx.get((station_id, transaction_id))
        return await self.get(session_id) if session_id is not None else None

    async def put(self, session: Session) -> None:
        self._by_id[session.session_id] = session.clone()
        self._by_tx[(session.station_id, session.transaction_id)] = session.session_id

    async def swap(self, old: Session, new: Session) -> bool:
        if self._by_id.get(old.session_id) != old:
            return False
        await self.put(new)
        return True

    async def delete(self, session_id: str) -> None:
        session = self._by_id.pop(session_id, None)
        if session is not None:
            self._by_tx.pop((session.station_id, session.transaction_id), None)

    async def list(self, station_id: str | None = None) -> list[Session]:
        return [s.clone() for s in self._by_id.values() if station_id is None or s.station_id == station_id]


class MemoryJobQueue:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._open: dict[str, Job] = {}
        self._per_station: Counter[str] = Counter()
        self._results: dict[str, str] = {}

    async def put(self, job: Job, node: str | None = None) -> None:
        self._open[job.job_id] = job
        self._per_station[job.station_id] += 1
        self._queue.put_nowait(job)

    async def get(self) -> Job:
        return await self._queue.get()

    async def released(self, job: Job) -> bool:
        return True  # nothing is held: one process has no replicas to wait for

    async def ack(self, job: Job) -> None:
        self._results.pop(job.job_id, None)
        if self._open.pop(job.job_id, None) is not None:
            self._per_station[job.station_id] -= 1
            if self._per_station[job.station_id] <= 0:
                del self._per_station[job.station_id]

    async def pending(self, station_id: str) -> int:
        return self._per_station.get(station_id, 0)

    async def forward(self, job: Job, node: str) -> None:
        raise AssertionError("the embedded backend has one node; there is nowhere to forward")

    async def claim_result(self, job: Job, answer: str | None) -> Claim:
        """One process runs every job once: the first answer is the one delivered."""
        if answer is None:
            saved = self._results.get(job.job_id)
            return Claim(deliver=saved) if saved is not None else Claim()
        return Claim(deliver=self._results.setdefault(job.job_id, answer))


class MemoryStationRegistry:
    """One node: the registry mirrors the local station directory."""

    def __init__(self) -> None:
        self._stations: dict[str, StationInfo] = {}

    async def up(self, info: StationInfo) -> str | None:
        previous = self._stations.get(info.station_id)
        self._stations[info.station_id] = info
        return previous.node if previous is not None and previous.node != info.node else None

    async def down(self, station_id: str, node: str) -> None:
        info = self._stations.get(station_id)
        if info is not None and info.node == node:
            del self._stations[station_id]

    async def lookup(self, station_id: str) -> StationInfo | None:
        return self._stations.get(station_id)


class MemoryGuards:
    """Idempotency keys and rate-limit buckets with expiry, bounded in size."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._answers: dict[str, tuple[float, str]] = {}
        self._buckets: dict[str, tuple[float, int]] = {}

    @staticmethod
    def _prune(store: dict[str, Any], now: float, limit: int) -> None:
        if len(store) < limit:
            return
        for key in [k for k, (expiry, _) in store.items() if expiry <= now]:
            del store[key]
        while len(store) >= limit:
            del store[next(iter(store))]

    async def claim(self, key: str, ttl: int) -> str | None:
        now = time.monotonic()
        found = self._answers.get(key)
        if found is not None and found[0] > now:
            return found[1]
        self._prune(self._answers, now, self.MAX_KEYS)
        self._answers[key] = (now + ttl, "")
        return None

    async def settle(self, key: str, answer: str, ttl: int) -> None:
        self._answers[key] = (time.monotonic() + ttl, answer)

    async def release(self, key: str) -> None:
        self._answers.pop(key, None)

    async def hit(self, key: str, window: int) -> int:
        now = time.monotonic()
        bucket = f"{key}:{int(time.time()) // window}"
        expiry, count = self._buckets.get(bucket, (now + window, 0))
        self._prune(self._buckets, now, self.MAX_KEYS)
        self._buckets[bucket] = (expiry, count + 1)
        return count + 1


class MemoryAdmission:
    """The admission calls composed from the other stores (one process: nothing to save)."""

    def __init__(
        self,
        guards: MemoryGuards,
        sessions: MemorySessionStore,
        stations: MemoryStationRegistry,
        jobs: MemoryJobQueue,
    ) -> None:
        self._guards = guards
        self._sessions = sessions
        self._stations = stations
        self._jobs = jobs

    async def admit(self, request: AdmissionRequest) -> Admitted:
        previous = await self._guards.claim(request.idempotency_key, request.idempotency_ttl)
        if previous is not None:
            return Admitted(previous=previous)
        for key, limit in request.rate_limits:
            if await self._guards.hit(key, request.rate_window) > limit:
                return Admitted(previous=None, over_limit=key)
        session = await self._sessions.get(request.session_id)
        if session is None:
            return Admitted(previous=None)
        return Admitted(
            previous=None,
            session=session,
            station=await self._stations.lookup(session.station_id),
            pending=await self._jobs.pending(session.station_id),
        )

    async def accept(self, job: Job, node: str | None, idempotency_key: str, answer: str, ttl: int) -> None:
        await self._jobs.put(job, node)
        await self._guards.settle(idempotency_key, answer, ttl)


class MemoryBackend:
    """Sessions, jobs and counters in plain dicts and an ``asyncio.Queue``."""

    def __init__(self, node_id: str = "embedded") -> None:
        self._node_id = node_id
        self._sessions = MemorySessionStore()
        self._jobs = MemoryJobQueue()
        self._stations = MemoryStationRegistry()
        self._guards = MemoryGuards()
        self._parties = MemoryPartyStore()
        self._outcomes = MemoryOutcomeStore()
        self._admission = MemoryAdmission(self._guards, self._sessions, self._stations, self._jobs)
        self._tx_ids = itertools.count(int(time.time()) % 1_000_000_000 + 1)
        self._profile_ids: dict[str, itertools.count[int]] = {}

    @property
    def sessions(self) -> MemorySessionStore:
        return self._sessions

    @property
    def jobs(self) -> MemoryJobQueue:
        return self._jobs

    @property
    def stations(self) -> MemoryStationRegistry:
        return self._stations

    @property
    def guards(self) -> MemoryGuards:
        return self._guards

    @property
    def admission(self) -> MemoryAdmission:
        return self._admission

    @property
    def parties(self) -> MemoryPartyStore:
        return self._parties

    @property
    def outcomes(self) -> MemoryOutcomeStore:
        return self._outcomes

    @property
    def node_id(self) -> str:
        return self._node_id

    async def start(self) -> None:
        return None

    async def adopt(self, node: str, station_id: str) -> int:
        return 0  # one process: no other node

    async def maintain(self) -> None:
        return None

    async def leave(self) -> None:
        return None

    async def next_transaction_id(self) -> int:
        return next(self._tx_ids)

    async def next_profile_id(self, station_id: str) -> int:
        counter = self._profile_ids.setdefault(station_id, itertools.count(FIRST_PROFILE_ID))
        return next(counter)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
