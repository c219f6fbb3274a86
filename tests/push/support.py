"""Helpers for the push and Sessions tests: partner endpoints on the mock SCSP, steering, waiting."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from ocpi_gateway.appkeys import PARTIES, WORKER
from ocpi_gateway.backend.parties import Endpoint
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.mockscsp.server import Received
from tests.conftest import ADMIN_TOKEN, SCSP_TOKEN, Gateway

PROFILE_16A = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 16.0}]}
CP_PREFIX = "/ocpi/2.2.1/chargingprofiles/"
SESSIONS_PREFIX = "/ocpi/2.2.1/sessions/NL/GWY/"


async def give_endpoints(
    gateway: Gateway,
    scsp: MockScsp,
    key: str = "NL*SCS",
    *,
    chargingprofiles: bool = True,
    sessions: bool = True,
) -> None:
    """Store the partner's endpoints as a handshake would: on the mock SCSP's own server."""
    directory = gateway.app[PARTIES]
    party = await directory.get(key)
    assert party is not None
    endpoints = []
    if chargingprofiles:
        endpoints.append(
            Endpoint(
                identifier="chargingprofiles",
                role="SENDER",
                url=f"{scsp.base_url}/ocpi/2.2.1/chargingprofiles",
            )
        )
    if sessions:
        endpoints.append(
            Endpoint(identifier="sessions", role="RECEIVER", url=f"{scsp.base_url}/ocpi/2.2.1/sessions")
        )
    # As a handshake stores them: a static configuration never overwrites that record.
    await directory.put(party.model_copy(update={"endpoints": tuple(endpoints), "source": "handshake"}))


async def admin(gateway: Gateway, method: str, path: str, body: Any = None) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.request(
            method, gateway.base_url + path, json=body, headers={"Authorization": f"Token {ADMIN_TOKEN}"}
        )


async def steer(
    gateway: Gateway,
    scsp: MockScsp,
    session_id: str,
    profile: dict[str, Any] = PROFILE_16A,
    token: str = SCSP_TOKEN,
) -> dict[str, Any]:
    """PUT a profile as ``scsp`` and wait for its async result; returns the result body."""
    url = scsp.result_url()
    answer = await scsp.put_profile(gateway.base_url, token, session_id, profile, url)
    assert answer["data"]["result"] == "ACCEPTED", answer
    path = url.removeprefix(scsp.base_url)
    result = await scsp.wait_for(lambda r: r.path == path and r.method == "POST")
    return dict(result.body)


def pushes(scsp: MockScsp, session_id: str) -> list[Received]:
    """ActiveChargingProfile PUTs the partner accepted for the session, oldest first."""
    return [
        r for r in scsp.received if r.method == "PUT" and r.path == CP_PREFIX + session_id and r.status < 300
    ]


async def next_push(scsp: MockScsp, session_id: str, after: int = 0, timeout: float = 10.0) -> Received:
    """The push number ``after + 1`` for the session, waiting for it."""
    seen = 0

    def nth(received: Received) -> bool:
        nonlocal seen
        if received.method == "PUT" and received.path == CP_PREFIX + session_id:
            seen += 1
            return seen == after + 1
        return False

    return await scsp.wait_for(nth, timeout)


async def quiet(gateway: Gateway, window: float) -> None:
    """Let the coalescing window pass and the worker run dry, so a missing push is really missing."""
    await asyncio.sleep(window * 2 + 0.3)
    for _ in range(500):
        if gateway.app[WORKER].in_flight == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the worker never ran dry")


def limits(received: Received) -> list[float]:
    """The period limits of a pushed ActiveChargingProfile."""
    return [p["limit"] for p in received.body["charging_profile"]["charging_profile_period"]]
