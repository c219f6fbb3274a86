"""The OCPP-format profile API through the remote drivers, with Axle-style bodies."""

from __future__ import annotations

from typing import Any

from tests.api.support import AXLE_BODY, api, axle_body
from tests.conftest import SCSP_TOKEN, GatewayFactory
from tests.drivers.bus_responder import SmartChargingResponder
from tests.drivers.flows import register_session
from tests.drivers.mock_csms import MockCsms


async def test_session_profile_through_the_csms_api(
    gateway_factory: GatewayFactory, mock_csms: MockCsms
) -> None:
    """An Axle-style session PUT becomes the CSMS POST in 2.0.1 shape; its Accepted is the answer."""
    gateway = await gateway_factory(ocpp={"mode": "csms_http", "csms_http": mock_csms.settings()})
    await register_session(gateway, "S-1", "CS-HTTP")
    response = await api(
        "PUT", gateway.base_url, "/api/v1/sessions/S-1/charging-profile", SCSP_TOKEN, json=AXLE_BODY
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Accepted"
    assert response.json()["protocol"] == "ocpp2.0.1"
    profile = (await mock_csms.next_request("/charging-profiles")).body["chargingProfile"]
    assert profile["stackLevel"] == gateway.settings.ocpp.stack_level  # the session's own profile
    assert profile["transactionId"] == "tx-1"
    periods = profile["chargingSchedule"][0]["chargingSchedulePeriod"]
    assert periods == [
        {"startPeriod": 0, "limit": 4600.0, "numberPhases": 1},
        {"startPeriod": 900, "limit": 7360.0, "numberPhases": 1},
    ]


async def test_csms_rejection_keeps_its_status_info(
    gateway_factory: GatewayFactory, mock_csms: MockCsms
) -> None:
    """The CSMS's statusInfo comes back to the partner as the answer's statusInfo."""
    mock_csms.behaviour = "reject"
    gateway = await gateway_factory(ocpp={"mode": "csms_http", "csms_http": mock_csms.settings()})
    await register_session(gateway, "S-1", "CS-HTTP")
    response = await api(
        "PUT", gateway.base_url, "/api/v1/sessions/S-1/charging-profile", SCSP_TOKEN, json=AXLE_BODY
    )
    assert response.json()["status"] == "Rejected"
    assert response.json()["statusInfo"] == {
        "reasonCode": "InvalidSchedule",
        "additionalInfo": "mock says no",
    }


async def test_station_profile_through_the_bus(
    gateway_factory: GatewayFactory, bus_settings: dict[str, Any], responder: SmartChargingResponder
) -> None:
    """A station-wide max profile goes out on the bus for the station's EVSE 0 id string."""
    gateway = await gateway_factory(ocpp={"mode": "bus", "bus": bus_settings})
    body = axle_body(chargingProfilePurpose="ChargePointMaxProfile", chargingProfileKind="Absolute")
    body["connectorId"] = 0
    response = await api(
        "PUT", gateway.base_url, "/api/v1/stations/CS-BUS/charging-profile", SCSP_TOKEN, json=body
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Accepted"
    data = (await responder.next_request("set_charging_profile"))["data"]
    assert data["evse_id"] == "GB*SEV*E123456780"
    assert data["charging_profile"]["charging_profile_purpose"] == "ChargingStationMaxProfile"
