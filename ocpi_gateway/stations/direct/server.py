"""Direct mode: the gateway is the stations' OCPP-J endpoint, ``GET /ocpp/{station_id}``.

:class:`DirectStations` accepts the websockets, picks the OCPP version from the
subprotocol, runs one ChargePoint per station and is the
:class:`~ocpi_gateway.stations.driver.StationDirectory` the job worker asks for links.
Whatever one station sends or does stays inside its own handler: nothing escapes to
aiohttp and nothing touches another station.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog
from aiohttp import WSCloseCode, hdrs, web

from ocpi_gateway.config import Settings
from ocpi_gateway.domain import Capabilities, OcppVersion, StationInfo
from ocpi_gateway.errors import StationError
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.direct.auth import StationAuthenticator
from ocpi_gateway.stations.direct.central import GatewayChargePoint
from ocpi_gateway.stations.direct.connection import WebSocketConnection
from ocpi_gateway.stations.direct.flood import FloodGuard
from ocpi_gateway.stations.direct.link import DirectLink
from ocpi_gateway.stations.direct.probe import read_capabilities
from ocpi_gateway.stations.direct.v16 import StationV16
from ocpi_gateway.stations.direct.v201 import StationV201
from ocpi_gateway.stations.driver import StationLink

log = structlog.get_logger(__name__)

# Best first: a station offering both speaks 2.0.1.
SUBPROTOCOLS: tuple[OcppVersion, ...] = (OcppVersion.V201, OcppVersion.V16)
WS_HEARTBEAT_SECONDS = 60.0
MAX_STATION_ID_LENGTH = 48

_CHARGE_POINTS: dict[OcppVersion, type[GatewayChargePoint]] = {
    OcppVersion.V16: StationV16,
    OcppVersion.V201: StationV201,
}

OnConnected = Callable[[StationLink], Awaitable[None]]
# Told when a station comes (True, again once its capabilities are read) or goes (False)
# on this node, so a shared registry can route jobs to the node that holds the socket.
OnPresence = Callable[[StationInfo, bool], Awaitable[None]]


def choose_subprotocol(offered: str | None) -> OcppVersion | None:
    """The best OCPP version among the client's ``Sec-WebSocket-Protocol`` offers, if any."""
    names = {part.strip().lower() for part in (offered or "").split(",")}
    return next((version for version in SUBPROTOCOLS if version.value in names), None)


class DirectStations:
    """The websocket endpoint and the directory of stations connected to this node."""

    def __init__(
        self,
        settings: Settings,
        sessions: SessionRegistry,
        *,
        node_id: str,
        on_connected: OnConnected | None = None,
        on_presence: OnPresence | None = None,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._node_id = node_id
        self._on_connected = on_connected
        self._on_presence = on_presence
        self._known = {station.station_id for station in settings.ocpp.stations}
        self._auth = StationAuthenticator(settings)
        self._flood = FloodGuard(settings.ocpp.max_messages_per_second, settings.ocpp.message_burst)
        self._links: dict[str, DirectLink] = {}
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    def setup_routes(self, app: web.Application) -> None:
        """The OCPP-J endpoint stations dial: ``GET /ocpp/{station_id}``."""
        app.router.add_get("/ocpp/{station_id}", self.handle)

    async def start(self) -> None:
        """Nothing to start: stations come to us."""

    def get(self, station_id: str) -> StationLink | None:
        """The station's link if it is connected to this node now."""
        return self._links.get(station_id)

    async def wait_for(self, station_id: str, timeout: float) -> StationLink | None:  # protocol
        """Wait up to ``timeout`` seconds for the station to connect; its link or None."""
        if (link := self._links.get(station_id)) is not None:
            return link
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(station_id, set()).add(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
        except TimeoutError:
            return None
        finally:
            waiters = self._waiters.get(station_id, set())
            waiters.discard(waiter)
            if not waiters:
                self._waiters.pop(station_id, None)
        return self._links.get(station_id)

    def stations(self) -> list[StationInfo]:
        """Connected stations, for ``GET /admin/stations``."""
        return [link.info() for link in self._links.values()]

    async def close(self) -> None:
        """Shutdown: close every socket with 1001 (going away) and stop background work."""
        self._closing = True
        links = list(self._links.values())
        await asyncio.gather(
            *(link.close(WSCloseCode.GOING_AWAY, "server shutting down") for link in links),
            return_exceptions=True,
        )
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET /ocpp/{station_id}``: upgrade, serve the station until it goes, clean up.

        Refused before the upgrade: an unknown id (404) and, under security profile 1/2,
        missing or wrong HTTP Basic credentials (401).
        """
        station_id = request.match_info["station_id"]
        # The upgrade request's ids mean nothing for the station's own traffic that follows.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(station_id=station_id)
        if not self._admits(station_id):
            log.warning("station_refused", station_id=station_id, reason="unknown station id")
            raise web.HTTPNotFound(text="unknown charging station")
        refusal = await self._auth.refusal(station_id, request.headers.get(hdrs.AUTHORIZATION))
        if refusal is not None:
            log.warning("station_refused", station_id=station_id, reason=refusal)
            raise web.HTTPUnauthorized(headers={hdrs.WWW_AUTHENTICATE: 'Basic realm="ocpp"'})
        protocol = choose_subprotocol(request.headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL))
        ws = web.WebSocketResponse(
            protocols=(protocol.value,) if protocol else (),
            heartbeat=WS_HEARTBEAT_SECONDS,
            # aiohttp refuses a frame whose length equals max_msg_size; the setting is the largest
            # frame accepted (tests/stations/test_server.py pins both edges).
            max_msg_size=self._settings.ocpp.max_frame_bytes + 1,
        )
        await ws.prepare(request)
        if protocol is None or self._closing:
            # OCPP-J: without a shared subprotocol, complete the handshake, then close.
            reason = "no supported OCPP subprotocol" if protocol is None else "server shutting down"
            log.warning("station_refused", station_id=station_id, reason=reason)
            code = WSCloseCode.PROTOCOL_ERROR if protocol is None else WSCloseCode.GOING_AWAY
            await ws.close(code=code, message=reason.encode())
            return ws
        try:
            connection = WebSocketConnection(ws, self._flood.bucket(station_id))
            link = await self._open_link(station_id, protocol, connection, request)
            if link is not None:
                await self._serve(link)
        except Exception:
            log.exception("station_connection_failed", station_id=station_id, protocol=protocol.value)
        return ws

    def _admits(self, station_id: str) -> bool:
        # The identity is the URL's last path segment: a percent-encoded "/" ("a%2Fb") would name
        # a station no admin path, proxy upstream URL or driver template can address.
        if not station_id or len(station_id) > MAX_STATION_ID_LENGTH or "/" in station_id:
            return False
        return self._settings.ocpp.unknown_stations_allowed or station_id in self._known

    def _charge_point(
        self, station_id: str, protocol: OcppVersion, connection: WebSocketConnection
    ) -> GatewayChargePoint:
        """The CSMS-side ChargePoint of one station connection (its handlers learn sessions)."""
        kind = _CHARGE_POINTS[protocol]
        return kind(station_id, connection, sessions=self._sessions, settings=self._settings)

    async def _open_link(
        self, station_id: str, protocol: OcppVersion, connection: WebSocketConnection, request: web.Request
    ) -> DirectLink | None:
        """The link for a station whose websocket is open; None when it was closed instead.

        Direct mode answers the station itself; the proxy (``stations/proxy/driver.py``) overrides this.
        """
        return DirectLink(
            self._charge_point(station_id, protocol, connection), connection, protocol, node_id=self._node_id
        )

    async def _serve(self, link: DirectLink) -> None:
        station_id, protocol = link.station_id, link.protocol
        previous = self._links.get(station_id)
        self._links[station_id] = link
        log.info("station_connected", station_id=station_id, protocol=protocol.value, node=self._node_id)
        if previous is not None:
            log.info("station_replaced", station_id=station_id, protocol=previous.protocol.value)
            previous.mark_closed()
            self._spawn(previous.close(WSCloseCode.OK, "replaced by a newer connection"))
        for waiter in self._waiters.get(station_id, set()):
            if not waiter.done():
                waiter.set_result(None)
        await self._tell_presence(link, up=True)
        self._spawn(self._after_connect(link))
        try:
            await link.run()
        finally:
            if self._links.get(station_id) is link:
                del self._links[station_id]
                await self._tell_presence(link, up=False)
            log.info("station_disconnected", station_id=station_id, protocol=protocol.value)

    async def _tell_presence(self, link: DirectLink, *, up: bool) -> None:
        if self._on_presence is None:
            return
        try:
            await self._on_presence(link.info(), up)
        except Exception:
            log.exception("station_presence_failed", station_id=link.station_id, up=up)

    async def _after_connect(self, link: DirectLink) -> None:
        """Read capabilities (bounded by call_timeout), then tell the lead's hook."""
        try:
            link.capabilities = await self._read_capabilities(link)
        except StationError as exc:
            log.warning("station_capabilities_unread", station_id=link.station_id, error=type(exc).__name__)
        log.info(
            "station_capabilities",
            station_id=link.station_id,
            reported=link.capabilities.reported,
            units=sorted(link.capabilities.allowed_units),
            smart_charging=link.capabilities.smart_charging,
        )
        if not link.closed:
            await self._tell_presence(link, up=True)
        if self._on_connected is None or link.closed:
            return
        try:
            await self._on_connected(link)
        except Exception:
            log.exception("station_on_connected_failed", station_id=link.station_id)

    async def _read_capabilities(self, link: DirectLink) -> Capabilities:
        """Ask the station (bounded by call_timeout); the proxy prefers what it saw relayed."""
        return await read_capabilities(link, self._settings.ocpp.call_timeout)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run background work that the shutdown can cancel and whose errors are logged."""
        task = asyncio.create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("station_background_failed")
