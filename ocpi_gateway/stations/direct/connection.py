"""Adapter from an aiohttp websocket to the ``recv()``/``send()`` object ``ocpp`` expects.

``ocpp.ChargePoint.start()`` loops on ``await connection.recv()`` forever, so ``recv()``
must *raise* once the socket is closing or closed, otherwise the loop spins on empty
messages. OCPP-J frames are text only: a binary frame is a protocol violation, so the
socket is closed with 1003 (unsupported data) rather than silently ignored. On the
gateway's side every frame also takes a token from the station's
:class:`~ocpi_gateway.stations.direct.flood.TokenBucket`; a station that floods is closed with 1008
(policy violation). Works for both ends: the gateway's ``web.WebSocketResponse`` and a
client's ``ClientWebSocketResponse`` (the station simulator and the tests).
"""

from __future__ import annotations

import structlog
from aiohttp import ClientWebSocketResponse, WSCloseCode, WSMsgType, web

from ocpi_gateway.errors import StationDisconnected
from ocpi_gateway.stations.direct.flood import TokenBucket

log = structlog.get_logger(__name__)

WebSocket = web.WebSocketResponse | ClientWebSocketResponse


class WebSocketConnection:
    """What ``ocpp.ChargePoint`` needs from a connection, over an aiohttp websocket."""

    def __init__(self, ws: WebSocket, bucket: TokenBucket | None = None) -> None:
        self._ws = ws
        self._bucket = bucket
        # Why the socket closed (the peer's close frame, or our own close): a proxy passes it on.
        self.close_reason = ""

    @property
    def closed(self) -> bool:
        return self._ws.closed

    @property
    def close_code(self) -> int | None:
        """The close code received from the peer or sent by us; None while open or when the link broke."""
        return self._ws.close_code

    async def recv(self) -> str:
        """The next TEXT frame.

        Raises:
            StationDisconnected: the socket closed, errored, sent a binary frame or flooded.
        """
        msg = await self._ws.receive()
        frame = msg.type in (WSMsgType.TEXT, WSMsgType.BINARY)
        if frame and self._bucket is not None and not self._bucket.take():
            log.warning(
                "station_flood_closed",
                station_id=self._bucket.station_id,
                max_messages_per_second=self._bucket.rate,
                burst=self._bucket.burst,
            )
            await self.close(WSCloseCode.POLICY_VIOLATION, "message rate exceeded")
            raise StationDisconnected("message rate exceeded")
        if msg.type is WSMsgType.TEXT:
            return str(msg.data)
        if msg.type is WSMsgType.BINARY:
            await self.close(WSCloseCode.UNSUPPORTED_DATA, "OCPP-J uses text frames")
            raise StationDisconnected("binary frame received")
        if msg.type is WSMsgType.CLOSE:
            self.close_reason = str(msg.extra or "")
        raise StationDisconnected(f"websocket {msg.type.name.lower()}")

    async def send(self, data: str) -> None:
        """Send one TEXT frame.

        Raises:
            StationDisconnected: the socket is already closing or gone.
        """
        if self._ws.closed:
            raise StationDisconnected("websocket closed")
        try:
            await self._ws.send_str(data)
        except ConnectionError as exc:
            raise StationDisconnected("websocket closed while sending") from exc

    async def close(self, code: int = WSCloseCode.OK, reason: str = "") -> None:
        """Close the socket with a code and a short reason (max 123 bytes on the wire)."""
        if not self._ws.closed:
            self.close_reason = reason
        await self._ws.close(code=code, message=reason.encode()[:123])
