"""A second connection for a connected station id: refused unless it authenticates, then it wins."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import WSMsgType

from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from ocpi_gateway.timeutil import utcnow
from tests.conftest import SCSP_TOKEN, GatewayFactory, StationFactory
from tests.e2e.helpers import PROFILE_A, put_profile

from .conftest import PASSWORD, WAIT, RawConnect, answer_to, connected, secured_gateway

BOOT = json.dumps([2, "boot-1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}])
HEARTBEAT = json.dumps([2, "hb-1", "Heartbeat", {}])


async def close_frame(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """The CLOSE the gateway sends on this socket (other frames are skipped)."""
    async with asyncio.timeout(WAIT):
        while True:
            msg = await ws.receive()
            if msg.type is not WSMsgType.TEXT:
                return msg


class TestDuplicateConnections:
    async def test_wrong_password_for_a_connected_id_leaves_it_alone(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect
    ) -> None:
        """A second handshake with a wrong password gets 401 and the live connection keeps working."""
        gateway = await secured_gateway(gateway_factory)
        live = await raw_connect(gateway, "CS-1", PASSWORD)
        await live.send_str(BOOT)
        assert (await answer_to(live, "boot-1"))[0] == 3
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await raw_connect(gateway, "CS-1", "an-impostor-password")
        assert refused.value.status == 401
        await live.send_str(HEARTBEAT)
        assert (await answer_to(live, "hb-1"))[0] == 3
        assert not live.closed
        assert await connected(gateway, "CS-1")

    async def test_authenticated_second_connection_replaces_the_first_with_a_reason(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect
    ) -> None:
        """The right password on a second socket closes the first (1000 + reason); the new one serves."""
        gateway = await secured_gateway(gateway_factory)
        old = await raw_connect(gateway, "CS-1", PASSWORD)
        await old.send_str(BOOT)
        await answer_to(old, "boot-1")
        new = await raw_connect(gateway, "CS-1", PASSWORD)
        closing = await close_frame(old)
        assert closing.type is WSMsgType.CLOSE
        assert closing.data == aiohttp.WSCloseCode.OK
        assert closing.extra == "replaced by a newer connection"
        await new.send_str(HEARTBEAT)
        assert (await answer_to(new, "hb-1"))[0] == 3

    @pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
    async def test_job_in_flight_follows_the_station_to_its_new_connection(
        self,
        gateway_factory: GatewayFactory,
        station_factory: StationFactory,
        mock_scsp: MockScsp,
        protocol: str,
    ) -> None:
        """A SetChargingProfile left unanswered on a replaced connection is sent again on the new one.

        The SCSP gets exactly one result, ACCEPTED, from the station's second connection.
        """
        gateway = await secured_gateway(gateway_factory)
        old = await station_factory(gateway, "CS-1", protocol=protocol, password=PASSWORD, behaviour="silent")
        session_id = await old.start_transaction(connector_id=1)
        transaction_id = old.transactions[1]
        url = mock_scsp.result_url("rerouted")
        answered = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        assert answered.json()["data"]["result"] == "ACCEPTED"
        await old.wait_for_call("SetChargingProfile")  # and says nothing

        new = SimulatedStation("CS-1", gateway.ws_url, protocol=protocol, password=PASSWORD)
        new.state.begin(transaction_id, 1, utcnow())  # the same car is still charging
        try:
            await new.connect()
            await new.wait_for_call("SetChargingProfile")
            path = url.removeprefix(mock_scsp.base_url)
            result = await mock_scsp.wait_for(lambda r: r.path == path and r.method == "POST")
            assert result.body == {"result": "ACCEPTED"}
            await old.wait_disconnected()
            assert [p.transaction_id for p in new.profiles] == [transaction_id]
            await asyncio.sleep(0.2)  # a second result would have arrived by now
            assert [r.path for r in mock_scsp.received if r.method == "POST"].count(path) == 1
            assert await connected(gateway, "CS-1")
        finally:
            await new.close()
