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

from ocpi_gateway.domain import Job, Session


class MemorySessionStore:
    def __init__(self) -> None:
        self._by_id: dict[str, Session] = {}
        self._by_tx: dict[tuple[str, str], str] = {}

    async def get(self, session_id: str) -> Session | None:
        return self._by_id.get(session_id)

    async def find_by_transaction(self, station_id: str, transaction_id: str) -> Session | None:
        session_id = self._by_tx.get((station_id, transaction_id))
        return self._by_id.get(session_id) if session_id is not None else None

    async def put(self, session: Session) -> None:
        self._by_id[session.session_id] = session.model_copy(deep=True)
        self._by_tx[(session.station_id, session.transaction_id)] = session.session_id

    async def delete(self, session_id: str) -> None:
        session = self._by_id.pop(session_id, None)
        if session is not None:
            self._by_tx.pop((session.station_id, session.transaction_id), None)

    async def list(self, station_id: str | None = None) -> list[Session]:
        return [
            s.model_copy(deep=True)
            for s in self._by_id.values()
            if station_id is None or s.station_id == station_id
        ]


class MemoryJobQueue:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._open: dict[str, Job] = {}
        self._per_station: Counter[str] = Counter()

    async def put(self, job: Job) -> None:
        self._open[job.job_id] = job
        self._per_station[job.station_id] += 1
        self._queue.put_nowait(job)

    async def get(self) -> Job:
        return await self._queue.get()

    async def ack(self, job: Job) -> None:
        if self._open.pop(job.job_id, None) is not None:
            self._per_station[job.station_id] -= 1
            if self._per_station[job.station_id] <= 0:
                del self._per_station[job.station_id]

    async def pending(self, station_id: str) -> int:
        return self._per_station.get(station_id, 0)


class MemoryBackend:
    """Sessions, jobs and counters in plain dicts and an ``asyncio.Queue``."""

    def __init__(self) -> None:
        self._sessions = MemorySessionStore()
        self._jobs = MemoryJobQueue()
        self._tx_ids = itertools.count(int(time.time()) % 1_000_000_000 + 1)
        self._profile_ids: dict[str, itertools.count[int]] = {}

    @property
    def sessions(self) -> MemorySessionStore:
        return self._sessions

    @property
    def jobs(self) -> MemoryJobQueue:
        return self._jobs

    async def next_transaction_id(self) -> int:
        return next(self._tx_ids)

    async def next_profile_id(self, station_id: str) -> int:
        counter = self._profile_ids.setdefault(station_id, itertools.count(1000))
        return next(counter)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
