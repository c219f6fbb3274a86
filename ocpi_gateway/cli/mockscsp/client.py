"""The mock SCSP's client side: OCPI PUT/GET/DELETE on a gateway's chargingprofiles endpoint.

Each call carries what a real SCSP sends: ``Authorization: Token <base64>``, a fresh
X-Request-ID and X-Correlation-ID, and the OCPI-from/to routing headers. The caller passes
one shared ``httpx.AsyncClient``; nothing here opens a client per request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from ocpi_gateway.partners.parties import encode_token

PROFILES_PATH = "/ocpi/2.2.1/chargingprofiles"


@dataclass(frozen=True, slots=True)
class Route:
    """Who is talking to whom, for the OCPI routing headers."""

    from_country_code: str = "NL"
    from_party_id: str = "SCS"
    to_country_code: str = "NL"
    to_party_id: str = "GWY"


def ocpi_headers(token: str, route: Route) -> dict[str, str]:
    """Authorization, request/correlation ids and routing headers for one request."""
    return {
        "Authorization": encode_token(token),
        "X-Request-ID": str(uuid.uuid4()),
        "X-Correlation-ID": str(uuid.uuid4()),
        "OCPI-from-country-code": route.from_country_code,
        "OCPI-from-party-id": route.from_party_id,
        "OCPI-to-country-code": route.to_country_code,
        "OCPI-to-party-id": route.to_party_id,
    }


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The gateway's JSON answer; a non-JSON answer (e.g. a bare 401) is described instead."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"http_status": response.status_code, "body": response.text}


def _url(gateway_base: str, session_id: str) -> str:
    return f"{gateway_base.rstrip('/')}{PROFILES_PATH}/{session_id}"


async def put_profile(
    client: httpx.AsyncClient,
    gateway_base: str,
    token: str,
    session_id: str,
    profile: dict[str, Any],
    response_url: str,
    route: Route = Route(),
) -> dict[str, Any]:
    """PUT a SetChargingProfile (``profile`` is the OCPI ChargingProfile) for a session."""
    response = await client.put(
        _url(gateway_base, session_id),
        json={"charging_profile": profile, "response_url": response_url},
        headers=ocpi_headers(token, route),
    )
    return _answer(response)


async def get_profile(
    client: httpx.AsyncClient,
    gateway_base: str,
    token: str,
    session_id: str,
    duration: int,
    response_url: str,
    route: Route = Route(),
) -> dict[str, Any]:
    """GET the ActiveChargingProfile of a session over ``duration`` seconds."""
    response = await client.get(
        _url(gateway_base, session_id),
        params={"duration": duration, "response_url": response_url},
        headers=ocpi_headers(token, route),
    )
    return _answer(response)


async def delete_profile(
    client: httpx.AsyncClient,
    gateway_base: str,
    token: str,
    session_id: str,
    response_url: str,
    route: Route = Route(),
) -> dict[str, Any]:
    """DELETE the profile this SCSP set on a session."""
    response = await client.delete(
        _url(gateway_base, session_id),
        params={"response_url": response_url},
        headers=ocpi_headers(token, route),
    )
    return _answer(response)
