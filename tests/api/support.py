"""Axle-style bodies and a small client for the OCPP-format profile API."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from tests.e2e.helpers import ocpi_headers

AXLE_BODY: dict[str, Any] = {
    "connectorId": 1,
    "csChargingProfiles": {
        "chargingProfileId": 77,
        "stackLevel": 1100,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "W",
            "startSchedule": "2030-01-01T00:00:00Z",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 4600.0, "numberPhases": 1},
                {"startPeriod": 900, "limit": 99999.0, "numberPhases": 1},
            ],
        },
    },
}


def axle_body(**profile: Any) -> dict[str, Any]:
    """The Axle-style body with some ``csChargingProfiles`` fields replaced."""
    body = copy.deepcopy(AXLE_BODY)
    body["csChargingProfiles"].update(profile)
    return body


async def api(method: str, base_url: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
    """One call to ``/api/v1`` with the partner's OCPI token."""
    async with httpx.AsyncClient(timeout=15) as client:
        return await client.request(method, f"{base_url}{path}", headers=ocpi_headers(token), **kwargs)
