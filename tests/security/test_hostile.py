"""Hostile or broken station traffic on the live endpoint: answered or closed, never fatal.

Each test ends by checking that the gateway is still healthy: ``/health`` answers and a
fresh, well-behaved station boots and heartbeats.
"""

from __future__ import annotations

import contextlib
import json

import aiohttp
import pytest
from aiohttp import WSMsgType
from structlog.testing import capture_logs

from ocpi_gateway.appkeys import STATIONS
from ocpi_gateway.stations.direct.link import DirectLink
from tests.conftest import Gateway, GatewayFactory

from .conftest import RawConnect, answer_to, boot_and_heartbeat, healthy

FAST = {"max_messages_per_second": 10_000, "message_burst": 10_000}


async def closed_with(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    """Read until the gateway closes ``ws``; its close code."""
    while True:
        msg = await ws.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
            return ws.close_code


async def send_until_refused(ws: aiohttp.ClientWebSocketResponse, count: int) -> None:
    """Send up to ``count`` Heartbeats as fast as possible, stopping once the socket is going."""
    with contextlib.suppress(ConnectionError):
        for n in range(count):
            if ws.closed:
                return
            await ws.send_str(json.dumps([2, f"hb-{n}", "Heartbeat", {}]))


@pytest.fixture
async def gateway(gateway_factory: GatewayFactory) -> Gateway:
    return await gateway_factory(ocpp=FAST)


class TestBrokenFrames:
    @pytest.mark.parametrize(
        ("frame", "expected"),
        [
            ("this is not json", ["-1", "RpcFrameworkError"]),
            ('[7, "m1", {}]', ["m1", "MessageTypeNotSupported"]),
            ('[2, "u1", "NoSuchAction", {}]', ["u1", "NotImplemented"]),
            ('[2, "u2", "RequestStartTransaction", {}]', ["u2", "NotSupported"]),
            ('[2, "s1", "BootNotification", {"reason": "PowerUp"}]', ["s1", "ProtocolError"]),
            ('[2, "s2", "Heartbeat", {"extra": 1}]', ["s2", "FormatViolation"]),
            ('[2, "p1", "Heartbeat", "not an object"]', ["p1", "FormatViolation"]),
        ],
        ids=[
            "not-json",
            "unknown-type",
            "unknown-action",
            "known-action-not-for-csms",
            "missing-field",
            "extra-field",
            "payload-not-object",
        ],
    )
    async def test_201_frames_get_the_spec_answer_and_the_socket_stays(
        self, gateway: Gateway, raw_connect: RawConnect, frame: str, expected: list[str]
    ) -> None:
        """An OCPP 2.0.1 station's broken frame gets its CALLERROR; the same socket then boots."""
        ws = await raw_connect(gateway, "BAD-1", protocol="ocpp2.0.1")
        await ws.send_str(frame)
        answer = await answer_to(ws, expected[0])
        assert answer[:3] == [4, *expected]
        await boot_and_heartbeat(ws, "ocpp2.0.1")
        await healthy(gateway, raw_connect)

    async def test_16_broken_frames_are_answered_and_the_socket_stays(
        self, gateway: Gateway, raw_connect: RawConnect
    ) -> None:
        """1.6: a frame that is no OCPP-J message gets ProtocolError (to id "-1" when none can be read)."""
        ws = await raw_connect(gateway, "BAD-1")
        for garbage, expected in (
            ("not json", ["-1", "ProtocolError"]),
            ("{}", ["-1", "ProtocolError"]),
            ("[]", ["-1", "ProtocolError"]),
            ("[2]", ["-1", "ProtocolError"]),
            ('[9, "x"]', ["x", "ProtocolError"]),
            ('"text"', ["-1", "ProtocolError"]),
            ("[" * 50_000, ["-1", "ProtocolError"]),
        ):
            await ws.send_str(garbage)
            assert (await answer_to(ws, expected[0]))[:3] == [4, *expected], garbage[:20]
        await ws.send_str('[3, "nobody-asked", {}]')  # a well-formed response: dropped, not a violation
        await ws.send_str('[2, "c1", ["Heartbeat"], {}]')
        assert (await answer_to(ws, "c1"))[:3] == [4, "c1", "FormationViolation"]
        await ws.send_str('[2, "u1", "NoSuchAction", {}]')
        assert (await answer_to(ws, "u1"))[:3] == [4, "u1", "NotImplemented"]
        # The package's schema check says FormatViolation for both versions; 1.6 spells it FormationViolation.
        await ws.send_str('[2, "s2", "Heartbeat", {"extra": 1}]')
        assert (await answer_to(ws, "s2"))[:3] == [4, "s2", "FormationViolation"]
        await ws.send_str(
            '[2, "s3", "StatusNotification", {"connectorId": 1, "errorCode": "Bogus", "status": "Available"}]'
        )
        assert (await answer_to(ws, "s3"))[:3] == [4, "s3", "FormationViolation"]
        await boot_and_heartbeat(ws)
        await healthy(gateway, raw_connect)

    @pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
    async def test_too_many_broken_frames_close_the_socket_with_1002(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect, protocol: str
    ) -> None:
        """Below ``ocpp.max_bad_frames`` each broken frame is answered and the station carries on;
        the frame that reaches the limit is answered, then the socket closes with 1002 and a reason."""
        gateway = await gateway_factory(ocpp={**FAST, "max_bad_frames": 3})
        ws = await raw_connect(gateway, "BAD-2", protocol=protocol)
        code = "ProtocolError" if protocol == "ocpp1.6" else "RpcFrameworkError"
        for garbage in ("not json", "{}"):
            await ws.send_str(garbage)
            assert (await answer_to(ws, "-1"))[:3] == [4, "-1", code]
        await boot_and_heartbeat(ws, protocol)  # still connected, still served
        await ws.send_str("[2]")
        assert (await answer_to(ws, "-1"))[:3] == [4, "-1", code]
        while (msg := await ws.receive()).type is WSMsgType.TEXT:
            pass  # the gateway's own calls to a booted station may still arrive
        assert msg.type is WSMsgType.CLOSE
        assert ws.close_code == aiohttp.WSCloseCode.PROTOCOL_ERROR
        assert msg.extra == "too many malformed OCPP-J frames (3)"
        await healthy(gateway, raw_connect)

    async def test_responses_nobody_waits_for_are_dropped(
        self, gateway: Gateway, raw_connect: RawConnect
    ) -> None:
        """Thousands of CALLRESULT/CALLERRORs for unknown ids are logged and dropped, never queued."""
        ws = await raw_connect(gateway, "BAD-1")
        await boot_and_heartbeat(ws)
        with capture_logs() as logs:
            for n in range(1000):
                await ws.send_str(json.dumps([3, f"stray-{n}", {}]))
                await ws.send_str(json.dumps([4, f"stray-err-{n}", "GenericError", "", {}]))
            await ws.send_str(json.dumps([2, "after", "Heartbeat", {}]))
            assert (await answer_to(ws, "after"))[0] == 3
        assert sum(entry["event"] == "ocpp_unexpected_response" for entry in logs) == 2000
        link = gateway.app[STATIONS].get("BAD-1")
        assert isinstance(link, DirectLink)
        assert link.charge_point._response_queue.empty()
        await healthy(gateway, raw_connect)


class TestSocketLimits:
    async def test_oversized_frame_closes_with_1009(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect
    ) -> None:
        """A frame above ocpp.max_frame_bytes closes that socket with 1009; others carry on."""
        gateway = await gateway_factory(ocpp={"max_frame_bytes": 2048})
        ws = await raw_connect(gateway, "BIG-1")
        await ws.send_str(json.dumps([2, "big", "Heartbeat", {"pad": "x" * 4096}]))
        assert await closed_with(ws) == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        await healthy(gateway, raw_connect)

    async def test_binary_frame_closes_with_1003(self, gateway: Gateway, raw_connect: RawConnect) -> None:
        """OCPP-J is text only: a binary frame closes the socket with 1003."""
        ws = await raw_connect(gateway, "BIN-1")
        await ws.send_bytes(b"\x00\xff" * 100)
        assert await closed_with(ws) == aiohttp.WSCloseCode.UNSUPPORTED_DATA
        await healthy(gateway, raw_connect)

    async def test_flood_beyond_the_rate_closes_with_1008(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect
    ) -> None:
        """More frames than the burst at once closes the socket with 1008 and logs the station."""
        gateway = await gateway_factory(ocpp={"max_messages_per_second": 1, "message_burst": 20})
        ws = await raw_connect(gateway, "FLOOD-1")
        with capture_logs() as logs:
            await send_until_refused(ws, 200)
            assert await closed_with(ws) == aiohttp.WSCloseCode.POLICY_VIOLATION
        assert any(e["event"] == "station_flood_closed" and e["station_id"] == "FLOOD-1" for e in logs)
        await healthy(gateway, raw_connect)

    async def test_traffic_within_the_burst_is_served(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect
    ) -> None:
        """A station that stays within the burst is answered every time and never closed."""
        gateway = await gateway_factory(ocpp={"max_messages_per_second": 1, "message_burst": 20})
        ws = await raw_connect(gateway, "CALM-1")
        for n in range(15):
            await ws.send_str(json.dumps([2, f"hb-{n}", "Heartbeat", {}]))
            assert (await answer_to(ws, f"hb-{n}"))[0] == 3
        assert not ws.closed

    async def test_reconnecting_does_not_refill_the_bucket(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect
    ) -> None:
        """The limit belongs to the station id: a new socket after a flood is closed again at once."""
        gateway = await gateway_factory(ocpp={"max_messages_per_second": 0.01, "message_burst": 5})
        first = await raw_connect(gateway, "FLOOD-2")
        await send_until_refused(first, 10)
        assert await closed_with(first) == aiohttp.WSCloseCode.POLICY_VIOLATION
        second = await raw_connect(gateway, "FLOOD-2")
        await second.send_str(json.dumps([2, "again", "Heartbeat", {}]))
        assert await closed_with(second) == aiohttp.WSCloseCode.POLICY_VIOLATION
