"""Proxy mode: one station websocket relayed to its CSMS, with the gateway's own calls slipped in.

Every frame goes through unchanged (the same text) and in order, both ways. The exceptions
are the gateway's own calls: :meth:`DirectLink.call` sends them to the station with ids
``gw-<uuid hex>`` that cannot clash with the CSMS's, and the station's answers to them are
consumed here, never relayed, so the CSMS is none the wiser.

OCPP-J allows one open CALL per direction. Towards the station that direction is shared by
the CSMS and the gateway, so both take the same *turn* (an ``asyncio.Lock``): while the
CSMS has a call open, the gateway's waits (inside its own timeout); while the gateway's is
open, the relay stops reading the CSMS, so its frames wait in order behind its CALL. A CSMS
call the station never answers gives the turn back after ``ocpp.call_timeout``.

When either side closes, the other is closed with the same code and reason; codes that
cannot be sent (1005, 1006: no close frame at all) become 1011.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import WSCloseCode

from ocpi_gateway.domain import Capabilities, OcppVersion
from ocpi_gateway.errors import StationDisconnected
from ocpi_gateway.stations.direct.central import GatewayChargePoint
from ocpi_gateway.stations.direct.connection import WebSocketConnection
from ocpi_gateway.stations.direct.frames import CALL, Frame, read_frame
from ocpi_gateway.stations.direct.link import DirectLink
from ocpi_gateway.stations.proxy.observer import TrafficObserver
from ocpi_gateway.translate.profiles import effective_stack_level

log = structlog.get_logger(__name__)

GATEWAY_ID_PREFIX = "gw-"
# Close codes a close frame may not carry (RFC 6455 §7.4.1): the link just broke.
_UNSENDABLE = frozenset({1005, 1006, 1015})


def gateway_message_id() -> str:
    """An id for the gateway's own CALL: 35 characters, never one a CSMS would pick."""
    return f"{GATEWAY_ID_PREFIX}{uuid.uuid4().hex}"


def mirrored_close(connection: WebSocketConnection) -> tuple[int, str]:
    """The code and reason to close the other side with, after ``connection`` closed."""
    code = connection.close_code
    if code is None or code in _UNSENDABLE or not 1000 <= code <= 4999:
        return WSCloseCode.INTERNAL_ERROR, "the other side of the proxy was lost"
    return code, connection.close_reason


class ProxyLink(DirectLink):
    """A relayed station: a :class:`DirectLink` for the gateway's calls, plus the relay itself."""

    def __init__(
        self,
        charge_point: GatewayChargePoint,
        station: WebSocketConnection,
        upstream: WebSocketConnection,
        protocol: OcppVersion,
        *,
        node_id: str,
        csms_call_timeout: float,
        on_capabilities: Callable[[ProxyLink], Awaitable[None]],
    ) -> None:
        self._turn = asyncio.Lock()
        super().__init__(
            charge_point, station, protocol, node_id=node_id, turn=self._turn, message_id=gateway_message_id
        )
        self._station = station
        self._upstream = upstream
        self._csms_call_timeout = csms_call_timeout
        self._csms_call: str | None = None  # the id of the CSMS's CALL open towards the station
        self._csms_watch: asyncio.TimerHandle | None = None
        self._on_capabilities = on_capabilities
        self.capabilities_relayed = asyncio.Event()
        configured = charge_point.settings.ocpp.stack_level
        self._observer = TrafficObserver(
            charge_point,
            charge_point.sessions,
            stack_level=lambda: effective_stack_level(configured, self.capabilities),
            on_capabilities=self._relayed_capabilities,
        )

    async def run(self) -> None:
        """Relay both ways until one side closes; then close the other side alike."""
        pumps = (
            asyncio.create_task(self._pump(self._station, self._from_station)),
            asyncio.create_task(self._pump(self._upstream, self._from_upstream)),
        )
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.mark_closed()
            self._end_csms_call(self._csms_call)
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            await self._close_survivor()

    async def close(self, code: int, reason: str) -> None:
        """Close both sides with the same code (replacement by a newer connection, shutdown)."""
        self.mark_closed()
        await asyncio.gather(self._station.close(code, reason), self._upstream.close(code, reason))

    async def _close_survivor(self) -> None:
        """The side that is still open learns how the other one closed."""
        for gone, survivor, side in (
            (self._station, self._upstream, "station"),
            (self._upstream, self._station, "csms"),
        ):
            if gone.closed and not survivor.closed:
                code, reason = mirrored_close(gone)
                log.info("proxy_closed", station_id=self.station_id, closed_by=side, code=code, reason=reason)
                await survivor.close(code, reason)
                return
        if not (self._station.closed and self._upstream.closed):  # neither closed: the relay failed
            await self.close(WSCloseCode.INTERNAL_ERROR, "proxy relay failed")

    async def _pump(self, source: WebSocketConnection, handle: Callable[[str], Awaitable[None]]) -> None:
        try:
            while True:
                await handle(await source.recv())
        except StationDisconnected:
            pass
        except Exception:
            log.exception("proxy_relay_failed", station_id=self.station_id)

    async def _from_station(self, text: str) -> None:
        frame = read_frame(text, self._cp._ocpp_version)
        if not isinstance(frame, Frame):
            await self._upstream.send(text)  # the CSMS answers broken frames as it always did
            return
        if frame.message_type != CALL and frame.unique_id.startswith(GATEWAY_ID_PREFIX):
            await self._cp._route_response(frame)  # the answer to the gateway's own call: consumed here
            return
        self._observer.before_relay(frame, from_station=True)
        await self._upstream.send(text)
        if frame.message_type != CALL and frame.unique_id == self._csms_call:
            self._end_csms_call(frame.unique_id)
        await self._observer.after_relay(frame, from_station=True)

    async def _from_upstream(self, text: str) -> None:
        frame = read_frame(text, self._cp._ocpp_version)
        if isinstance(frame, Frame) and frame.message_type == CALL:
            await self._turn.acquire()  # the gateway's call, if one is open, finishes first
            self._csms_call = frame.unique_id
            self._csms_watch = asyncio.get_running_loop().call_later(
                self._csms_call_timeout, self._end_csms_call, frame.unique_id
            )
            self._observer.before_relay(frame, from_station=False)
        await self._station.send(text)
        if isinstance(frame, Frame):
            await self._observer.after_relay(frame, from_station=False)

    def _end_csms_call(self, unique_id: str | None) -> None:
        """The CSMS's call was answered (or timed out): the turn is free again."""
        if unique_id is None or unique_id != self._csms_call:
            return
        self._csms_call = None
        if self._csms_watch is not None:
            self._csms_watch.cancel()
            self._csms_watch = None
        self._turn.release()

    async def _relayed_capabilities(self, capabilities: Capabilities) -> None:
        self.capabilities = capabilities
        self.capabilities_relayed.set()
        await self._on_capabilities(self)
