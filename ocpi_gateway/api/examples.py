"""The filled-in example request served at ``GET /api/v1/examples/charging-profile``.

It is the shape Axle Energy sends: an Absolute TxProfile in W on one phase at stack level
1100, whose last period says "no limit" with 99999.0 (the gateway sends the EVSE maximum).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ocpi_gateway.timeutil import format_utc, utcnow


def example_request() -> dict[str, Any]:
    """A valid OCPP 1.6 SetChargingProfile request starting at the next whole hour."""
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 1100,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "startSchedule": format_utc(start),
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 3680.0, "numberPhases": 1},
                    {"startPeriod": 3600, "limit": 99999.0, "numberPhases": 1},
                ],
            },
        },
    }
