"""Issue 16, point 2, over real sockets: an OCPP-format body is fitted to the station exactly as an
OCPI profile is, and lives on the session's one gateway profile that OCPI replaces and clears.
"""

from __future__ import annotations

from typing import Any

import pytest

from ocpi_gateway.appkeys import SESSIONS
from ocpi_gateway.cli.mockscsp import MockScsp
from tests.api.support import api, axle_body
from tests.conftest import SCSP_TOKEN, Gateway, StationFactory
from tests.e2e.helpers import PROFILE_A, delete_profile, put_profile
from tests.e2e.test_flows import result_at, started

SESSION_PATH = "/api/v1/sessions/{}/charging-profile"
AMPS_ONLY = frozenset({"A"})


def issue_body() -> dict[str, Any]:
    """The issue's Axle-style body: id 1, stackLevel 1100, TxProfile, W on one phase, 99999.0 and 7000.0."""
    body = axle_body(chargingProfileId=1, stackLevel=1100)
    periods = body["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]
    periods[0]["limit"], periods[1]["limit"] = 99999.0, 7000.0
    return body


def sent_profile(protocol: str, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(profile, schedule) of a SetChargingProfile the station received."""
    if protocol == "ocpp1.6":
        profile = payload["csChargingProfiles"]
        return profile, profile["chargingSchedule"]
    profile = payload["chargingProfile"]
    return profile, profile["chargingSchedule"][0]


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_axle_body_reaches_an_amps_only_station_with_max_stack_level_8(
    gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
) -> None:
    """Converted to A on one phase, at the session's stack level and id: the station accepts it.
    An OCPI DELETE for the session then clears exactly that profile."""
    station, session_id = await started(
        station_factory, gateway, protocol, allowed_units=AMPS_ONLY, max_stack_level=8
    )
    response = await api(
        "PUT", gateway.base_url, SESSION_PATH.format(session_id), SCSP_TOKEN, json=issue_body()
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Accepted"
    profile, schedule = sent_profile(protocol, await station.wait_for_call("SetChargingProfile"))
    session = await gateway.app[SESSIONS].get(session_id)
    assert session is not None
    assert schedule["chargingRateUnit"] == "A"
    assert schedule["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 32.0, "numberPhases": 1},  # "no limit": the EVSE maximum, 32 A
        {"startPeriod": 900, "limit": 30.4, "numberPhases": 1},  # 7000 W / 230 V / 1 phase
    ]
    assert profile["stackLevel"] == gateway.settings.ocpp.stack_level <= 8
    assert profile.get("chargingProfileId", profile.get("id")) == session.charging_profile_id != 1
    assert [p.profile_id for p in station.profiles] == [session.charging_profile_id]

    url = mock_scsp.result_url("clear")
    answer = await delete_profile(gateway.base_url, SCSP_TOKEN, session_id, url)
    assert answer.json()["data"]["result"] == "ACCEPTED"
    assert (await result_at(mock_scsp, url)).body == {"result": "ACCEPTED"}
    assert station.profiles == []


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_an_ocpi_put_after_an_api_put_replaces_the_profile(
    gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
) -> None:
    """One profile id at the station: the OCPI PUT lands on the id the API's profile used."""
    station, session_id = await started(station_factory, gateway, protocol)
    response = await api(
        "PUT", gateway.base_url, SESSION_PATH.format(session_id), SCSP_TOKEN, json=issue_body()
    )
    assert response.json()["status"] == "Accepted"
    first = [p.profile_id for p in station.profiles]
    url = mock_scsp.result_url("ocpi-put")
    answer = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
    assert answer.json()["data"]["result"] == "ACCEPTED"
    assert (await result_at(mock_scsp, url)).body == {"result": "ACCEPTED"}
    assert [p.profile_id for p in station.profiles] == first
    assert len(first) == 1
    assert station.profiles[0].unit == PROFILE_A["charging_rate_unit"]


async def test_the_api_profile_becomes_the_sessions_applied_profile(
    gateway: Gateway, station_factory: StationFactory
) -> None:
    """Without per-period phases, the OCPP-format profile is what GET and a reconnect re-apply."""
    _station, session_id = await started(station_factory, gateway, "ocpp2.0.1")
    body = issue_body()
    for period in body["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]:
        del period["numberPhases"]
    response = await api("PUT", gateway.base_url, SESSION_PATH.format(session_id), SCSP_TOKEN, json=body)
    assert response.json()["status"] == "Accepted"
    session = await gateway.app[SESSIONS].get(session_id)
    assert session is not None
    assert session.applied_profile is not None
    assert session.applied_by == "NL*SCS"
    assert [p.limit for p in session.applied_profile.charging_profile_period] == [22080.0, 7000.0]
