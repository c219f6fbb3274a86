"""Proxy mode end to end: SCSP profiles reach stations behind a CSMS that never notices."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from ocpi_gateway.domain import SessionStatus
from tests.conftest import SCSP_TOKEN, Gateway, StationFactory
from tests.e2e.helpers import PROFILE_A, delete_profile, get_profile, put_profile
from tests.e2e.test_flows import result_at, wait_session
from tests.proxy.conftest import ProxyFactory
from tests.proxy.csms import TestCsms
from tests.proxy.test_learning import session_when

STATION_ACTIONS = {
    "ocpp1.6": ["BootNotification", "StartTransaction", "StopTransaction"],
    "ocpp2.0.1": ["BootNotification", "TransactionEvent", "TransactionEvent", "TransactionEvent"],
}


def frames(texts: list[str]) -> list[list[Any]]:
    return [json.loads(text) for text in texts]


class TestStationBehindCsms:
    @pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
    async def test_boot_charge_steer_stop_with_the_csms_none_the_wiser(
        self,
        proxy: Gateway,
        csms: TestCsms,
        station_factory: StationFactory,
        mock_scsp: MockScsp,
        protocol: str,
    ) -> None:
        """PUT, GET and DELETE reach a relayed station and are answered; the CSMS sees only the
        station's own calls, and answers every one of them."""
        station = await station_factory(proxy, protocol=protocol)
        session_id = await station.start_transaction(connector_id=1)
        await wait_session(proxy, session_id)
        put_url, get_url, del_url = (mock_scsp.result_url(tag) for tag in ("put", "get", "del"))
        await put_profile(proxy.base_url, SCSP_TOKEN, session_id, PROFILE_A, put_url)
        assert (await result_at(mock_scsp, put_url)).body == {"result": "ACCEPTED"}
        assert len(station.profiles) == 1
        await get_profile(proxy.base_url, SCSP_TOKEN, session_id, 900, get_url)
        active = (await result_at(mock_scsp, get_url)).body
        assert active["profile"]["charging_profile"]["charging_profile_period"][0]["limit"] == 16.0
        await delete_profile(proxy.base_url, SCSP_TOKEN, session_id, del_url)
        assert (await result_at(mock_scsp, del_url)).body == {"result": "ACCEPTED"}
        assert station.profiles == []
        await station.stop_transaction(session_id)
        await session_when(proxy, session_id, lambda s: s.status is SessionStatus.COMPLETED)

        upstream = await csms.connection("CS-1")
        seen, answered = frames(upstream.received), frames(upstream.sent)
        assert {frame[0] for frame in seen} == {2}  # only the station's CALLs, never an answer
        assert [f[2] for f in seen if f[2] in STATION_ACTIONS[protocol]] == STATION_ACTIONS[protocol]
        assert [frame[1] for frame in answered] == [frame[1] for frame in seen]
        assert {frame[0] for frame in answered} == {3}


class TestUpstreamLoss:
    async def test_station_follows_the_csms_away_and_back(
        self,
        proxy: Gateway,
        csms: TestCsms,
        station_factory: StationFactory,
        mock_scsp: MockScsp,
    ) -> None:
        """The CSMS going away closes the station; once it is back the station reconnects through
        the gateway to a new upstream, and its SCSP profile is sent again."""
        station = await station_factory(proxy)
        session_id = await station.start_transaction(connector_id=1)
        await wait_session(proxy, session_id)
        url = mock_scsp.result_url("put")
        await put_profile(proxy.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        assert (await result_at(mock_scsp, url)).body == {"result": "ACCEPTED"}
        await station.wait_for_call("SetChargingProfile")

        await csms.stop()
        await station.wait_disconnected()
        assert not station.connected
        await csms.start()
        await station.connect()

        assert (await csms.connection("CS-1", 2)).protocol == "ocpp1.6"
        again = await station.wait_for_call("SetChargingProfile")
        assert again["csChargingProfiles"]["transactionId"] == int(session_id)


class TestSeveralNodes:
    async def test_profile_accepted_on_one_node_reaches_the_station_relayed_by_another(
        self, proxy_factory: ProxyFactory, redis_settings: dict[str, Any], csms: TestCsms, mock_scsp: MockScsp
    ) -> None:
        """Redis: node A relays the station; a PUT on node B runs on A and is answered; the
        session A learnt from the CSMS's answer is known to B."""
        node_a = await proxy_factory(node_id="proxy-a", redis=redis_settings)
        node_b = await proxy_factory(node_id="proxy-b", redis=redis_settings)
        station = SimulatedStation("CS-R", node_a.ws_url)
        try:
            await station.connect()
            session_id = await station.start_transaction(connector_id=1)
            await wait_session(node_b, session_id)
            url = mock_scsp.result_url("multi")
            resp = await put_profile(node_b.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
            assert resp.json()["data"]["result"] == "ACCEPTED"
            assert (await result_at(mock_scsp, url)).body == {"result": "ACCEPTED"}
            assert len(station.profiles) == 1
            assert all("gw-" not in text for text in (await csms.connection("CS-R")).received)
        finally:
            await station.close()
