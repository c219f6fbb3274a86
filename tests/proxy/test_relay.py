"""Proxy relay: frames pass byte for byte both ways, handshakes carry over, closes mirror."""

from __future__ import annotations

import base64

import pytest

from ocpi_gateway.cli.demo import free_port
from ocpi_gateway.config import settings_from_mapping
from ocpi_gateway.errors import ConfigError
from tests.conftest import Gateway
from tests.proxy.conftest import ProxyFactory, RawStationFactory
from tests.proxy.csms import TestCsms

ODD_HEARTBEAT = '[2,  "hb-1" ,"Heartbeat",{ }]'
ODD_DATA_TRANSFER = '[2,"dt-1","DataTransfer",{"data":"\\u00fcn\u00efc\u00f8de","vendorId":"T\\u00dcST"}]'


class TestFrames:
    @pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
    async def test_station_frames_reach_the_csms_unchanged(
        self, proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory, protocol: str
    ) -> None:
        """Odd spacing and escapes in a station's frame reach the CSMS as the very same text."""
        station = await raw_station(proxy, protocol=protocol)
        await station.send(ODD_HEARTBEAT)
        await station.next_frame()
        upstream = await csms.connection("RAW-1")
        assert upstream.received[1] == ODD_HEARTBEAT

    async def test_csms_frames_reach_the_station_unchanged(
        self, proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory
    ) -> None:
        """What the CSMS sends (its answers, in order) is what the station receives, text for text."""
        station = await raw_station(proxy)
        await station.send(ODD_DATA_TRANSFER)
        await station.send(ODD_HEARTBEAT)
        got = [await station.next_text(), await station.next_text()]
        upstream = await csms.connection("RAW-1")
        assert upstream.received[1:] == [ODD_DATA_TRANSFER, ODD_HEARTBEAT]
        assert got == upstream.sent[1:]

    @pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
    async def test_upstream_gets_station_id_subprotocol_and_authorization(
        self, proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory, protocol: str
    ) -> None:
        """The CSMS is dialled for the same station id, with its subprotocol and Authorization header."""
        auth = "Basic " + base64.b64encode(b"CS 7:secret-secret-1").decode()
        await raw_station(proxy, "CS 7", protocol=protocol, headers={"Authorization": auth})
        upstream = await csms.connection("CS 7")
        assert upstream.protocol == protocol
        assert upstream.headers["Authorization"] == auth

    async def test_per_station_upstream_url_wins(
        self, proxy_factory: ProxyFactory, csms: TestCsms, raw_station: RawStationFactory
    ) -> None:
        """``[[ocpp.stations]] upstream_url`` sends that station to its own CSMS."""
        gateway = await proxy_factory(
            ocpp={
                "upstream_url": f"ws://127.0.0.1:{free_port()}/nowhere",
                "allow_unknown_stations": False,
                "stations": [{"station_id": "RAW-1", "upstream_url": csms.url}],
            }
        )
        await raw_station(gateway)
        assert (await csms.connection("RAW-1")).station_id == "RAW-1"


class TestClosing:
    async def test_station_close_code_reaches_the_csms(
        self, proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory
    ) -> None:
        """A station closing with 4001 "bye" closes the CSMS side with 4001 "bye"."""
        station = await raw_station(proxy)
        upstream = await csms.connection("RAW-1")
        await station.ws.close(code=4001, message=b"bye")
        await upstream.wait_closed()
        assert (upstream.close_code, upstream.close_reason) == (4001, "bye")

    async def test_csms_close_code_reaches_the_station(
        self, proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory
    ) -> None:
        """The CSMS closing with 4002 "maintenance" closes the station with 4002 "maintenance"."""
        station = await raw_station(proxy)
        await (await csms.connection("RAW-1")).close(4002, "maintenance")
        assert await station.closed_with() == (4002, "maintenance")

    async def test_unreachable_csms_closes_the_station_with_1011(
        self, proxy_factory: ProxyFactory, raw_station: RawStationFactory
    ) -> None:
        """No CSMS listening: the station's websocket is closed with 1011."""
        gateway = await proxy_factory(ocpp={"upstream_url": f"ws://127.0.0.1:{free_port()}/csms"})
        station = await raw_station(gateway, boot=False)
        code, reason = await station.closed_with()
        assert code == 1011
        assert "unreachable" in reason

    async def test_csms_refusing_the_handshake_closes_the_station_with_1008(
        self, proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory
    ) -> None:
        """The CSMS answering 401 to the upgrade closes the station with 1008 naming the status."""
        csms.refuse_with = 401
        station = await raw_station(proxy, boot=False)
        assert await station.closed_with() == (1008, "upstream CSMS refused the station: HTTP 401")

    async def test_replacing_connection_closes_the_old_upstream(
        self, proxy: Gateway, csms: TestCsms, raw_station: RawStationFactory
    ) -> None:
        """A second connection for the station gets its own upstream; the old pair closes with 1000."""
        old = await raw_station(proxy)
        await raw_station(proxy)
        first = await csms.connection("RAW-1", 1)
        await first.wait_closed()
        assert first.close_code == 1000
        assert (await old.closed_with())[0] == 1000
        assert not (await csms.connection("RAW-1", 2)).closed.is_set()


class TestConfig:
    def test_proxy_mode_needs_an_upstream_url(self) -> None:
        """ocpp.mode = "proxy" without upstream_url stops start-up naming the key."""
        with pytest.raises(ConfigError, match="upstream_url is required"):
            settings_from_mapping({"ocpp": {"mode": "proxy"}})

    def test_upstream_url_must_be_a_websocket_url(self) -> None:
        """An http:// upstream URL is refused (the CSMS is dialled as a websocket)."""
        with pytest.raises(ConfigError, match=r"ocpp\.upstream_url"):
            settings_from_mapping({"ocpp": {"mode": "proxy", "upstream_url": "http://csms/ocpp"}})
