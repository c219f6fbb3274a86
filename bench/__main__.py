"""``python -m bench`` (``make bench``): run the scenarios and print one table.

``--quick`` runs small sizes (a minute or two); the full run uses the sizes of issue 7. ``--repeat N``
makes the floor and end-to-end rows the median of N runs.
Results are also written as JSON to ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import micro, scenarios

QUICK = {
    "floor": 500,
    "workers": 500,
    "sync": (100, 2000, 32),
    "e2e": 500,
    "latency": (300, [100.0, 200.0]),
    "idle": [500, 1000],
    "growth": [200, 500],
    "micro": None,
}
FULL = {
    "floor": 2000,
    "workers": 2000,
    "sync": (200, 5000, 32),
    "e2e": 2000,
    "latency": (2000, [200.0, 500.0]),
    "idle": [1000, 5000, 10000],
    "growth": [500, 2000, 8000],
    "micro": None,
}


def redis_url() -> str | None:
    from tests.redis_support import answers

    url = os.environ.get("OCPI_GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    return url if answers(url) else None


def fmt(value: float) -> str:
    return f"{value:,.1f}"


Backends = dict[str, str | None]


@dataclass(frozen=True)
class Plan:
    """What every scenario is given besides its size: the backends, and ``--repeat``."""

    backends: Backends
    repeat: int = 1  # floor and end-to-end rows: the median of N runs (this machine's noise is ±15%)


async def e2e_median(plan: Plan, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """``scenarios.end_to_end`` run ``plan.repeat`` times; the run with the median gateway CPU per flow.

    Its row carries every run's figure (``gateway_ms_runs``), so a reader sees the spread.
    """
    rows = [await scenarios.end_to_end(*args, **kwargs) for _ in range(plan.repeat)]
    rows.sort(key=lambda row: row["cpu_ms_per_flow"]["gateway"])
    median = dict(rows[len(rows) // 2])
    median["gateway_ms_runs"] = [round(row["cpu_ms_per_flow"]["gateway"], 3) for row in rows]
    return median


async def _sync(size: tuple[int, int, int], plan: Plan) -> dict[str, Any]:
    stations, requests, conc = size
    out = {
        name: await scenarios.sync_put(url, stations, requests, conc) for name, url in plan.backends.items()
    }
    for name, row in out.items():
        print(f"sync PUT [{name}]: {fmt(row['gateway_rps'])} req/s vs bare {fmt(row['baseline_rps'])} "
              f"(ratio {row['ratio']:.2f}); p50 {fmt(row['gateway_ms']['p50'])} ms, "
              f"p99 {fmt(row['gateway_ms']['p99'])} ms; results delivered within the window "
              f"{row['results_in_window']:.2f} per PUT; CPU per PUT {row['gateway_cpu_ms_per_put']:.3f} ms "
              f"vs bare {row['baseline_cpu_ms_per_put']:.3f} ms", flush=True)  # fmt: skip
        print(f"sync PUT alone [{name}] (job worker held): {fmt(row['held_rps'])} req/s "
              f"(ratio {row['held_ratio']:.2f}); CPU per PUT {row['held_cpu_ms_per_put']:.3f} ms; "
              f"p99 {fmt(row['held_ms']['p99'])} ms; {row['held_accepted']} of {row['requests']} ACCEPTED",
              flush=True)  # fmt: skip
    return out


async def _e2e(stations: int, plan: Plan) -> dict[str, Any]:
    out = {name: await e2e_median(plan, url, stations) for name, url in plan.backends.items()}
    for name, row in out.items():
        print(f"end to end [{name}] {row['stations']} stations: {fmt(row['flows_per_s'])} flows/s, "
              f"delivered {row['delivered']}; added p50 {fmt(row['added_ms']['p50'])} ms, "
              f"p99 {fmt(row['added_ms']['p99'])} ms", flush=True)  # fmt: skip
        spent = ", ".join(f"{who} {ms:.2f}" for who, ms in row["cpu_ms_per_flow"].items())
        print(f"    CPU ms per flow: {spent}", flush=True)
        if plan.repeat > 1:
            print(f"    gateway ms per flow in the {plan.repeat} runs: {row['gateway_ms_runs']}", flush=True)
    return out


async def _latency(size: tuple[int, list[float]], plan: Plan) -> dict[str, Any]:
    """At the target rate, and at a rate the gateway sustains (queueing aside, what does it add?)."""
    stations, rates = size
    out = {}
    for rate in rates:
        for name, url in plan.backends.items():
            row = out[f"{name} {rate:.0f}/s"] = await scenarios.end_to_end(url, stations, rate=rate)
            # How busy the gateway's one core was at this rate: near 1, the tail is queueing.
            busy = row["cpu_ms_per_flow"]["gateway"] * rate / 1000
            print(f"latency at {rate:.0f} flows/s [{name}]: added p50 {fmt(row['added_ms']['p50'])} ms, "
                  f"p99 {fmt(row['added_ms']['p99'])} ms; sync p99 {fmt(row['sync_ms']['p99'])} ms; "
                  f"gateway {row['cpu_ms_per_flow']['gateway']:.2f} ms CPU per flow, {busy:.2f} of a core",
                  flush=True)  # fmt: skip
    return out


async def _idle(counts: list[int], plan: Plan) -> dict[str, Any]:
    out = {name: await scenarios.idle_memory(counts, url) for name, url in plan.backends.items()}
    for name, rows in out.items():
        for row in rows:
            print(f"idle [{name}]: {row['stations']} stations -> "
                  f"{fmt(row['kib_per_station'])} KiB per station", flush=True)  # fmt: skip
    return out


async def _growth(counts: list[int], plan: Plan) -> dict[str, Any]:
    out = {name: [await scenarios.end_to_end(url, n) for n in counts] for name, url in plan.backends.items()}
    for name, rows in out.items():
        for row in rows:
            print(f"growth [{name}]: {row['stations']} stations -> {fmt(row['flows_per_s'])} flows/s, "
                  f"gateway CPU {row['cpu_ms_per_flow']['gateway']:.2f} ms per flow, "
                  f"added p99 {fmt(row['added_ms']['p99'])} ms", flush=True)  # fmt: skip
    return out


async def _floor(stations: int, plan: Plan) -> dict[str, Any]:
    """The bare flow (I/O only) and the gateway on each backend, one after the other in one run."""
    floor = await e2e_median(plan, None, stations, bare=True)
    floor_ms = floor["cpu_ms_per_flow"]["gateway"]
    print(f"floor (bare flow) {stations} stations: {fmt(floor['flows_per_s'])} flows/s, "
          f"{floor_ms:.3f} ms CPU per flow", flush=True)  # fmt: skip
    if plan.repeat > 1:
        print(f"    floor ms per flow in the {plan.repeat} runs: {floor['gateway_ms_runs']}", flush=True)
    out: dict[str, Any] = {"bare": floor}
    for name, url in plan.backends.items():
        row = out[name] = await e2e_median(plan, url, stations)
        ms = row["cpu_ms_per_flow"]["gateway"]
        print(f"gateway [{name}]: {fmt(row['flows_per_s'])} flows/s, {ms:.3f} ms CPU per flow = "
              f"{ms / floor_ms:.1f}x the floor; sync p50 {fmt(row['sync_ms']['p50'])} ms, "
              f"p99 {fmt(row['sync_ms']['p99'])} ms", flush=True)  # fmt: skip
        spent = ", ".join(f"{who} {v:.2f}" for who, v in row["cpu_ms_per_flow"].items())
        print(f"    CPU ms per flow: {spent}", flush=True)
        if plan.repeat > 1:
            print(f"    gateway ms per flow in the {plan.repeat} runs: {row['gateway_ms_runs']}", flush=True)
    return out


async def _workers(stations: int, plan: Plan) -> dict[str, Any]:
    """``serve --workers 1`` and ``--workers 2`` side by side (Redis: several workers need it)."""
    url = plan.backends.get("redis")
    if url is None:
        print("workers: skipped, no Redis answers", flush=True)
        return {}
    out = {}
    for count in (1, 2):
        row = out[f"{count} workers"] = await scenarios.end_to_end(url, stations, workers=count)
        print(f"workers [redis] {count}: {fmt(row['flows_per_s'])} flows/s, gateway CPU "
              f"{row['cpu_ms_per_flow']['gateway']:.3f} ms per flow (all workers); "
              f"sync p99 {fmt(row['sync_ms']['p99'])} ms", flush=True)  # fmt: skip
    return out


async def _micro(_size: None, _plan: Plan) -> dict[str, Any]:
    """Single steps of a flow in process (``bench/micro.py``): for changes below the end-to-end noise."""
    out = await asyncio.to_thread(micro.run)  # its own event loops, outside this one
    for name, us in out.items():
        print(f"micro: {name}: {us:.1f} us", flush=True)
    return out


Scenario = Callable[[Any, Plan], Awaitable[dict[str, Any]]]
SCENARIOS: dict[str, Scenario] = {
    "floor": _floor,
    "workers": _workers,
    "sync": _sync,
    "e2e": _e2e,
    "latency": _latency,
    "idle": _idle,
    "growth": _growth,
    "micro": _micro,
}


async def run(sizes: dict[str, Any], only: set[str], repeat: int = 1) -> dict[str, Any]:
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    redis = redis_url()
    backends: Backends = {"embedded": None, **({"redis": redis} if redis else {})}
    out: dict[str, Any] = {"machine": f"{platform.machine()} {os.cpu_count()} cores", "when": time.ctime()}
    for name, scenario in SCENARIOS.items():
        if name in only:
            out[name] = await scenario(sizes[name], Plan(backends, repeat))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, a minute or two")
    parser.add_argument("--only", default="floor,workers,sync,e2e,latency,idle,growth,micro")
    parser.add_argument("--repeat", type=int, default=1, help="floor and e2e rows: the median of N runs")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    result = asyncio.run(run(sizes, set(args.only.split(",")), max(1, args.repeat)))
    path = Path(__file__).parent / "results" / "latest.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
