"""``ocpi-gateway simulate``: many simulated stations in one process until told to stop.

All stations share one ``aiohttp.ClientSession`` whose connector has no connection cap
(aiohttp's default of 100 would hold station 101 back forever, since every websocket keeps
its connection). Connecting is spread through a semaphore so thousands of stations do not
hit the CSMS in the same millisecond; a station whose link drops reconnects with back-off.
Each notable event becomes one printed line.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from ocpp.exceptions import OCPPError

from ocpi_gateway.cli.simulator.station import SimulatedStation
from ocpi_gateway.timeutil import utcnow

CONNECT_CONCURRENCY = 50
RETRY_FIRST = 1.0
RETRY_MAX = 30.0
METER_POWER_W = 7400.0  # what a charging car draws in the simulation (32 A, one phase)


def _print(line: str) -> None:
    print(f"{utcnow():%H:%M:%S} {line}", flush=True)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()


async def _meter(station: SimulatedStation, interval: float) -> None:
    """Report the energy of each running transaction every ``interval`` seconds, at 7.4 kW.

    So the OCPI Sessions module has something to tell: each reading moves the session's kWh,
    and the gateway PATCHes it to the partners (at most once per ``ocpi.session_patch_interval``).
    """
    energy_wh = 0.0
    while True:
        await asyncio.sleep(interval)
        energy_wh += METER_POWER_W * interval / 3600
        for transaction_id in list(station.transactions.values()):
            with contextlib.suppress(ConnectionError, OCPPError, TimeoutError):
                await station.send_meter_values(transaction_id, round(energy_wh), power_w=METER_POWER_W)


async def _keep_running(
    station: SimulatedStation,
    gate: asyncio.Semaphore,
    start_transactions: bool,
    stop: asyncio.Event,
    meter_interval: float = 0.0,
) -> None:
    """Connect, optionally start a transaction (and report its meter), reconnect whenever the link drops."""
    delay = RETRY_FIRST
    while not stop.is_set():
        meter: asyncio.Task[None] | None = None
        try:
            async with gate:
                await station.connect()
            delay = RETRY_FIRST
            if start_transactions and not station.transactions:
                await station.start_transaction()
            if start_transactions and meter_interval > 0:
                meter = asyncio.create_task(_meter(station, meter_interval))
            await station.wait_disconnected(timeout=None)
        except (aiohttp.ClientError, ConnectionError, OSError, TimeoutError, OCPPError) as exc:
            _print(f"{station.station_id} connection failed: {type(exc).__name__} {exc}")
        finally:
            if meter is not None:
                meter.cancel()
        if stop.is_set():
            break
        await _sleep_unless(stop, delay)
        delay = min(delay * 2, RETRY_MAX)


async def run_simulation(
    url: str,
    stations: int,
    protocol: str,
    start_transactions: bool,
    password: str | None,
    prefix: str = "SIM",
    stop: asyncio.Event | None = None,
    meter_interval: float = 0.0,
) -> None:
    """Run ``stations`` charge points named ``{prefix}-0001``... against ``url`` until ``stop``.

    Args:
        url: the CSMS websocket base, e.g. ``ws://127.0.0.1:8080/ocpp``.
        stations: how many stations to run.
        protocol: ``ocpp1.6`` or ``ocpp2.0.1``.
        start_transactions: start one transaction on connector 1 of each station once booted.
        password: HTTP Basic password (user = station id) for security profile 1/2.
        prefix: station id prefix.
        stop: set it to close every station and return; ``None`` runs until cancelled.
        meter_interval: with ``start_transactions``, report each transaction's energy this often
            (seconds; 0 = never).
    """
    stop = stop or asyncio.Event()
    _print(f"simulating {stations} {protocol} stations against {url}")
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        fleet = [
            SimulatedStation(
                f"{prefix}-{n:04d}",
                url,
                protocol=protocol,
                password=password,
                session=session,
                on_event=_print,
            )
            for n in range(1, stations + 1)
        ]
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        runners = [
            asyncio.create_task(_keep_running(s, gate, start_transactions, stop, meter_interval))
            for s in fleet
        ]
        try:
            await stop.wait()
        finally:
            for runner in runners:
                runner.cancel()
            await asyncio.gather(*runners, return_exceptions=True)
            await asyncio.gather(*(s.close() for s in fleet), return_exceptions=True)
    _print(f"simulation stopped: {stations} stations closed")
