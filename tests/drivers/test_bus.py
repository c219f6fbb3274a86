"""OCPI PUT/GET/DELETE end to end through the bus driver, against a smart-charging service on MQTT."""

from __future__ import annotations

from typing import Any

import pytest

from ocpi_gateway.cli.mockscsp import MockScsp
from tests.conftest import SCSP_TOKEN, Gateway, GatewayFactory
from tests.drivers.bus_responder import SmartChargingResponder
from tests.drivers.flows import register_session
from tests.e2e.helpers import PROFILE_A, delete_profile, get_profile, put_profile
from tests.e2e.test_flows import result_at

STATION = "CS-BUS"
EVSE = "GB*SEV*E123456789"


async def bus_gateway(gateway_factory: GatewayFactory, bus_settings: dict[str, Any], **extra: Any) -> Gateway:
    gateway = await gateway_factory(ocpp={"mode": "bus", "bus": bus_settings}, **extra)
    await register_session(gateway, "S-9", STATION)
    return gateway


class TestSet:
    async def test_put_is_published_with_the_evse_id_string(
        self,
        gateway_factory: GatewayFactory,
        bus_settings: dict[str, Any],
        responder: SmartChargingResponder,
        mock_scsp: MockScsp,
    ) -> None:
        """OCPI PUT -> set_charging_profile request in snake_case with the bus EVSE id; ACCEPTED back."""
        gateway = await bus_gateway(gateway_factory, bus_settings)
        url = mock_scsp.result_url("put")
        response = await put_profile(gateway.base_url, SCSP_TOKEN, "S-9", PROFILE_A, url)
        assert response.json()["data"]["result"] == "ACCEPTED"
        request = await responder.next_request("set_charging_profile")
        assert request["type"] == "request"
        data = request["data"]
        assert data["evse_id"] == EVSE
        profile = data["charging_profile"]
        assert profile["charging_profile_purpose"] == "TxProfile"
        assert profile["transaction_id"] == "tx-1"
        periods = profile["charging_schedule"][0]["charging_schedule_period"]
        assert [p["limit"] for p in periods] == [16.0, 10.5]
        assert (await result_at(mock_scsp, url)).body == {"result": "ACCEPTED"}

    @pytest.mark.parametrize("behaviour", ["reject", "silent"])
    async def test_refusal_or_silence_is_rejected(
        self,
        gateway_factory: GatewayFactory,
        bus_settings: dict[str, Any],
        responder: SmartChargingResponder,
        mock_scsp: MockScsp,
        behaviour: str,
    ) -> None:
        """A rejected response, or none before the call timeout, ends as REJECTED at the SCSP."""
        responder.behaviour = behaviour
        gateway = await bus_gateway(gateway_factory, bus_settings)
        url = mock_scsp.result_url(behaviour)
        await put_profile(gateway.base_url, SCSP_TOKEN, "S-9", PROFILE_A, url)
        assert (await result_at(mock_scsp, url)).body == {"result": "REJECTED"}

    async def test_unreachable_broker_is_rejected(
        self, gateway_factory: GatewayFactory, bus_settings: dict[str, Any], mock_scsp: MockScsp
    ) -> None:
        """With no broker to publish to, the job ends REJECTED rather than hanging."""
        from ocpi_gateway.cli.demo import free_port

        gateway = await bus_gateway(
            gateway_factory, {**bus_settings, "url": f"mqtt://127.0.0.1:{free_port()}"}
        )
        url = mock_scsp.result_url("nobroker")
        await put_profile(gateway.base_url, SCSP_TOKEN, "S-9", PROFILE_A, url)
        assert (await result_at(mock_scsp, url)).body == {"result": "REJECTED"}


class TestGetAndClear:
    async def test_get_reads_the_services_composite(
        self,
        gateway_factory: GatewayFactory,
        bus_settings: dict[str, Any],
        responder: SmartChargingResponder,
        mock_scsp: MockScsp,
    ) -> None:
        """OCPI GET -> get_composite_schedule for the EVSE string; its schedule is the active profile."""
        gateway = await bus_gateway(gateway_factory, bus_settings)
        url = mock_scsp.result_url("get")
        await get_profile(gateway.base_url, SCSP_TOKEN, "S-9", 900, url)
        body = (await result_at(mock_scsp, url)).body
        assert body["result"] == "ACCEPTED"
        assert body["profile"]["charging_profile"]["charging_rate_unit"] == "W"
        request = await responder.next_request("get_composite_schedule")
        assert request["data"] == {"evse_id": EVSE, "duration": 900}

    async def test_delete_clears_by_profile_id(
        self,
        gateway_factory: GatewayFactory,
        bus_settings: dict[str, Any],
        responder: SmartChargingResponder,
        mock_scsp: MockScsp,
    ) -> None:
        """OCPI DELETE -> clear_charging_profile naming the id the PUT used and its EVSE."""
        gateway = await bus_gateway(gateway_factory, bus_settings)
        put_url = mock_scsp.result_url("put")
        await put_profile(gateway.base_url, SCSP_TOKEN, "S-9", PROFILE_A, put_url)
        await result_at(mock_scsp, put_url)
        set_id = (await responder.next_request("set_charging_profile"))["data"]["charging_profile"]["id"]
        url = mock_scsp.result_url("delete")
        await delete_profile(gateway.base_url, SCSP_TOKEN, "S-9", url)
        assert (await result_at(mock_scsp, url)).body == {"result": "ACCEPTED"}
        request = await responder.next_request("clear_charging_profile")
        assert request["data"] == {"charging_profile_id": set_id, "evse_id": EVSE}

    async def test_unknown_clear_is_unknown(
        self,
        gateway_factory: GatewayFactory,
        bus_settings: dict[str, Any],
        responder: SmartChargingResponder,
        mock_scsp: MockScsp,
    ) -> None:
        """A clear the service answers ``unknown`` reaches the SCSP as UNKNOWN."""
        gateway = await bus_gateway(gateway_factory, bus_settings)
        put_url = mock_scsp.result_url("put")
        await put_profile(gateway.base_url, SCSP_TOKEN, "S-9", PROFILE_A, put_url)
        await result_at(mock_scsp, put_url)
        responder.behaviour = "unknown"
        url = mock_scsp.result_url("delete")
        await delete_profile(gateway.base_url, SCSP_TOKEN, "S-9", url)
        assert (await result_at(mock_scsp, url)).body == {"result": "UNKNOWN"}
