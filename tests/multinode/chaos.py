"""The chaos harness (issue 17): Redis-backed nodes killed with SIGKILL under steady OCPI traffic.

Real node processes (``nodes.Node``) share one Redis; simulated OCPP 1.6 stations spread over them
and, like stations behind a load balancer, reconnect to a random live node when their socket drops;
an SCSP sends PUT / GET / DELETE to random live nodes; every few seconds a random node is SIGKILLed
and restarted under its node id. Each request answered ACCEPTED is followed to its result at the
mock SCSP: **lost** (none by the end), **duplicated** (more than one), **late** (after the
``timeout`` the synchronous answer announced). ``tests/multinode/test_chaos.py`` runs it for about
half a minute; ``make chaos`` longer, writing its figures to docs/benchmarks.md.

The SCSP keeps at most one request open per session (a real SCSP steers a session, it does not
queue on it), so a result's delay is the gateway's and the station's, not a queue's.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from tests.conftest import SCSP_TOKEN
from tests.e2e.helpers import PROFILE_A, ocpi_headers
from tests.multinode.nodes import Node


@dataclass(frozen=True)
class ChaosPlan:
    nodes: int = 3
    stations: int = 24
    requests_per_second: float = 8.0
    seconds: float = 30.0
    kill_every: tuple[float, float] = (3.0, 6.0)
    restart_after: tuple[float, float] = (0.5, 1.0)
    answer_max: float = 1.5  # each station answers its steering calls after up to this many seconds
    result_timeout: int = 20
    seed: int | None = None


@dataclass
class Request:
    method: str
    session_id: str
    url: str
    sent: float
    timeout: float


@dataclass
class ChaosReport:
    plan: ChaosPlan
    accepted: int = 0
    refused: int = 0  # not ACCEPTED: a node died under the request, 503, TOO_OFTEN ...
    lost: list[Request] = field(default_factory=list)
    duplicated: list[Request] = field(default_factory=list)
    late: list[Request] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    kills: list[float] = field(default_factory=list)  # seconds from the start of traffic
    started: float = 0.0  # wall clock of the start of traffic
    slowest: list[tuple[float, Request]] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        if not self.delays:
            return 0.0
        ordered = sorted(self.delays)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def line(self) -> str:
        return (
            f"chaos: nodes={self.plan.nodes} stations={self.plan.stations} seconds={self.plan.seconds:.0f} "
            f"kills={len(self.kills)} accepted={self.accepted} refused={self.refused} lost={len(self.lost)} "
            f"duplicated={len(self.duplicated)} late={len(self.late)} "
            f"delay p50={self.percentile(0.5):.2f}s p99={self.percentile(0.99):.2f}s "
            f"max={max(self.delays, default=0.0):.2f}s (station answers within {self.plan.answer_max}s)"
        )


class Chaos:
    """One run of the plan against ``redis`` (a test's Redis section), results to ``scsp``."""

    def __init__(self, plan: ChaosPlan, redis: dict[str, Any], scsp: MockScsp, directory: Path) -> None:
        self.plan = plan
        self._redis = redis
        self._scsp = scsp
        self._dir = directory
        self._random = random.Random(plan.seed)
        self._nodes = [Node(f"chaos-{i}", directory / f"chaos-{i}.toml") for i in range(plan.nodes)]
        self._live: set[int] = set()
        self._stations: list[SimulatedStation] = []
        self._sessions: list[str] = []
        self._busy: set[str] = set()  # sessions with a request still open
        self._requests: list[Request] = []
        self._report = ChaosReport(plan)
        self._logs: dict[str, deque[str]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._no_more_kills = asyncio.Event()
        self._started = 0.0

    async def run(self) -> ChaosReport:
        try:
            await asyncio.gather(*(self._start(i) for i in range(len(self._nodes))))
            await self._connect_stations()
            self._tasks += [asyncio.create_task(self._keep_connected(s)) for s in self._stations]
            self._started = time.monotonic()
            self._report.started = time.time()
            killer = asyncio.create_task(self._kill_now_and_then())
            await self._traffic()
            # Stopped between kills, never cancelled mid-restart (that would orphan a node process).
            self._no_more_kills.set()
            await killer
            for i in range(len(self._nodes)):  # every node back before the last results are awaited
                if i not in self._live:
                    await self._start(i)
            await self._collect()
            return self._report
        finally:
            self._stopping = True
            for task in self._tasks:
                task.cancel()
            for station in self._stations:
                with contextlib.suppress(Exception):
                    await station.close()
            for node in self._nodes:
                await node.stop()

    def node_log(self, index: int) -> list[str]:
        """The last lines a node wrote (its log is drained so the pipe never fills)."""
        return list(self._logs.get(self._nodes[index].name, ()))

    async def _start(self, index: int) -> None:
        node = self._nodes[index]
        await node.start(
            self._redis, self._scsp.base_url, node_id=node.name, result_timeout=self.plan.result_timeout,
            call_timeout=self.plan.result_timeout - 8,
        )  # fmt: skip
        lines = self._logs.setdefault(node.name, deque(maxlen=300))
        self._tasks.append(asyncio.create_task(self._drain(node, lines)))
        self._live.add(index)

    @staticmethod
    async def _drain(node: Node, lines: deque[str]) -> None:
        process = node.process
        if process is None or process.stderr is None:
            return
        while line := await process.stderr.readline():
            lines.append(line.decode(errors="replace").rstrip())

    def _live_node(self) -> Node:
        return self._nodes[self._random.choice(sorted(self._live))]

    async def _connect_stations(self) -> None:
        for i in range(self.plan.stations):
            node = self._nodes[i % len(self._nodes)]
            station = SimulatedStation(f"CHAOS-{i:02d}", node.ws_url)
            station.answer_delay = self._random.uniform(0.0, self.plan.answer_max)
            await station.connect()
            self._sessions.append(await station.start_transaction(connector_id=1))
            self._stations.append(station)
        await asyncio.sleep(0.5)

    async def _keep_connected(self, station: SimulatedStation) -> None:
        """Reconnect to a random live node whenever the socket drops, as behind a load balancer."""
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await station.wait_disconnected(timeout=None)
            while not self._stopping:
                node = self._live_node()
                station.url = f"{node.ws_url}/{station.station_id}"
                try:
                    await station.reconnect()
                    break
                except Exception:  # the node died meanwhile: another one
                    await asyncio.sleep(0.1)

    async def _kill_now_and_then(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._no_more_kills.wait(), self._random.uniform(*self.plan.kill_every)
                )
            if self._no_more_kills.is_set():
                return
            index = self._random.choice(sorted(self._live))
            self._live.discard(index)
            self._nodes[index].kill()
            self._report.kills.append(round(time.monotonic() - self._started, 2))
            await asyncio.sleep(self._random.uniform(*self.plan.restart_after))
            await self._start(index)

    async def _traffic(self) -> None:
        interval = 1.0 / self.plan.requests_per_second
        pending: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(timeout=10) as client:
            n = 0
            while time.monotonic() - self._started < self.plan.seconds:
                free = [s for s in self._sessions if s not in self._busy]
                if free:
                    session_id = self._random.choice(free)
                    method = self._random.choices(["PUT", "GET", "DELETE"], weights=[6, 2, 2])[0]
                    task = asyncio.create_task(self._send(client, method, session_id, n))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                    n += 1
                await asyncio.sleep(interval)
            if pending:
                await asyncio.gather(*pending)

    async def _send(self, client: httpx.AsyncClient, method: str, session_id: str, n: int) -> None:
        self._busy.add(session_id)
        url = self._scsp.result_url(f"chaos-{n}")
        node = self._live_node()
        address = f"{node.base_url}/ocpi/2.2.1/chargingprofiles/{session_id}"
        sent = time.time()
        try:
            if method == "PUT":
                body = {"charging_profile": PROFILE_A, "response_url": url}
                answer = await client.put(address, json=body, headers=ocpi_headers(SCSP_TOKEN))
            elif method == "GET":
                params = {"duration": 900, "response_url": url}
                answer = await client.get(address, params=params, headers=ocpi_headers(SCSP_TOKEN))
            else:
                params = {"response_url": url}
                answer = await client.delete(address, params=params, headers=ocpi_headers(SCSP_TOKEN))
            data = answer.json().get("data") or {}
        except (httpx.HTTPError, ValueError):
            data = {}
        if data.get("result") != "ACCEPTED":
            self._report.refused += 1
            self._busy.discard(session_id)
            return
        request = Request(method, session_id, url, sent, float(data["timeout"]))
        self._requests.append(request)
        self._report.accepted += 1
        # The session is free again once its result came (or its timeout passed).
        with contextlib.suppress(TimeoutError):
            path = url[len(self._scsp.base_url) :]
            await self._scsp.wait_for(
                lambda r: r.path == path and r.method == "POST", timeout=request.timeout
            )
        self._busy.discard(session_id)

    def _posts(self, request: Request) -> list[Any]:
        path = request.url[len(self._scsp.base_url) :]
        return [r for r in self._scsp.received if r.path == path and r.method == "POST"]

    async def _collect(self) -> None:
        deadline = max((r.sent + r.timeout for r in self._requests), default=0.0) + 1.0
        for _ in range(int(max(0.0, deadline - time.time()) / 0.25) + 1):
            if all(self._posts(r) for r in self._requests):
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(1.5)  # room for a second result, were one coming
        for request in self._requests:
            posts = self._posts(request)
            if not posts:
                self._report.lost.append(request)
                continue
            if len(posts) > 1:
                self._report.duplicated.append(request)
            delay = posts[0].at - request.sent
            self._report.delays.append(delay)
            self._report.slowest.append((delay, request))
            if delay > request.timeout:
                self._report.late.append(request)
        self._report.slowest = sorted(self._report.slowest, key=lambda pair: -pair[0])[:10]


def summary(report: ChaosReport) -> str:
    """What went wrong, request by request (for a failing run's message)."""
    lines = [report.line(), f"kills at {report.kills} s"]
    for name, requests in (("lost", report.lost), ("duplicated", report.duplicated), ("late", report.late)):
        for r in requests[:10]:
            lines.append(f"  {name}: {r.method} {r.session_id} sent at {r.sent:.2f} timeout {r.timeout}")
    if report.delays:
        lines.append(f"  delay mean {statistics.fmean(report.delays):.2f}s")
    for delay, r in report.slowest:
        at = r.sent - report.started
        since = [round(at - k, 2) for k in report.kills if k <= at]
        during = [round(k - at, 2) for k in report.kills if at < k <= at + delay]
        lines.append(
            f"  slow {delay:.2f}s: {r.method} {r.session_id} at {at:.2f}s, last kill {since[-1:]} s before, "
            f"kills {during} s after it was sent"
        )
    return "\n".join(lines)
