"""Fixtures for the partner tests: a second mock SCSP (NL*JDX) and admin API helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ocpi_gateway.appkeys import SESSIONS
from ocpi_gateway.cli.mockscsp import MockScsp
from tests.conftest import ADMIN_TOKEN, Gateway
from tests.e2e.helpers import ocpi_headers


@pytest.fixture
async def jedlix() -> AsyncIterator[MockScsp]:
    """A mock SCSP that is not in the gateway's configuration: it joins by handshake."""
    scsp = MockScsp(token="unused-until-handshake", our_token="unused", party_id="JDX", quiet=True)
    await scsp.start()
    yield scsp
    await scsp.stop()


async def admin(gateway: Gateway, method: str, path: str, body: Any = None) -> httpx.Response:
    """One admin API call with the test admin token."""
    async with httpx.AsyncClient() as client:
        return await client.request(
            method, gateway.base_url + path, json=body, headers={"Authorization": f"Token {ADMIN_TOKEN}"}
        )


async def invite(gateway: Gateway, **extra: Any) -> str:
    """Invite NL*JDX (private callbacks allowed: the mock listens on loopback); returns token A."""
    body = {"country_code": "NL", "party_id": "JDX", "allow_private_callbacks": True, **extra}
    response = await admin(gateway, "POST", "/admin/parties/invite", body)
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def versions_url(gateway: Gateway) -> str:
    return f"{gateway.base_url}/ocpi/versions"


async def ocpi_get(gateway: Gateway, path: str, token: str) -> httpx.Response:
    """A GET on the gateway's OCPI API with ``token`` (Base64, as 2.2.1 asks)."""
    async with httpx.AsyncClient() as client:
        return await client.get(gateway.base_url + path, headers=ocpi_headers(token))


async def wait_session(gateway: Gateway, session_id: str) -> None:
    for _ in range(200):
        if await gateway.app[SESSIONS].get(session_id) is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"session {session_id} never appeared")
