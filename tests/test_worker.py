"""The job loop's lanes (``core/worker.py``): one job at a time per station, in order, never stuck.

Lanes end as soon as they are empty; these tests hold the promises that made lanes exist
(order per station, one open call per station, stations independent) across a lane ending
and a new one starting.
"""

from __future__ import annotations

import asyncio
import time

from ocpi_gateway.backend.memory import MemoryJobQueue
from ocpi_gateway.core.worker import Worker
from ocpi_gateway.domain import Job, JobKind


def job(station: str, n: int) -> Job:
    now = time.time()
    return Job(
        kind=JobKind.SET, session_id=f"{station}-{n}", station_id=station, created=now, deadline=now + 60
    )


class Recorder:
    """A job handler that records start/end per station and can be held open."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.running: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, job: Job) -> None:
        station = job.station_id
        self.running[station] = self.running.get(station, 0) + 1
        self.most_at_once[station] = max(self.most_at_once.get(station, 0), self.running[station])
        self.events.append(("start", station, job.session_id))
        await self.gate.wait()
        await asyncio.sleep(0)
        self.events.append(("end", station, job.session_id))
        self.running[station] -= 1


async def test_one_station_runs_its_jobs_in_order_one_at_a_time() -> None:
    handler = Recorder()
    worker = Worker(MemoryJobQueue(), handler)
    for n in range(20):
        worker.dispatch(job("CS-1", n))
    assert await worker.drain(5) == 0
    started = [s for what, _, s in handler.events if what == "start"]
    assert started == [f"CS-1-{n}" for n in range(20)]
    assert handler.most_at_once == {"CS-1": 1}
    await worker.close()


async def test_a_job_arriving_while_the_last_one_runs_waits_in_the_same_lane() -> None:
    handler = Recorder()
    handler.gate.clear()
    worker = Worker(MemoryJobQueue(), handler)
    worker.dispatch(job("CS-1", 0))
    await asyncio.sleep(0.01)  # job 0 is running, its lane is otherwise empty
    worker.dispatch(job("CS-1", 1))
    assert worker.queued == 1
    handler.gate.set()
    assert await worker.drain(5) == 0
    assert [e[0] for e in handler.events] == ["start", "end", "start", "end"]
    assert handler.most_at_once == {"CS-1": 1}
    await worker.close()


async def settled(worker: Worker) -> None:
    for _ in range(200):
        if worker.in_flight == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("jobs still in flight")


async def test_a_job_after_the_lane_ended_starts_a_new_lane() -> None:
    handler = Recorder()
    worker = Worker(MemoryJobQueue(), handler)
    worker.dispatch(job("CS-1", 0))
    await settled(worker)
    assert worker.queued == 0
    worker.dispatch(job("CS-1", 1))
    await settled(worker)
    assert [s for what, _, s in handler.events if what == "end"] == ["CS-1-0", "CS-1-1"]
    await worker.close()


async def test_a_slow_station_does_not_hold_up_another() -> None:
    handler = Recorder()
    slow = asyncio.Event()

    async def handle(j: Job) -> None:
        if j.station_id == "SLOW":
            await slow.wait()
        await handler(j)

    worker = Worker(MemoryJobQueue(), handle)
    worker.dispatch(job("SLOW", 0))
    for n in range(5):
        worker.dispatch(job("FAST", n))
    for _ in range(100):
        if len([e for e in handler.events if e[:2] == ("end", "FAST")]) == 5:
            break
        await asyncio.sleep(0.01)
    assert len([e for e in handler.events if e[:2] == ("end", "FAST")]) == 5
    assert worker.in_flight == 1  # the slow station's job is still owed
    slow.set()
    assert await worker.drain(5) == 0
    await worker.close()


async def test_a_crashing_job_does_not_stop_its_lane() -> None:
    seen: list[str] = []

    async def handle(j: Job) -> None:
        seen.append(j.session_id)
        if j.session_id.endswith("-0"):
            raise RuntimeError("boom")

    worker = Worker(MemoryJobQueue(), handle)
    worker.dispatch(job("CS-1", 0))
    worker.dispatch(job("CS-1", 1))
    assert await worker.drain(5) == 0
    assert seen == ["CS-1-0", "CS-1-1"]
    await worker.close()
