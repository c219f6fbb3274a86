"""Which CSMS profile requests may touch the SCSP's profile of a steered session (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ocpi_gateway.domain import OcppVersion, Session
from ocpi_gateway.models.ocpi import ChargingProfile
from ocpi_gateway.stations.proxy.profiles import touches_gateway_profile

LEVEL = 1


def session(steered: bool = True) -> Session:
    return Session(
        session_id="7001",
        station_id="CS-1",
        connector_id=1,
        evse_id=1,
        transaction_id="7001",
        ocpp_version=OcppVersion.V16,
        started_at=datetime(2030, 1, 1, tzinfo=UTC),
        charging_profile_id=5,
        applied_profile=ChargingProfile.model_validate(
            {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 16.0}]}
        )
        if steered
        else None,
    )


def v16_set(**profile: Any) -> dict[str, Any]:
    base = {"chargingProfileId": 90, "stackLevel": LEVEL, "chargingProfilePurpose": "TxProfile"}
    return {"connectorId": profile.pop("connectorId", 1), "csChargingProfiles": {**base, **profile}}


def v201_set(**profile: Any) -> dict[str, Any]:
    base = {"id": 90, "stackLevel": LEVEL, "chargingProfilePurpose": "TxProfile"}
    return {"evseId": profile.pop("evseId", 1), "chargingProfile": {**base, **profile}}


@pytest.mark.parametrize(
    ("action", "request_", "touched"),
    [
        ("SetChargingProfile", v16_set(), True),
        ("SetChargingProfile", v16_set(transactionId=7001), True),
        ("SetChargingProfile", v16_set(transactionId=7002), False),
        ("SetChargingProfile", v16_set(stackLevel=LEVEL + 1), False),
        ("SetChargingProfile", v16_set(connectorId=2), False),
        ("SetChargingProfile", v16_set(chargingProfilePurpose="TxDefaultProfile"), False),
        ("SetChargingProfile", v16_set(chargingProfileId=5, stackLevel=9), True),
        ("SetChargingProfile", v201_set(), True),
        ("SetChargingProfile", v201_set(evseId=2), False),
        ("ClearChargingProfile", {}, True),
        ("ClearChargingProfile", {"id": 5}, True),
        ("ClearChargingProfile", {"id": 6}, False),
        ("ClearChargingProfile", {"connectorId": 0, "chargingProfilePurpose": "TxProfile"}, True),
        ("ClearChargingProfile", {"connectorId": 2}, False),
        ("ClearChargingProfile", {"stackLevel": LEVEL + 1}, False),
        ("ClearChargingProfile", {"chargingProfilePurpose": "ChargePointMaxProfile"}, False),
        ("ClearChargingProfile", {"chargingProfileId": 5}, True),
        ("ClearChargingProfile", {"chargingProfileCriteria": {"evseId": 1, "stackLevel": LEVEL}}, True),
        ("ClearChargingProfile", {"chargingProfileCriteria": {"evseId": 3}}, False),
        ("GetCompositeSchedule", {"connectorId": 1, "duration": 60}, False),
    ],
)
def test_which_requests_touch_the_scsp_profile(action: str, request_: dict[str, Any], touched: bool) -> None:
    """A CSMS request touches the steered session exactly as the table says."""
    assert touches_gateway_profile(action, request_, session(), LEVEL) is touched


def test_unsteered_session_is_never_touched() -> None:
    """Without an SCSP profile applied there is nothing of the SCSP's to change."""
    assert touches_gateway_profile("ClearChargingProfile", {}, session(steered=False), LEVEL) is False
