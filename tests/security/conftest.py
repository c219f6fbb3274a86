"""Fixtures for station security: a gateway with listed stations and passwords, raw sockets.

Passwords are hashed with a small scrypt factor (``n=2**8``) so tests stay fast; the
production default is checked in ``test_passwords.py``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from ocpi_gateway.appkeys import STATIONS
from ocpi_gateway.models.passwords import hash_password
from ocpi_gateway.stations.direct.auth import basic_authorization
from tests.conftest import Gateway, GatewayFactory

PASSWORD = "correct-horse-battery-1"
OTHER_PASSWORD = "another-station-secret"
WAIT = 5.0


def station_entry(station_id: str, password: str | None = PASSWORD, **extra: Any) -> dict[str, Any]:
    """One ``[[ocpp.stations]]`` entry with a cheap salted hash of ``password``."""
    entry: dict[str, Any] = {"station_id": station_id, **extra}
    if password is not None:
        entry["password_hash"] = hash_password(password, n=2**8)
    return entry


async def secured_gateway(factory: GatewayFactory, profile: int = 1, **ocpp: Any) -> Gateway:
    """A gateway under ``profile`` that lists CS-1 and CS-2 (each with its own password)."""
    stations = ocpp.pop("stations", [station_entry("CS-1"), station_entry("CS-2", OTHER_PASSWORD)])
    return await factory(ocpp={"security_profile": profile, "stations": stations, **ocpp})


RawConnect = Callable[..., Awaitable[aiohttp.ClientWebSocketResponse]]


@pytest.fixture
async def raw_connect() -> AsyncIterator[RawConnect]:
    """Open bare websockets (no ChargePoint behind them) with optional Basic credentials."""
    client = aiohttp.ClientSession()

    async def connect(
        gateway: Gateway,
        station_id: str,
        password: str | None = None,
        *,
        protocol: str = "ocpp1.6",
        user: str | None = None,
    ) -> aiohttp.ClientWebSocketResponse:
        headers = {}
        if password is not None:
            headers["Authorization"] = basic_authorization(user or station_id, password)
        return await client.ws_connect(
            f"{gateway.ws_url}/{station_id}", protocols=[protocol], headers=headers
        )

    yield connect
    await client.close()


async def connected(gateway: Gateway, station_id: str) -> bool:
    """Whether the gateway holds a live link for ``station_id`` now."""
    link = gateway.app[STATIONS].get(station_id)
    return link is not None and not link.closed


async def eventually(predicate: Callable[[], Awaitable[bool]]) -> None:
    """Wait (bounded) until ``predicate()`` holds, so a bug fails instead of hanging."""
    async with asyncio.timeout(WAIT):
        while not await predicate():  # noqa: ASYNC110  # the gateway has no event for this to await
            await asyncio.sleep(0.02)


BOOTS = {
    "ocpp1.6": {"chargePointVendor": "V", "chargePointModel": "M"},
    "ocpp2.0.1": {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"},
}


async def answer_to(ws: aiohttp.ClientWebSocketResponse, unique_id: str) -> list[Any]:
    """The CALLRESULT/CALLERROR for ``unique_id``, skipping the gateway's own calls."""
    async with asyncio.timeout(WAIT):
        while True:
            msg = await ws.receive()
            assert msg.type is aiohttp.WSMsgType.TEXT, msg
            frame = json.loads(msg.data)
            if frame[0] in (3, 4) and frame[1] == unique_id:
                return list(frame)


async def boot_and_heartbeat(ws: aiohttp.ClientWebSocketResponse, protocol: str = "ocpp1.6") -> None:
    """A well-behaved station's first steps on ``ws``: BootNotification Accepted, then a Heartbeat."""
    await ws.send_str(json.dumps([2, "boot", "BootNotification", BOOTS[protocol]]))
    boot = await answer_to(ws, "boot")
    assert boot[0] == 3, boot
    assert boot[2]["status"] == "Accepted"
    await ws.send_str(json.dumps([2, "beat", "Heartbeat", {}]))
    beat = await answer_to(ws, "beat")
    assert beat[0] == 3, beat
    assert beat[2]["currentTime"].endswith("Z")


async def healthy(gateway: Gateway, raw: RawConnect, station_id: str = "GOOD") -> None:
    """The gateway answers /health and a fresh, well-behaved station boots and heartbeats."""
    async with aiohttp.ClientSession() as client, client.get(f"{gateway.base_url}/health") as resp:
        assert resp.status == 200
    ws = await raw(gateway, station_id)
    try:
        await boot_and_heartbeat(ws)
    finally:
        await ws.close()
