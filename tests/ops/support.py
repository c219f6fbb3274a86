"""Shared steps for the operations tests: a station with a session whose SCSP profile was applied."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from ocpi_gateway.appkeys import SESSIONS
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from tests.conftest import ADMIN_TOKEN, SCSP_TOKEN, Gateway, StationFactory
from tests.e2e.helpers import PROFILE_A, ocpi_headers

SECRET_QUERY = "sig=callback-secret-123"


@dataclass
class Steered:
    """A running session whose profile the station accepted; ``headers`` are the PUT's OCPI headers."""

    station: SimulatedStation
    session_id: str
    headers: dict[str, str]
    result: Any


async def wait_session(gateway: Gateway, session_id: str) -> None:
    for _ in range(200):
        if await gateway.app[SESSIONS].get(session_id) is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"session {session_id} never appeared")


async def steer(
    gateway: Gateway,
    station_factory: StationFactory,
    scsp: MockScsp,
    *,
    protocol: str = "ocpp1.6",
    station_id: str = "CS-OPS",
    profile: dict[str, Any] | None = None,
) -> Steered:
    """Connect a station, start a transaction, PUT a profile and wait until its result is delivered.

    The response_url carries a secret in its query string, so tests can check logs never show it.
    """
    station = await station_factory(gateway, station_id, protocol=protocol)
    session_id = await station.start_transaction(connector_id=1)
    await wait_session(gateway, session_id)
    path = f"/results/{session_id}"
    headers = ocpi_headers(SCSP_TOKEN)
    async with httpx.AsyncClient() as client:
        answer = await client.put(
            f"{gateway.base_url}/ocpi/2.2.1/chargingprofiles/{session_id}",
            json={
                "charging_profile": profile or PROFILE_A,
                "response_url": f"{scsp.base_url}{path}?{SECRET_QUERY}",
            },
            headers=headers,
        )
    assert answer.json()["data"]["result"] == "ACCEPTED", answer.text
    result = await scsp.wait_for(lambda r: r.path == path and r.method == "POST")
    return Steered(station, session_id, headers, result)


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Token {ADMIN_TOKEN}"}
