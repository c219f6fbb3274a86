"""Proxy mode (``ocpp.mode = "proxy"``): the gateway stands in front of an existing CSMS.

Stations (or their load balancer) dial the gateway's ``/ocpp/{station_id}`` exactly as in
direct mode, and pass the same checks (known id, HTTP Basic under security profile 1/2,
subprotocol, flood guard, frame size). For each accepted websocket the gateway dials
``<upstream_url>/<station_id>`` (``[[ocpp.stations]] upstream_url`` overrides the URL per
station) with the station's subprotocol and ``Authorization`` header, and relays the two
(:mod:`.link`). A CSMS that cannot be reached closes the station with 1011; one that
refuses the handshake (401, 404 …) closes it with 1008 and the HTTP status as the reason.

Everything else is direct mode's (:class:`DirectStations`): one link per station on this
node, a newer connection replacing an older one, presence published for the other nodes,
the capability read and the lead's ``on_connected`` hook. Capabilities come from the
CSMS's own GetConfiguration / GetVariables when the station answers one soon after it
connects, else from the gateway's own call.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import aiohttp
import structlog
from aiohttp import WSCloseCode, hdrs, web

from ocpi_gateway.domain import Capabilities, OcppVersion
from ocpi_gateway.stations.direct.connection import WebSocketConnection
from ocpi_gateway.stations.direct.link import DirectLink
from ocpi_gateway.stations.direct.server import WS_HEARTBEAT_SECONDS, DirectStations
from ocpi_gateway.stations.proxy.link import ProxyLink
from ocpi_gateway.stations.served import mode_of

log = structlog.get_logger(__name__)

# How long after connecting the gateway waits for the CSMS to read the station's
# configuration before it asks itself (at most ``ocpp.call_timeout``).
RELAYED_CAPABILITIES_GRACE = 5.0


def upstream_station_url(base_url: str, station_id: str) -> str:
    """``<upstream_url>/<station_id>``, the id percent-encoded as a path segment."""
    return f"{base_url.rstrip('/')}/{quote(station_id, safe='')}"


class ProxyStations(DirectStations):
    """Direct mode's endpoint and directory, with every station relayed to its CSMS."""

    _client: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """One HTTP client session for every upstream websocket of this node."""
        self._client = aiohttp.ClientSession()

    async def close(self) -> None:
        """Close every station and its upstream with 1001, then the client session."""
        await super().close()
        if self._client is not None:
            await self._client.close()

    async def _open_link(
        self, station_id: str, protocol: OcppVersion, connection: WebSocketConnection, request: web.Request
    ) -> DirectLink | None:
        """Dial the station's CSMS; the relay's link, or None when the station was closed instead.

        A station whose own ``[[ocpp.stations]] mode`` is ``direct`` is served directly, so one
        endpoint can serve both modes.
        """
        if mode_of(self._settings, station_id) != "proxy":
            return await super()._open_link(station_id, protocol, connection, request)
        upstream = await self._dial(station_id, protocol, request.headers.get(hdrs.AUTHORIZATION), connection)
        if upstream is None:
            return None
        return ProxyLink(
            self._charge_point(station_id, protocol, connection),
            connection,
            WebSocketConnection(upstream),
            protocol,
            node_id=self._node_id,
            csms_call_timeout=self._settings.ocpp.call_timeout,
            on_capabilities=self._capabilities_relayed,
        )

    async def _dial(
        self,
        station_id: str,
        protocol: OcppVersion,
        authorization: str | None,
        station: WebSocketConnection,
    ) -> aiohttp.ClientWebSocketResponse | None:
        """Open the upstream websocket, or close the station and say why."""
        if self._client is None:
            raise RuntimeError("ProxyStations.start() was not called")
        url = upstream_station_url(self._settings.ocpp.upstream_for(station_id), station_id)
        headers = {hdrs.AUTHORIZATION: authorization} if authorization else None
        try:
            async with asyncio.timeout(self._settings.ocpp.call_timeout):
                upstream = await self._client.ws_connect(
                    url, protocols=(protocol.value,), headers=headers, heartbeat=WS_HEARTBEAT_SECONDS
                )
        except aiohttp.WSServerHandshakeError as exc:
            code, reason = (
                (WSCloseCode.POLICY_VIOLATION, f"upstream CSMS refused the station: HTTP {exc.status}")
                if 400 <= exc.status < 500
                else (WSCloseCode.INTERNAL_ERROR, f"upstream CSMS failed: HTTP {exc.status}")
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            code, reason = WSCloseCode.INTERNAL_ERROR, f"upstream CSMS unreachable ({type(exc).__name__})"
        else:
            if upstream.protocol == protocol.value:
                log.info("proxy_upstream_connected", station_id=station_id, protocol=protocol.value)
                return upstream
            await upstream.close()
            code, reason = WSCloseCode.INTERNAL_ERROR, f"upstream CSMS does not speak {protocol.value}"
        log.warning("proxy_upstream_failed", station_id=station_id, reason=reason, code=int(code))
        await station.close(code, reason)
        return None

    async def _read_capabilities(self, link: DirectLink) -> Capabilities:
        """What the CSMS's own configuration read showed, if it comes soon; else ask the station."""
        if isinstance(link, ProxyLink):
            grace = min(RELAYED_CAPABILITIES_GRACE, self._settings.ocpp.call_timeout)
            try:
                async with asyncio.timeout(grace):
                    await link.capabilities_relayed.wait()
                return link.capabilities
            except TimeoutError:
                pass
        return await super()._read_capabilities(link)

    async def _capabilities_relayed(self, link: ProxyLink) -> None:
        """A later configuration read by the CSMS: the other nodes see the new capabilities too."""
        if self.get(link.station_id) is link:
            await self._tell_presence(link, up=True)
