"""The OCPP-format profile API end to end, against simulated 1.6 and 2.0.1 stations in direct mode.

Bodies are Axle-style: W, numberPhases 1, a 99999.0 "no limit" period, stackLevel 1100.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ocpi_gateway.appkeys import BACKEND, SESSIONS
from tests.api.support import AXLE_BODY, api, axle_body
from tests.conftest import SCSP_TOKEN, TOKEN_A_ONLY, Gateway, StationFactory
from tests.e2e.helpers import ocpi_headers
from tests.e2e.test_flows import started

SESSION_PATH = "/api/v1/sessions/{}/charging-profile"
STATION_PATH = "/api/v1/stations/{}/charging-profile"


@pytest.fixture(params=["ocpp1.6", "ocpp2.0.1"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def schedule_of(protocol: str, payload: dict[str, Any]) -> dict[str, Any]:
    if protocol == "ocpp1.6":
        return dict(payload["csChargingProfiles"]["chargingSchedule"])
    return dict(payload["chargingProfile"]["chargingSchedule"][0])


async def steer_ready(gateway: Gateway, station_factory: StationFactory, protocol: str) -> tuple[Any, str]:
    return await started(station_factory, gateway, protocol, max_stack_level=2000)


class TestSessionProfile:
    async def test_axle_body_reaches_station_and_answer_comes_back(
        self, gateway: Gateway, station_factory: StationFactory, protocol: str
    ) -> None:
        """An Axle-style PUT is sent to the session's station and answered 200 with its Accepted."""
        station, session_id = await steer_ready(gateway, station_factory, protocol)
        response = await api(
            "PUT", gateway.base_url, SESSION_PATH.format(session_id), SCSP_TOKEN, json=AXLE_BODY
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["state"] == "done"
        assert body["status"] == "Accepted"
        assert body["sessionId"] == session_id
        sent = await station.wait_for_call("SetChargingProfile")
        schedule = schedule_of(protocol, sent)
        assert schedule["chargingRateUnit"] == "W"
        assert [p["limit"] for p in schedule["chargingSchedulePeriod"]] == [4600.0, 7360.0]

    async def test_stack_level_profile_id_and_transaction_are_the_sessions(
        self, gateway: Gateway, station_factory: StationFactory, protocol: str
    ) -> None:
        """The partner's stackLevel 1100 and id 77 give way to the session's own gateway profile
        (``ocpp.stack_level``, the session's profile id) and its transaction."""
        station, session_id = await steer_ready(gateway, station_factory, protocol)
        await api("PUT", gateway.base_url, SESSION_PATH.format(session_id), SCSP_TOKEN, json=AXLE_BODY)
        sent = await station.wait_for_call("SetChargingProfile")
        profile = sent["csChargingProfiles"] if protocol == "ocpp1.6" else sent["chargingProfile"]
        session = await gateway.app[SESSIONS].get(session_id)
        assert session is not None
        assert profile["stackLevel"] == gateway.settings.ocpp.stack_level
        assert profile.get("chargingProfileId", profile.get("id")) == session.charging_profile_id
        assert str(profile["transactionId"]) == station.transactions[1]

    async def test_station_refusal_is_the_answer(
        self, gateway: Gateway, station_factory: StationFactory, protocol: str
    ) -> None:
        """A station that refuses the profile answers Rejected, and so does the API."""
        _station, session_id = await started(station_factory, gateway, protocol, behaviour="reject")
        response = await api(
            "PUT", gateway.base_url, SESSION_PATH.format(session_id), SCSP_TOKEN, json=AXLE_BODY
        )
        assert response.status_code == 200
        assert response.json()["status"] == "Rejected"

    async def test_what_the_station_cannot_take_is_refused_before_it_is_called(
        self, gateway: Gateway, station_factory: StationFactory, protocol: str
    ) -> None:
        """Two periods for a station that takes one: 409 with the reason, no job, no call."""
        station, session_id = await started(station_factory, gateway, protocol, max_periods=1)
        response = await api(
            "PUT", gateway.base_url, SESSION_PATH.format(session_id), SCSP_TOKEN, json=AXLE_BODY
        )
        assert response.status_code == 409
        assert "at most 1" in response.text
        assert not [action for action, _ in station.received if action == "SetChargingProfile"]

    async def test_silent_station_leaves_a_job_to_poll(
        self, gateway_factory: Any, station_factory: StationFactory
    ) -> None:
        """Past the bounded wait the answer is 202 with a job URL, which later tells the outcome."""
        gateway = await gateway_factory(api={"wait_seconds": 0.2})
        station, session_id = await started(station_factory, gateway, "ocpp1.6", max_stack_level=2000)
        station.behaviour = "silent"
        response = await api(
            "PUT", gateway.base_url, SESSION_PATH.format(session_id), SCSP_TOKEN, json=AXLE_BODY
        )
        assert response.status_code == 202
        pending = response.json()
        assert pending["state"] == "pending"
        assert response.headers["Location"] == pending["jobUrl"]
        polled = await api("GET", gateway.base_url, pending["jobUrl"], SCSP_TOKEN)
        assert polled.status_code == 202
        from ocpi_gateway.core import outcomes

        done = await outcomes.wait(gateway.app[BACKEND], pending["jobId"], 10)
        assert done is not None
        assert done.done
        final = await api("GET", gateway.base_url, pending["jobUrl"], SCSP_TOKEN)
        assert final.status_code == 200
        assert final.json()["status"] == "Rejected"
        assert final.json()["statusInfo"]["reasonCode"] == "Timeout"

    async def test_unknown_session_is_404(self, gateway: Gateway) -> None:
        """A session the gateway does not know answers 404 and stores nothing."""
        response = await api("PUT", gateway.base_url, SESSION_PATH.format("nope"), SCSP_TOKEN, json=AXLE_BODY)
        assert response.status_code == 404
        assert "unknown session" in response.json()["error"]

    async def test_invalid_body_lists_every_problem(self, gateway: Gateway) -> None:
        """A bad body is refused 400 with each problem named by its field."""
        body = axle_body(stackLevel="high", chargingProfileKind="Sometimes")
        body["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = 4600.05
        response = await api("PUT", gateway.base_url, SESSION_PATH.format("x"), SCSP_TOKEN, json=body)
        assert response.status_code == 400
        fields = {p["field"] for p in response.json()["problems"]}
        assert fields == {
            "csChargingProfiles.stackLevel",
            "csChargingProfiles.chargingProfileKind",
            "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit",
        }

    async def test_what_ocpi_refuses_is_refused_here(self, gateway: Gateway) -> None:
        """The same strictness as the OCPI way in: a limit above 5,000 A is 400 naming it (OCPI: 2001),
        and a body sent as anything but JSON is refused before it is read."""
        body = axle_body()
        body["csChargingProfiles"]["chargingSchedule"].update(chargingRateUnit="A")
        body["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = 6000.0
        response = await api("PUT", gateway.base_url, SESSION_PATH.format("x"), SCSP_TOKEN, json=body)
        assert response.status_code == 400
        assert response.json()["problems"] == [
            {
                "field": "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit",
                "message": "exceeds 5000.0 A",
            }
        ]
        async with httpx.AsyncClient() as client:
            response = await client.put(
                f"{gateway.base_url}{SESSION_PATH.format('x')}",
                content=json.dumps(AXLE_BODY),
                headers=ocpi_headers(SCSP_TOKEN, **{"Content-Type": "text/plain"}),
            )
        assert response.status_code == 400
        assert "Content-Type must be application/json" in response.json()["error"]

    async def test_token_a_is_refused(self, gateway: Gateway) -> None:
        """A credentials token A is good for the handshake only: 401 here."""
        response = await api("PUT", gateway.base_url, SESSION_PATH.format("x"), TOKEN_A_ONLY, json=AXLE_BODY)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Token"

    async def test_foreign_transaction_is_refused(
        self, gateway: Gateway, station_factory: StationFactory
    ) -> None:
        """A session-level TxProfile naming another transaction is a 400 problem."""
        _, session_id = await steer_ready(gateway, station_factory, "ocpp1.6")
        body = axle_body(transactionId=999999)
        response = await api("PUT", gateway.base_url, SESSION_PATH.format(session_id), SCSP_TOKEN, json=body)
        assert response.status_code == 400
        assert response.json()["problems"][0]["field"] == "csChargingProfiles.transactionId"


class TestStationProfile:
    @pytest.mark.parametrize("profile_id", [999, 1000, 1234])
    async def test_the_gateways_own_profile_ids_are_refused(
        self, gateway: Gateway, station_factory: StationFactory, profile_id: int
    ) -> None:
        """A station-level body taking the CPO's station-limit id (999) or a session's (1000 and up)
        would replace that profile at the station: 400 naming the field; the station is not called."""
        station = await station_factory(gateway, protocol="ocpp1.6", max_stack_level=2000)
        body = axle_body(chargingProfilePurpose="ChargePointMaxProfile", chargingProfileId=profile_id)
        body["connectorId"] = 0
        response = await api(
            "PUT", gateway.base_url, STATION_PATH.format(station.station_id), SCSP_TOKEN, json=body
        )
        assert response.status_code == 400
        assert [p["field"] for p in response.json()["problems"]] == ["csChargingProfiles.chargingProfileId"]
        assert all(action != "SetChargingProfile" for action, _ in station.received)

    async def test_station_max_profile_reaches_connector_zero(
        self, gateway: Gateway, station_factory: StationFactory, protocol: str
    ) -> None:
        """A station-level ChargePointMaxProfile goes to connector/EVSE 0 in the station's protocol."""
        station = await station_factory(gateway, protocol=protocol, max_stack_level=2000)
        body = axle_body(chargingProfilePurpose="ChargePointMaxProfile")
        body["connectorId"] = 0
        response = await api(
            "PUT", gateway.base_url, STATION_PATH.format(station.station_id), SCSP_TOKEN, json=body
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "Accepted"
        sent = await station.wait_for_call("SetChargingProfile")
        if protocol == "ocpp1.6":
            assert (sent["connectorId"], sent["csChargingProfiles"]["chargingProfilePurpose"]) == (
                0,
                "ChargePointMaxProfile",
            )
        else:
            assert (sent["evseId"], sent["chargingProfile"]["chargingProfilePurpose"]) == (
                0,
                "ChargingStationMaxProfile",
            )

    async def test_offline_station_is_409(self, gateway: Gateway) -> None:
        """A station that is not connected is refused at once with 409."""
        body = axle_body(chargingProfilePurpose="TxDefaultProfile")
        response = await api("PUT", gateway.base_url, STATION_PATH.format("CS-away"), SCSP_TOKEN, json=body)
        assert response.status_code == 409


class TestHelpers:
    async def test_validate_lists_problems_without_sending(self, gateway: Gateway) -> None:
        """POST validate: every problem listed, valid false, nothing stored."""
        body = axle_body(chargingProfilePurpose="ChargePointMaxProfile")
        response = await api(
            "POST", gateway.base_url, "/api/v1/validate/charging-profile", SCSP_TOKEN, json=body
        )
        assert response.status_code == 200
        answer = response.json()
        assert answer["valid"] is False
        assert answer["problems"][0]["field"] == "csChargingProfiles.chargingProfilePurpose"

    async def test_validate_shows_the_effective_request(self, gateway: Gateway) -> None:
        """A valid body comes back with "no limit" turned into the EVSE maximum it would send."""
        response = await api(
            "POST", gateway.base_url, "/api/v1/validate/charging-profile", SCSP_TOKEN, json=AXLE_BODY
        )
        answer = response.json()
        assert answer["valid"] is True
        periods = answer["effective"]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]
        assert periods[1]["limit"] == 7360.0

    async def test_example_passes_validation(self, gateway: Gateway) -> None:
        """The served example is a request the validate endpoint accepts."""
        example = (await api("GET", gateway.base_url, "/api/v1/examples/charging-profile", SCSP_TOKEN)).json()
        response = await api(
            "POST", gateway.base_url, "/api/v1/validate/charging-profile", SCSP_TOKEN, json=example
        )
        assert response.json()["valid"] is True

    async def test_unknown_job_is_404(self, gateway: Gateway) -> None:
        """A job id nobody made (or that expired) answers 404."""
        response = await api("GET", gateway.base_url, "/api/v1/jobs/feedbeef", SCSP_TOKEN)
        assert response.status_code == 404
