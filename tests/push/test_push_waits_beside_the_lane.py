"""A push waiting out its coalescing window does not hold up its station's next job."""

from __future__ import annotations

import asyncio
import time

from ocpi_gateway.backend.memory import MemoryJobQueue
from ocpi_gateway.core.worker import Worker
from ocpi_gateway.domain import Job, JobKind


def job(kind: JobKind, start_after: float | None = None) -> Job:
    now = time.time()
    return Job(
        kind=kind, session_id="S1", station_id="CS-1", created=now, deadline=now + 30, start_after=start_after
    )


async def test_a_later_job_for_the_same_station_passes_a_push_that_may_not_start_yet() -> None:
    """The push (start_after in 0.5 s) is dispatched first, the SET right after it: the SET runs at
    once, the push only when its time comes; both finish, and the worker counts both until then."""
    ran: list[tuple[JobKind, float]] = []
    started = time.monotonic()

    async def handler(j: Job) -> None:
        ran.append((j.kind, time.monotonic() - started))

    worker = Worker(MemoryJobQueue(), handler)
    worker.dispatch(job(JobKind.PUSH, start_after=time.time() + 0.5))
    worker.dispatch(job(JobKind.SET))
    await asyncio.sleep(0.1)
    assert [kind for kind, _ in ran] == [JobKind.SET]
    assert worker.in_flight == 1  # the push is still owed
    assert await worker.drain(2.0) == 0
    assert [kind for kind, _ in ran] == [JobKind.SET, JobKind.PUSH]
    assert ran[1][1] >= 0.45
    await worker.close()
