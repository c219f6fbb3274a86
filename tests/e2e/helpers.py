"""Small helpers for end-to-end tests: an SCSP-side HTTP client with OCPI headers."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx

PROFILE_A = {
    "charging_rate_unit": "A",
    "charging_profile_period": [{"start_period": 0, "limit": 16.0}, {"start_period": 1800, "limit": 10.5}],
}


def ocpi_headers(token: str, *, b64: bool = True, **extra: str) -> dict[str, str]:
    value = base64.b64encode(token.encode()).decode() if b64 else token
    headers = {
        "Authorization": f"Token {value}",
        "X-Request-ID": str(uuid.uuid4()),
        "X-Correlation-ID": str(uuid.uuid4()),
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "SCS",
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "GWY",
    }
    headers.update(extra)
    return headers


async def put_profile(
    base_url: str, token: str, session_id: str, profile: dict[str, Any], response_url: str, **headers: str
) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.put(
            f"{base_url}/ocpi/2.2.1/chargingprofiles/{session_id}",
            json={"charging_profile": profile, "response_url": response_url},
            headers=ocpi_headers(token, **headers),
        )


async def get_profile(
    base_url: str, token: str, session_id: str, duration: int, response_url: str
) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(
            f"{base_url}/ocpi/2.2.1/chargingprofiles/{session_id}",
            params={"duration": duration, "response_url": response_url},
            headers=ocpi_headers(token),
        )


async def delete_profile(base_url: str, token: str, session_id: str, response_url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.delete(
            f"{base_url}/ocpi/2.2.1/chargingprofiles/{session_id}",
            params={"response_url": response_url},
            headers=ocpi_headers(token),
        )
