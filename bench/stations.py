"""Many stations in one process for the benchmarks.

Connects N stations, starts one transaction each, prints ``READY <json {station id:
session id}>`` and then records, for every SetChargingProfile it accepts, the moment it
answered. On SIGTERM it writes those times to ``--out`` as ``{station id: [times]}`` and exits.

By default the stations are :mod:`bench.lean_station` (raw OCPP-J, canned answers), so
the station process costs little next to the gateway it measures; ``--full`` runs the
schema-validating :class:`ocpi_gateway.cli.simulator.SimulatedStation` instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from bench.lean_station import V201, LeanStation

CONNECT_CONCURRENCY = 100


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def bring_up_all(items: list[object], bring_up: Callable[[object], Awaitable[None]]) -> None:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def gated(item: object) -> None:
        async with gate:
            await bring_up(item)

    await asyncio.gather(*(gated(item) for item in items))


async def heartbeats(stations: list[LeanStation]) -> None:
    """Heartbeat every station at the interval the gateway gave (one task for the fleet)."""
    interval = max((s.interval for s in stations), default=0)
    if interval <= 0:
        return
    while True:
        await asyncio.sleep(interval)
        for station in stations:
            await station.send_only("Heartbeat", {})


async def run_lean(url: str, ids: list[str], protocol: str, out: str, start_tx: bool) -> None:
    answers: dict[str, list[float]] = {}
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    stations = [LeanStation(station_id, protocol, answers) for station_id in ids]
    sessions: dict[str, str] = {}

    async def bring_up(item: object) -> None:
        assert isinstance(item, LeanStation)
        await item.connect(session, url)
        if start_tx:
            sessions[item.station_id] = await item.start_transaction()

    await bring_up_all(list(stations), bring_up)
    print("READY " + json.dumps(sessions), flush=True)
    beat = asyncio.create_task(heartbeats(stations))
    await until_stopped()
    beat.cancel()
    Path(out).write_text(json.dumps(answers), encoding="utf-8")
    await asyncio.gather(*(station.close() for station in stations))
    await session.close()


async def run_full(url: str, ids: list[str], protocol: str, out: str, start_tx: bool) -> None:
    from ocpi_gateway.cli.simulator import SimulatedStation

    answers: dict[str, list[float]] = {}

    def on_event(line: str) -> None:
        if "SetChargingProfile" in line and "-> Accepted" in line:
            answers.setdefault(line.split(" ", 1)[0], []).append(time.time())

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    stations = [
        SimulatedStation(station_id, url, protocol=protocol, session=session, on_event=on_event)
        for station_id in ids
    ]
    sessions: dict[str, str] = {}

    async def bring_up(item: object) -> None:
        assert isinstance(item, SimulatedStation)
        await item.connect()
        if start_tx:
            sessions[item.station_id] = await item.start_transaction()

    await bring_up_all(list(stations), bring_up)
    print("READY " + json.dumps(sessions), flush=True)
    await until_stopped()
    Path(out).write_text(json.dumps(answers), encoding="utf-8")
    for station in stations:
        await station.close()
    await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stations")
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--first", type=int, default=0, help="number of the first station (B-00000)")
    parser.add_argument("--protocol", default=V201, choices=("ocpp1.6", "ocpp2.0.1"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--no-transactions", action="store_true")
    parser.add_argument("--full", action="store_true", help="schema-validating SimulatedStations")
    args = parser.parse_args()
    raise_file_limit()
    ids = [f"B-{i:05d}" for i in range(args.first, args.first + args.count)]
    run = run_full if args.full else run_lean
    asyncio.run(run(args.url, ids, args.protocol, args.out, not args.no_transactions))


if __name__ == "__main__":
    main()
