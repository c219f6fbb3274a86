"""Fixtures for proxy mode: a real upstream CSMS, the gateway in front of it, bare station sockets.

``csms`` is :class:`tests.proxy.csms.TestCsms` (the ``ocpp`` package as CSMS); ``proxy_factory``
starts a real gateway with ``ocpp.mode = "proxy"`` pointing at it; ``raw_station`` opens a
bare websocket as a station, for exact frames, close codes and the timing of calls that a
library station would hide. Simulated stations (``station_factory``) work unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from tests.conftest import Gateway, GatewayFactory
from tests.proxy.csms import WAIT, TestCsms

BOOT = {
    "ocpp1.6": {"chargePointVendor": "Raw", "chargePointModel": "R1"},
    "ocpp2.0.1": {"chargingStation": {"vendorName": "Raw", "model": "R1"}, "reason": "PowerUp"},
}
_CAPABILITY_READS = ("GetConfiguration", "GetVariables")


class RawStation:
    """A station as bare frames: the test sends and reads exact text."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self.auto_answered: list[str] = []

    async def send(self, frame: list[Any] | str) -> None:
        await self.ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))

    async def next_text(self, timeout: float = WAIT) -> str:
        """The next text frame; the gateway's own capability reads are answered and skipped.

        Raises:
            AssertionError: the socket closed instead.
        """
        while True:
            msg = await self.ws.receive(timeout)
            assert msg.type is aiohttp.WSMsgType.TEXT, f"expected a frame, got {msg.type.name} {msg.data!r}"
            frame = json.loads(msg.data)
            if frame[0] == 2 and frame[1].startswith("gw-") and frame[2] in _CAPABILITY_READS:
                self.auto_answered.append(frame[2])
                await self.send([4, frame[1], "NotImplemented", "not in this test", {}])
                continue
            return str(msg.data)

    async def next_frame(self, timeout: float = WAIT) -> list[Any]:
        return list(json.loads(await self.next_text(timeout)))

    async def quiet_for(self, seconds: float) -> bool:
        """True when no frame (other than a skipped capability read) arrives for ``seconds``."""
        try:
            await self.next_text(seconds)
        except TimeoutError:
            return True
        return False

    async def closed_with(self) -> tuple[int, str]:
        """Wait for the gateway to close the socket: its code and reason."""
        while True:
            msg = await self.ws.receive(WAIT)
            if msg.type is aiohttp.WSMsgType.CLOSE:
                return int(msg.data), str(msg.extra or "")
            assert msg.type is aiohttp.WSMsgType.TEXT, f"unexpected {msg.type.name}"

    async def boot(self) -> None:
        await self.send([2, "boot-1", "BootNotification", BOOT[self.protocol]])
        answer = await self.next_frame()
        assert answer[:2] == [3, "boot-1"]


RawStationFactory = Callable[..., Awaitable[RawStation]]
ProxyFactory = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def csms() -> AsyncIterator[TestCsms]:
    server = TestCsms()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def proxy_factory(gateway_factory: GatewayFactory, csms: TestCsms) -> ProxyFactory:
    """A gateway in proxy mode in front of ``csms`` (more ``ocpp`` keys and sections may be given)."""

    async def make(node_id: str = "test-node", **sections: dict[str, Any]) -> Gateway:
        ocpp = {"mode": "proxy", "upstream_url": csms.url, **sections.pop("ocpp", {})}
        return await gateway_factory(node_id, ocpp=ocpp, **sections)

    return make


@pytest.fixture
async def proxy(proxy_factory: ProxyFactory) -> Gateway:
    return await proxy_factory()


@pytest.fixture
async def raw_station() -> AsyncIterator[RawStationFactory]:
    session = aiohttp.ClientSession()
    made: list[RawStation] = []

    async def make(
        gateway: Gateway,
        station_id: str = "RAW-1",
        protocol: str = "ocpp1.6",
        boot: bool = True,
        headers: dict[str, str] | None = None,
    ) -> RawStation:
        ws = await session.ws_connect(f"{gateway.ws_url}/{station_id}", protocols=[protocol], headers=headers)
        station = RawStation(ws, protocol)
        made.append(station)
        if boot:
            await station.boot()
        return station

    yield make
    for station in made:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(station.ws.close(), 2)
    await session.close()
