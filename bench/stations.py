"""Many simulated stations in one process for the benchmarks.

Connects N stations, starts one transaction each, prints ``READY <json session map>`` and
then records, for every SetChargingProfile it accepts, the moment it answered. On SIGTERM it
writes those times to ``--out`` and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import time
from pathlib import Path

import aiohttp

from ocpi_gateway.simulator import SimulatedStation

CONNECT_CONCURRENCY = 100


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def main(url: str, count: int, protocol: str, out: str, start_tx: bool) -> None:
    raise_file_limit()
    answers: dict[str, list[float]] = {}

    def on_event(line: str) -> None:
        if "SetChargingProfile" in line and "-> Accepted" in line:
            answers.setdefault(line.split(" ", 1)[0], []).append(time.time())

    connector = aiohttp.TCPConnector(limit=0)
    session = aiohttp.ClientSession(connector=connector)
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    stations = [
        SimulatedStation(f"B-{i:05d}", url, protocol=protocol, session=session, on_event=on_event)
        for i in range(count)
    ]
    sessions: dict[str, str] = {}

    async def bring_up(station: SimulatedStation) -> None:
        async with gate:
            await station.connect()
            if start_tx:
                sessions[station.station_id] = await station.start_transaction()

    await asyncio.gather(*(bring_up(s) for s in stations))
    print("READY " + json.dumps(sessions), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    Path(out).write_text(json.dumps(answers), encoding="utf-8")
    for station in stations:
        await station.close()
    await session.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--protocol", default="ocpp2.0.1")
    parser.add_argument("--out", required=True)
    parser.add_argument("--no-transactions", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.url, args.count, args.protocol, args.out, not args.no_transactions))
