"""The benchmark scenarios of issue 7, each bounded in count and time, loopback only."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import load
from bench.procs import (
    SCSP_TOKEN,
    Proc,
    Stations,
    bare_flow,
    baseline,
    cpu_seconds,
    free_port,
    gateway,
    gateway_config,
    mock_scsp,
    rss_kib,
    tree_cpu_seconds,
    wait_http,
)
from tests.redis_support import delete_prefix

PROFILE = {
    "charging_rate_unit": "A",
    "charging_profile_period": [{"start_period": 0, "limit": 16.0}, {"start_period": 900, "limit": 10.0}],
}


@dataclass
class Setup:
    """A running gateway with its mock SCSP (and the Redis URL it uses, if any)."""

    gateway: Proc
    scsp: Proc
    scsp_base: str
    base_url: str
    ws_url: str


async def start_setup(
    stack: AsyncExitStack, redis_url: str | None, workers: int = 1, bare: bool = False, held: bool = False
) -> Setup:
    """The gateway (``workers`` node processes) or, with ``bare``, the bare flow; and the mock SCSP.

    ``held``: the gateway with its job worker held (``bench.held_worker``): PUTs only.
    """
    scsp_port, port = free_port(), free_port()
    scsp = mock_scsp(scsp_port)
    await scsp.start()
    stack.push_async_callback(scsp.stop)
    scsp_base = f"http://127.0.0.1:{scsp_port}"
    await wait_http(f"{scsp_base}/_received")
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    config = gateway_config(port, scsp_base, redis_url, prefix)
    stack.callback(config.unlink)
    if redis_url:  # runs after the gateway stopped: nothing of a run stays in Redis
        stack.push_async_callback(asyncio.to_thread, delete_prefix, redis_url, prefix)
    gw = bare_flow(port) if bare else gateway(port, config, workers, held)
    await gw.start()
    stack.push_async_callback(gw.stop)
    base = f"http://127.0.0.1:{port}"
    await wait_http(f"{base}/health")
    return Setup(gw, scsp, scsp_base, base, f"ws://127.0.0.1:{port}/ocpp")


async def redis_pid(url: str) -> int | None:
    """The Redis server's process id when it runs on this machine (its CPU is part of a flow)."""
    import redis.asyncio as redis

    client = redis.Redis.from_url(url)
    try:
        pid = int((await client.info("server"))["process_id"])
    finally:
        await client.aclose()
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def put_requests(base: str, scsp_base: str, sessions: list[str], count: int) -> list[load.Request]:
    out = []
    for i in range(count):
        session_id = sessions[i % len(sessions)]
        body = {"charging_profile": PROFILE, "response_url": f"{scsp_base}/results/{session_id}-{i}"}
        out.append((f"{base}/ocpi/2.2.1/chargingprofiles/{session_id}", json.dumps(body).encode()))
    return out


async def wait_quiet(scsp_base: str, quiet: float = 1.0, timeout: float = 120.0) -> int:
    """Wait until the mock SCSP has received nothing new for ``quiet`` seconds; returns the count.

    Stations that connect and start transactions make the gateway push Sessions to the SCSP;
    measured CPU per flow must not include that start-up tail, only the flows.
    """
    end = time.monotonic() + timeout
    seen = -1
    async with httpx.AsyncClient(timeout=60) as client:
        while time.monotonic() < end:
            count = len((await client.get(f"{scsp_base}/_received")).json())
            if count == seen:
                return count
            seen = count
            await asyncio.sleep(quiet)
    return seen


def is_result(record: dict[str, Any]) -> bool:
    """A record of the mock SCSP that is a result POST (not a push or a handshake call)."""
    return bool(record["method"] == "POST" and record["path"].startswith("/results/"))


async def results_received(scsp_base: str) -> int:
    """How many results the mock SCSP has received so far."""
    async with httpx.AsyncClient(timeout=60) as client:
        return sum(map(is_result, (await client.get(f"{scsp_base}/_received")).json()))


async def wait_results(scsp_base: str, expected: int, timeout: float) -> list[dict[str, Any]]:
    """Poll the mock SCSP for new records only (``?since=``), so polling costs neither side much."""
    end = time.monotonic() + timeout
    records: list[dict[str, Any]] = []
    async with httpx.AsyncClient(timeout=60) as client:
        while True:
            records += (await client.get(f"{scsp_base}/_received", params={"since": len(records)})).json()
            got = [r for r in records if is_result(r)]
            if len(got) >= expected or time.monotonic() > end:
                return got
            await asyncio.sleep(0.5)


@dataclass(frozen=True)
class PutRun:
    """One closed-loop PUT measurement: req/s, the server's CPU per request, answer latencies."""

    rps: float
    cpu_ms: float  # the server process's CPU per request (/proc), whatever else it ran meanwhile
    latency_ms: dict[str, float]
    accepted: int
    results_in_window: float  # result POSTs the mock SCSP received meanwhile, per PUT


async def _measure_puts(
    pid: int, reqs: list[load.Request], concurrency: int, scsp_base: str | None = None
) -> PutRun:
    """Warm up with the first 200 requests, then measure them all; ``scsp_base``: count its results."""
    await load.closed_loop(SCSP_TOKEN, reqs[: min(200, len(reqs))], concurrency)
    before = await results_received(scsp_base) if scsp_base else 0
    cpu_before = cpu_seconds(pid)
    samples, wall = await load.closed_loop(SCSP_TOKEN, reqs, concurrency)
    cpu = cpu_seconds(pid) - cpu_before
    after = await results_received(scsp_base) if scsp_base else 0
    return PutRun(
        rps=len(samples) / wall,
        cpu_ms=1000 * cpu / max(1, len(samples)),
        latency_ms=load.summary([s.latency for s in samples]),
        accepted=sum(1 for s in samples if s.result == "ACCEPTED"),
        results_in_window=(after - before) / max(1, len(samples)),
    )


async def _bare_puts(stations: int, requests: int, concurrency: int) -> PutRun:
    async with AsyncExitStack() as stack:
        port = free_port()
        bare = baseline(port)
        await bare.start()
        stack.push_async_callback(bare.stop)
        await wait_http(f"http://127.0.0.1:{port}/health")
        base = f"http://127.0.0.1:{port}"
        reqs = put_requests(base, base, [f"S-{i}" for i in range(stations)], requests)
        return await _measure_puts(bare.pid, reqs, concurrency)


async def _gateway_puts(
    redis_url: str | None, stations: int, requests: int, concurrency: int, held: bool
) -> PutRun:
    async with AsyncExitStack() as stack:
        setup = await start_setup(stack, redis_url, held=held)
        fleet = await Stations.start(setup.ws_url, stations, "ocpp2.0.1")
        stack.push_async_callback(fleet.stop)
        reqs = put_requests(setup.base_url, setup.scsp_base, list(fleet.sessions.values()), requests)
        await wait_quiet(setup.scsp_base)
        return await _measure_puts(setup.gateway.pid, reqs, concurrency, setup.scsp_base)


async def sync_put(redis_url: str | None, stations: int, requests: int, concurrency: int) -> dict[str, Any]:
    """PUT throughput and latency of the synchronous answer, against the bare aiohttp baseline.

    Three servers, one after the other, the same client: the bare baseline first, on a quiet
    machine (run after the gateway it would share the CPU with the jobs the gateway's PUTs left
    running); the gateway; the gateway with its job worker held, whose figures are the PUT's own.
    """
    bare = await _bare_puts(stations, requests, concurrency)
    full = await _gateway_puts(redis_url, stations, requests, concurrency, held=False)
    held = await _gateway_puts(redis_url, stations, requests, concurrency, held=True)
    return {
        "requests": requests,
        "concurrency": concurrency,
        "accepted": full.accepted,
        "gateway_rps": full.rps,
        "baseline_rps": bare.rps,
        "ratio": full.rps / bare.rps,
        # The PUTs' jobs run in the same process: how much of that work fell inside the measured
        # window (results POSTed to the SCSP meanwhile, per PUT) says what the req/s paid for.
        "results_in_window": full.results_in_window,
        "gateway_ms": full.latency_ms,
        "baseline_ms": bare.latency_ms,
        "gateway_cpu_ms_per_put": full.cpu_ms,
        "baseline_cpu_ms_per_put": bare.cpu_ms,
        "held_accepted": held.accepted,
        "held_rps": held.rps,
        "held_ratio": held.rps / bare.rps,
        "held_cpu_ms_per_put": held.cpu_ms,
        "held_ms": held.latency_ms,
    }


async def end_to_end(
    redis_url: str | None,
    stations: int,
    concurrency: int = 64,
    rate: float | None = None,
    workers: int = 1,
    bare: bool = False,
) -> dict[str, Any]:
    """PUT to every session; flows/s until every result reached the SCSP; latency the gateway adds.

    ``workers``: gateway node processes (``serve --workers``); ``bare``: the bare flow instead of
    the gateway (the floor). The gateway's CPU counts every worker.
    """
    async with AsyncExitStack() as stack:
        setup = await start_setup(stack, redis_url, workers, bare)
        fleet = await Stations.start(setup.ws_url, stations, "ocpp2.0.1")
        stack.push_async_callback(fleet.stop)
        by_session = {session: station for station, session in fleet.sessions.items()}
        sessions = list(by_session)
        reqs = [
            (
                f"{setup.base_url}/ocpi/2.2.1/chargingprofiles/{s}",
                json.dumps(
                    {"charging_profile": PROFILE, "response_url": f"{setup.scsp_base}/results/{s}"}
                ).encode(),
            )
            for s in sessions
        ]
        pids = {"gateway": setup.gateway.pid, "stations": fleet.proc.pid, "mock_scsp": setup.scsp.pid}
        if redis_url and (server := await redis_pid(redis_url)) is not None:
            pids["redis_server"] = server  # its Lua scripts share the same two cores
        if workers > 1:  # the supervisor's workers are up once /health answers on every one
            await asyncio.sleep(2)
        await wait_quiet(setup.scsp_base)  # the stations' Session pushes are not part of a flow

        def cpu_of(name: str, pid: int) -> float:
            return tree_cpu_seconds(pid) if name == "gateway" else cpu_seconds(pid)

        cpu_before = {name: cpu_of(name, pid) for name, pid in pids.items()}
        own_before = time.process_time()
        started = time.time()
        if rate is None:
            samples, _ = await load.closed_loop(SCSP_TOKEN, reqs, concurrency)
        else:
            samples, _ = await load.open_loop(SCSP_TOKEN, reqs, rate)
        got = await wait_results(setup.scsp_base, len(reqs), timeout=max(60.0, stations / 20))
        cpu = {name: cpu_of(name, pid) - cpu_before[name] for name, pid in pids.items()}
        cpu["load_client"] = time.process_time() - own_before
        answers = await fleet.answer_times()
    done = max((r["at"] for r in got), default=time.time())
    added = []
    for record in got:
        session = record["path"].rsplit("/", 1)[1]
        station = by_session.get(session)
        times = answers.get(station or "", [])
        if times:
            added.append(record["at"] - times[0])
    return {
        "stations": stations,
        "workers": workers,
        "bare": bare,
        "mode": f"rate {rate}/s" if rate else f"concurrency {concurrency}",
        "accepted": sum(1 for s in samples if s.result == "ACCEPTED"),
        "delivered": len(got),
        "flows_per_s": len(got) / (done - started),
        "sync_ms": load.summary([s.latency for s in samples]),
        "added_ms": load.summary(added),
        # CPU per delivered flow, per process: says whether the gateway or a test peer is the limit.
        "cpu_ms_per_flow": {name: 1000 * spent / max(1, len(got)) for name, spent in cpu.items()},
    }


async def idle_memory(counts: list[int], redis_url: str | None = None) -> list[dict[str, Any]]:
    """Gateway memory per connected, idle station."""
    rows = []
    for count in counts:
        async with AsyncExitStack() as stack:
            setup = await start_setup(stack, redis_url)
            await asyncio.sleep(1)
            before = rss_kib(setup.gateway.pid)
            fleet = await Stations.start(setup.ws_url, count, "ocpp2.0.1", transactions=False)
            stack.push_async_callback(fleet.stop)
            await asyncio.sleep(3)
            after = rss_kib(setup.gateway.pid)
        rows.append({"stations": count, "rss_before_kib": before, "rss_after_kib": after,
                     "kib_per_station": (after - before) / count})  # fmt: skip
    return rows
