"""The websocket endpoint itself: handshake rules, replacement, bad frames, shutdown."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import WSMsgType
from ocpp.v16 import call
from structlog.testing import capture_logs

from ocpi_gateway.stations.direct.auth import parse_basic

from .conftest import WAIT, Endpoint, EndpointFactory, RawFactory, StationFactory, eventually

BOOT = json.dumps(["boot-1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}])
BOOT_FRAME = "[2," + BOOT[1:]


async def frames_until_closed(ws: aiohttp.ClientWebSocketResponse) -> list[aiohttp.WSMessage]:
    """Every frame the server sends until it closes the socket."""
    seen = []
    async with asyncio.timeout(WAIT):
        while True:
            msg = await ws.receive()
            seen.append(msg)
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
                return seen


async def answer_to(ws: aiohttp.ClientWebSocketResponse, unique_id: str) -> list[object]:
    """The CALLRESULT/CALLERROR frame for ``unique_id``, skipping the server's own calls."""
    async with asyncio.timeout(WAIT):
        while True:
            msg = await ws.receive()
            assert msg.type is WSMsgType.TEXT
            frame = json.loads(msg.data)
            if frame[0] in (3, 4) and frame[1] == unique_id:
                return list(frame)


class TestHandshake:
    async def test_no_common_subprotocol_completes_then_closes(self, raw_socket: RawFactory) -> None:
        """A client offering only unknown subprotocols is upgraded without one, then closed."""
        ws = await raw_socket("CP1", protocols=("ocpp1.5",))
        assert ws.protocol is None
        frames = await frames_until_closed(ws)
        assert frames[-1].type is WSMsgType.CLOSE
        assert ws.close_code == aiohttp.WSCloseCode.PROTOCOL_ERROR

    async def test_201_is_preferred_when_both_are_offered(
        self, endpoint: Endpoint, raw_socket: RawFactory
    ) -> None:
        """Offering ocpp1.6 first and ocpp2.0.1 second still selects ocpp2.0.1."""
        ws = await raw_socket("CP1", protocols=("ocpp1.6", "ocpp2.0.1"))
        assert ws.protocol == "ocpp2.0.1"
        await eventually(lambda: endpoint.directory.get("CP1") is not None)

    async def test_unknown_station_gets_404_when_stations_are_listed(
        self, endpoint_factory: EndpointFactory, station: StationFactory
    ) -> None:
        """With a station list and no allow_unknown, an unlisted id is refused with HTTP 404."""
        listed = await endpoint_factory(stations=("CP-OK",))
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await station("CP-OTHER", target=listed)
        assert refused.value.status == 404

    @pytest.mark.parametrize("path", ["a%2Fb", "x" * 49])
    async def test_an_id_that_is_not_one_path_segment_of_at_most_48_gets_404(
        self, endpoint: Endpoint, path: str
    ) -> None:
        """An encoded "/" would make an id no other path can name; longer than 48 is not OCPP's."""
        async with aiohttp.ClientSession() as client:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await client.ws_connect(f"{endpoint.url}/{path}", protocols=["ocpp1.6"])
        assert refused.value.status == 404
        assert endpoint.directory.stations() == []

    async def test_listed_station_is_admitted(
        self, endpoint_factory: EndpointFactory, station: StationFactory
    ) -> None:
        """A listed station id connects when the list is enforced."""
        listed = await endpoint_factory(stations=("CP-OK",))
        await station("CP-OK", target=listed)
        assert (await listed.next_connected()).station_id == "CP-OK"


class TestConnections:
    async def test_second_connection_replaces_the_first(
        self, endpoint: Endpoint, station: StationFactory
    ) -> None:
        """A new socket for the same id closes the old one; calls then reach the new station."""
        old = await station("CP1")
        await endpoint.next_connected()
        new = await station("CP1")
        await endpoint.next_connected()
        await old.closed()
        assert old.ws.closed
        link = endpoint.directory.get("CP1")
        assert link is not None
        await link.call(call.ClearChargingProfile(id=1), timeout=WAIT)
        assert new.received[-1] == "ClearChargingProfile"
        assert "ClearChargingProfile" not in old.received

    async def test_disconnect_removes_the_station(self, endpoint: Endpoint, station: StationFactory) -> None:
        """A station closing its socket leaves the directory and is logged with its protocol."""
        sim = await station("CP1")
        await endpoint.next_connected()
        with capture_logs() as logs:
            await sim.ws.close()
            await eventually(lambda: endpoint.directory.get("CP1") is None)
        assert {"event": "station_disconnected", "station_id": "CP1", "protocol": "ocpp1.6"}.items() <= next(
            entry for entry in logs if entry["event"] == "station_disconnected"
        ).items()

    async def test_wait_for_returns_the_link_once_connected(
        self, endpoint: Endpoint, station: StationFactory
    ) -> None:
        """wait_for resolves when the station connects, and gives None for one that never does."""
        waiting = asyncio.create_task(endpoint.directory.wait_for("CP1", WAIT))
        await station("CP1")
        link = await waiting
        assert link is not None
        assert link.station_id == "CP1"
        assert await endpoint.directory.wait_for("NOBODY", 0.05) is None

    async def test_close_sends_going_away(self, endpoint: Endpoint, station: StationFactory) -> None:
        """Shutdown closes every station socket with 1001 and empties the directory."""
        sim = await station("CP1")
        await endpoint.next_connected()
        await endpoint.directory.close()
        await sim.closed()
        assert sim.ws.close_code == aiohttp.WSCloseCode.GOING_AWAY
        await eventually(lambda: endpoint.directory.stations() == [])


class TestBadFrames:
    async def test_oversized_frame_closes_with_1009_and_others_still_served(
        self, endpoint_factory: EndpointFactory, station: StationFactory
    ) -> None:
        """A frame above max_frame_bytes closes that socket with 1009; other stations carry on."""
        small = await endpoint_factory(max_frame_bytes=1024)
        client = aiohttp.ClientSession()
        try:
            ws = await client.ws_connect(f"{small.url}/BIG", protocols=["ocpp1.6"])
            await ws.send_str("x" * 2048)
            await frames_until_closed(ws)
            assert ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        finally:
            await client.close()
        other = await station("OK", target=small)
        answer = await other.call(call.Heartbeat())
        assert answer.current_time.endswith("Z")

    @pytest.mark.parametrize("extra", [0, 1])
    async def test_max_frame_bytes_is_the_largest_frame_accepted(
        self, endpoint_factory: EndpointFactory, extra: int
    ) -> None:
        """A frame of exactly ``max_frame_bytes`` (UTF-8 bytes) is read; one byte more closes with 1009."""
        small = await endpoint_factory(max_frame_bytes=1024)
        head, tail = '[2, "big", "DataTransfer", {"vendorId": "v", "data": "', '"}]'
        # Multibyte padding: the limit counts bytes, not characters.
        pad = 1024 + extra - len(head) - len(tail)
        frame = head + "é" * (pad // 2) + "x" * (pad % 2) + tail
        assert len(frame.encode()) == 1024 + extra
        client = aiohttp.ClientSession()
        try:
            ws = await client.ws_connect(f"{small.url}/EDGE", protocols=["ocpp1.6"])
            await ws.send_str(frame)
            if extra:
                await frames_until_closed(ws)
                assert ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
            else:
                assert (await answer_to(ws, "big"))[0] in (3, 4)  # read and answered
                assert not ws.closed
        finally:
            await client.close()

    async def test_garbage_frames_do_not_end_the_connection(self, raw_socket: RawFactory) -> None:
        """Non-JSON, non-OCPP and unroutable frames are dropped; the same socket then boots."""
        ws = await raw_socket("CP1")
        for garbage in ("not json", "{}", "[]", "[2]", '[2, "g1", [1], {}]', '[9, "g2"]', '"text"'):
            await ws.send_str(garbage)
        await ws.send_str(BOOT_FRAME)
        answer = await answer_to(ws, "boot-1")
        assert answer[0] == 3
        assert answer[2]["status"] == "Accepted"  # type: ignore[index]

    async def test_unknown_action_gets_a_call_error(self, raw_socket: RawFactory) -> None:
        """A CALL for an action OCPP 1.6 does not know is answered with CALLERROR NotImplemented."""
        ws = await raw_socket("CP1")
        await ws.send_str('[2, "u1", "NoSuchAction", {}]')
        answer = await answer_to(ws, "u1")
        assert answer[:3] == [4, "u1", "NotImplemented"]

    async def test_binary_frame_closes_with_1003(self, endpoint: Endpoint, raw_socket: RawFactory) -> None:
        """OCPP-J is text only: a binary frame closes the socket with 1003 (unsupported data)."""
        ws = await raw_socket("CP1")
        await ws.send_bytes(b"\x00\x01")
        await frames_until_closed(ws)
        assert ws.close_code == aiohttp.WSCloseCode.UNSUPPORTED_DATA
        await eventually(lambda: endpoint.directory.get("CP1") is None)


class TestBasicAuth:
    async def test_right_password_connects(
        self, endpoint_factory: EndpointFactory, station: StationFactory
    ) -> None:
        """Under security profile 1 a station with its id and password connects."""
        secured = await endpoint_factory(stations=("CP1",), security_profile=1, passwords={"CP1": "s3cret"})
        await station("CP1", target=secured, auth=("CP1", "s3cret"))
        assert (await secured.next_connected()).station_id == "CP1"

    @pytest.mark.parametrize(
        "auth",
        [None, ("CP1", "wrong"), ("CP2", "s3cret")],
        ids=["missing", "wrong-password", "other-user"],
    )
    async def test_bad_credentials_get_401(
        self, endpoint_factory: EndpointFactory, station: StationFactory, auth: tuple[str, str] | None
    ) -> None:
        """Missing credentials, a wrong password or another user name are refused with 401."""
        secured = await endpoint_factory(
            stations=("CP1", "CP2"), security_profile=1, passwords={"CP1": "s3cret", "CP2": "other"}
        )
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await station("CP1", target=secured, auth=auth)
        assert refused.value.status == 401

    async def test_station_without_password_hash_is_refused(
        self, endpoint_factory: EndpointFactory, station: StationFactory
    ) -> None:
        """An admitted id with no configured password_hash cannot authenticate under profile 1."""
        secured = await endpoint_factory(allow_unknown=True, security_profile=1)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await station("ANY", target=secured, auth=("ANY", "x"))
        assert refused.value.status == 401


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (aiohttp.encode_basic_auth("CP1", "pw:with:colons"), ("CP1", "pw:with:colons")),
        ("basic " + aiohttp.encode_basic_auth("CP1", "").split(" ")[1], ("CP1", "")),
        ("Bearer abc", None),
        ("Basic !!!not-base64", None),
        ("Basic bm9jb2xvbg==", None),  # "nocolon"
        ("Basic", None),
    ],
)
def test_parse_basic(header: str, expected: tuple[str, str] | None) -> None:
    """The Authorization header parser takes only well-formed Basic credentials."""
    assert parse_basic(header) == expected
