"""OCPI PUT/GET/DELETE end to end through the csms_http driver, against a mock CSMS REST server."""

from __future__ import annotations

from typing import Any

import pytest

from ocpi_gateway.app import create_app
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.errors import ConfigError
from tests.conftest import SCSP_TOKEN, Gateway, GatewayFactory, make_settings
from tests.drivers.flows import register_session
from tests.drivers.mock_csms import CSMS_TOKEN, MockCsms
from tests.e2e.helpers import PROFILE_A, delete_profile, get_profile, put_profile
from tests.e2e.test_flows import result_at

STATION = "CS-HTTP"


async def csms_gateway(
    gateway_factory: GatewayFactory, mock_csms: MockCsms, *, composite: bool = False, **extra: Any
) -> Gateway:
    gateway = await gateway_factory(
        ocpp={"mode": "csms_http", "csms_http": mock_csms.settings(composite=composite)}, **extra
    )
    await register_session(gateway, "S-1", STATION)
    return gateway


class TestSet:
    async def test_put_becomes_a_post_to_the_csms(
        self, gateway_factory: GatewayFactory, mock_csms: MockCsms, mock_scsp: MockScsp
    ) -> None:
        """OCPI PUT -> POST of the 2.0.1 chargingProfile for the session's EVSE, with the Bearer token."""
        gateway = await csms_gateway(gateway_factory, mock_csms)
        url = mock_scsp.result_url("put")
        response = await put_profile(gateway.base_url, SCSP_TOKEN, "S-1", PROFILE_A, url)
        assert response.json()["data"]["result"] == "ACCEPTED"
        request = await mock_csms.next_request("/charging-profiles")
        assert (request.station_id, request.evse_id) == (STATION, 1)
        assert request.authorization == f"Bearer {CSMS_TOKEN}"
        profile = request.body["chargingProfile"]
        assert profile["chargingProfilePurpose"] == "TxProfile"
        assert profile["transactionId"] == "tx-1"
        assert [p["limit"] for p in profile["chargingSchedule"][0]["chargingSchedulePeriod"]] == [16.0, 10.5]
        assert (await result_at(mock_scsp, url)).body == {"result": "ACCEPTED"}

    @pytest.mark.parametrize("behaviour", ["reject", "error", "silent"])
    async def test_csms_refusal_error_or_silence_is_rejected(
        self, gateway_factory: GatewayFactory, mock_csms: MockCsms, mock_scsp: MockScsp, behaviour: str
    ) -> None:
        """A Rejected answer, an HTTP 500 or no answer in time each end as REJECTED at the SCSP."""
        mock_csms.behaviour = behaviour
        gateway = await csms_gateway(gateway_factory, mock_csms)
        url = mock_scsp.result_url(behaviour)
        await put_profile(gateway.base_url, SCSP_TOKEN, "S-1", PROFILE_A, url)
        assert (await result_at(mock_scsp, url)).body == {"result": "REJECTED"}


class TestGet:
    async def test_get_is_computed_from_the_profiles_set(
        self, gateway_factory: GatewayFactory, mock_csms: MockCsms, mock_scsp: MockScsp
    ) -> None:
        """Without a composite endpoint, GET answers the composite of what the gateway set."""
        gateway = await csms_gateway(gateway_factory, mock_csms)
        put_url = mock_scsp.result_url("put")
        await put_profile(gateway.base_url, SCSP_TOKEN, "S-1", PROFILE_A, put_url)
        await result_at(mock_scsp, put_url)
        url = mock_scsp.result_url("get")
        await get_profile(gateway.base_url, SCSP_TOKEN, "S-1", 3600, url)
        body = (await result_at(mock_scsp, url)).body
        assert body["result"] == "ACCEPTED"
        periods = body["profile"]["charging_profile"]["charging_profile_period"]
        assert [p["limit"] for p in periods] == [16.0, 10.5]
        assert not [r for r in mock_csms.requests if r.path.endswith("/composite-schedule")]

    async def test_get_uses_the_composite_endpoint_when_configured(
        self, gateway_factory: GatewayFactory, mock_csms: MockCsms, mock_scsp: MockScsp
    ) -> None:
        """With ``composite_url`` the CSMS's own composite schedule is the answer."""
        gateway = await csms_gateway(gateway_factory, mock_csms, composite=True)
        url = mock_scsp.result_url("get")
        await get_profile(gateway.base_url, SCSP_TOKEN, "S-1", 600, url)
        body = (await result_at(mock_scsp, url)).body
        assert body["result"] == "ACCEPTED"
        assert body["profile"]["charging_profile"]["charging_profile_period"] == [
            {"start_period": 0, "limit": 13.0}
        ]
        assert (await mock_csms.next_request("/composite-schedule")).body["duration"] == 600


class TestClear:
    async def test_delete_clears_exactly_the_gateways_profile(
        self, gateway_factory: GatewayFactory, mock_csms: MockCsms, mock_scsp: MockScsp
    ) -> None:
        """OCPI DELETE -> clear by the profile id the PUT used; the CSMS holds nothing afterwards."""
        gateway = await csms_gateway(gateway_factory, mock_csms)
        put_url = mock_scsp.result_url("put")
        await put_profile(gateway.base_url, SCSP_TOKEN, "S-1", PROFILE_A, put_url)
        await result_at(mock_scsp, put_url)
        set_id = (await mock_csms.next_request("/charging-profiles")).body["chargingProfile"]["id"]
        url = mock_scsp.result_url("delete")
        await delete_profile(gateway.base_url, SCSP_TOKEN, "S-1", url)
        assert (await result_at(mock_scsp, url)).body == {"result": "ACCEPTED"}
        clear = await mock_csms.next_request("/charging-profiles/clear")
        assert clear.body == {"chargingProfileId": set_id}
        assert clear.evse_id == 1
        assert mock_csms.profiles[(STATION, 1)] == {}


class TestStations:
    async def test_registered_sessions_station_is_reachable(
        self, gateway_factory: GatewayFactory, mock_csms: MockCsms
    ) -> None:
        """A session registered through the admin API makes its station known, as OCPP 2.0.1."""
        from ocpi_gateway.appkeys import BACKEND

        gateway = await csms_gateway(gateway_factory, mock_csms)
        info = await gateway.app[BACKEND].stations.lookup(STATION)
        assert info is not None
        assert info.protocol.value == "ocpp2.0.1"

    def test_missing_url_template_stops_start_up(self) -> None:
        """csms_http without set_profile_url is a configuration error naming the key."""
        settings = make_settings(8080, ocpp={"mode": "csms_http"})
        with pytest.raises(ConfigError, match=r"ocpp\.csms_http\.set_profile_url"):
            create_app(settings)
