"""The gateway's own calls on a relayed link: own ids, answers kept from the CSMS, one call at a time."""

from __future__ import annotations

import asyncio

import pytest
from ocpp.v16 import call as call16

from ocpi_gateway.appkeys import STATIONS
from ocpi_gateway.errors import StationTimeout
from ocpi_gateway.stations.driver import StationLink
from tests.conftest import Gateway
from tests.proxy.conftest import RawStation, RawStationFactory
from tests.proxy.csms import CsmsConnection, TestCsms

HELD = 0.3  # how long a held frame must stay away (an absence, not a speed claim)
COMPOSITE = call16.GetCompositeSchedule(connector_id=1, duration=60)


async def relayed(
    proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory
) -> tuple[RawStation, CsmsConnection, StationLink]:
    station = await raw_station(proxy)
    link = proxy.app[STATIONS].get("RAW-1")
    assert link is not None
    return station, await csms.connection("RAW-1"), link


class TestInjectedCalls:
    async def test_gateway_call_uses_its_own_id_and_its_answer_stays_with_the_gateway(
        self, proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory
    ) -> None:
        """The gateway's CALL carries a gw- id; the station's answer returns to it, never to the CSMS."""
        station, upstream, link = await relayed(proxy, csms, raw_station)
        task = asyncio.create_task(link.call(COMPOSITE, timeout=5))
        frame = await station.next_frame()
        assert frame[:3] == [2, frame[1], "GetCompositeSchedule"]
        assert frame[1].startswith("gw-")
        assert len(frame[1]) <= 36
        await station.send([3, frame[1], {"status": "Rejected"}])
        assert (await task).status == "Rejected"
        await station.send([2, "hb-after", "Heartbeat", {}])
        await station.next_frame()
        assert all("gw-" not in text for text in upstream.received)

    async def test_late_answer_to_a_timed_out_call_is_not_relayed(
        self, proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory
    ) -> None:
        """An answer arriving after the gateway gave up is dropped, not handed to the CSMS."""
        station, upstream, link = await relayed(proxy, csms, raw_station)
        task = asyncio.create_task(link.call(COMPOSITE, timeout=0.2))
        frame = await station.next_frame()
        with pytest.raises(StationTimeout):
            await task
        await station.send([3, frame[1], {"status": "Accepted"}])
        await station.send([2, "hb-after", "Heartbeat", {}])
        await station.next_frame()
        assert all(frame[1] not in text for text in upstream.received)

    async def test_gateway_call_waits_while_the_csms_has_one_open(
        self, proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory
    ) -> None:
        """While the CSMS's call is unanswered the gateway's is held back; it follows the answer."""
        station, upstream, link = await relayed(proxy, csms, raw_station)
        csms_call = asyncio.create_task(upstream.cp.call(call16.GetConfiguration(key=["HeartbeatInterval"])))
        first = await station.next_frame()
        assert first[2] == "GetConfiguration"
        assert not first[1].startswith("gw-")
        gateway_call = asyncio.create_task(link.call(COMPOSITE, timeout=5))
        assert await station.quiet_for(HELD)
        await station.send([3, first[1], {"configurationKey": []}])
        second = await station.next_frame()
        assert second[2] == "GetCompositeSchedule"
        assert second[1].startswith("gw-")
        await station.send([3, second[1], {"status": "Accepted", "connectorId": 1}])
        assert (await gateway_call).status == "Accepted"
        assert (await csms_call).configuration_key == []

    async def test_csms_call_waits_in_order_while_the_gateway_has_one_open(
        self, proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory
    ) -> None:
        """The CSMS's call and its later frames wait behind the gateway's open call, in their order."""
        station, upstream, link = await relayed(proxy, csms, raw_station)
        gateway_call = asyncio.create_task(link.call(COMPOSITE, timeout=5))
        ours = await station.next_frame()
        csms_call = asyncio.create_task(upstream.cp.call(call16.GetConfiguration(key=["HeartbeatInterval"])))
        assert await station.quiet_for(HELD)
        await station.send([2, "hb-held", "Heartbeat", {}])  # its answer queues behind the CSMS's call
        await station.send([3, ours[1], {"status": "Rejected"}])
        theirs, heartbeat = await station.next_frame(), await station.next_frame()
        assert theirs[2] == "GetConfiguration"
        assert heartbeat[:2] == [3, "hb-held"]
        await station.send([3, theirs[1], {"configurationKey": []}])
        assert (await gateway_call).status == "Rejected"
        assert (await csms_call).configuration_key == []
