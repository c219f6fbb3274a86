"""Driver ``bus``: stations steered by a smart-charging service on an MQTT message bus.

Each ``ocpp.v201`` call becomes one request message on ``ocpp.bus.request_topic``
(``wire.py`` has the format); the answer is the response with the same ``id`` on
``ocpp.bus.response_topic``. One MQTT connection per node (``aiomqtt``) is kept open and
re-opened after a broker outage; calls open while it drops fail as
:class:`StationDisconnected` (the job runner tries again on the next connection), a call
made while it is down waits for it within the call's budget, then is :class:`StationOffline`.
Silence past the budget is :class:`StationTimeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any
from urllib.parse import urlsplit

import aiomqtt
import structlog
from aiohttp import web

from ocpi_gateway.config import Settings
from ocpi_gateway.domain import StationInfo
from ocpi_gateway.errors import (
    ConfigError,
    StationCallError,
    StationDisconnected,
    StationOffline,
    StationTimeout,
)
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.bus import wire as bus_wire
from ocpi_gateway.stations.driver import StationLink
from ocpi_gateway.stations.served import OnPresence, RemoteLink, ServedStations, driver_capabilities

log = structlog.get_logger(__name__)

MODE = "bus"
RECONNECT_SECONDS = 1.0


def broker_address(url: str) -> tuple[str, int]:
    """``mqtt://host[:port]`` -> (host, port); port 1883 by default.

    Raises:
        ConfigError: another scheme or no host.
    """
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise ConfigError("ocpp.bus.url", "must look like mqtt://host:port")
    try:
        return parts.hostname, parts.port or 1883
    except ValueError as exc:
        raise ConfigError("ocpp.bus.url", f"bad port ({exc})") from None


class BusStations:
    """The ``bus`` driver: one broker connection, requests matched to responses by id."""

    def __init__(
        self, settings: Settings, sessions: SessionRegistry, *, node_id: str, on_presence: OnPresence
    ) -> None:
        config = settings.ocpp.bus
        self._host, self._port = broker_address(config.url)
        self._config = config
        self._node_id = node_id
        self._evses = bus_wire.EvseMap(config.evses)
        self.capabilities = driver_capabilities(config)
        self._served = ServedStations(
            settings,
            sessions,
            mode=MODE,
            node_id=node_id,
            capabilities=self.capabilities,
            on_presence=on_presence,
            extra=self._evses.stations(),
            vendor="smart-charging bus",
        )
        self._evse_of_profile: dict[tuple[str, int], str] = {}
        self._pending: dict[str, asyncio.Future[bus_wire.BusResponse]] = {}
        self._client: aiomqtt.Client | None = None
        self._up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def setup_routes(self, app: web.Application) -> None:
        """No routes: the bus is where the gateway talks."""

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="bus-connection")
        await self._served.start()

    async def close(self) -> None:
        await self._served.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._fail_pending(StationOffline("the gateway is shutting down"))

    def get(self, station_id: str) -> StationLink | None:
        """A link for every station this driver serves; the broker's state is judged per call."""
        if not self._served.serves(station_id):
            return None
        return RemoteLink(station_id, self.capabilities, self.request)

    async def wait_for(self, station_id: str, timeout: float) -> StationLink | None:  # protocol
        return self.get(station_id)

    def stations(self) -> list[StationInfo]:
        return self._served.stations()

    async def _run(self) -> None:
        """Keep one connection open: subscribe to the reply topic, route every response."""
        password = self._config.password.get_secret_value() if self._config.password else None
        while True:
            try:
                async with aiomqtt.Client(
                    self._host,
                    self._port,
                    username=self._config.username or None,
                    password=password,
                    identifier=f"ocpi-gateway-{self._node_id}-{uuid.uuid4().hex[:8]}",
                ) as client:
                    await client.subscribe(self._config.response_topic, qos=self._config.qos)
                    self._client = client
                    self._up.set()
                    log.info("bus_connected", broker=f"{self._host}:{self._port}")
                    async for message in client.messages:
                        self._on_message(message.payload)
            except aiomqtt.MqttError as exc:
                log.warning("bus_disconnected", broker=f"{self._host}:{self._port}", error=str(exc))
            finally:
                self._up.clear()
                self._client = None
                self._fail_pending(StationDisconnected("the message bus connection dropped"))
            await asyncio.sleep(RECONNECT_SECONDS)

    def _on_message(self, payload: Any) -> None:
        if not isinstance(payload, bytes | str):
            return
        try:
            response = bus_wire.parse_response(payload)
        except bus_wire.BusFormatError:
            return  # our own requests when both topics are one, or traffic of others
        waiter = self._pending.get(response.id)
        if waiter is not None and not waiter.done():
            waiter.set_result(response)

    def _fail_pending(self, error: Exception) -> None:
        for waiter in self._pending.values():
            if not waiter.done():
                waiter.set_exception(error)

    def _bus_evse(self, station_id: str, payload: Any) -> str | None:
        """The bus's id string of the EVSE a call is about."""
        criteria = getattr(payload, "charging_profile_criteria", None)
        holder = criteria if criteria is not None else payload
        evse_id = getattr(holder, "evse_id", None)
        if evse_id is not None:
            found = self._evses.bus_id(station_id, int(evse_id))
            if found is None:
                detail = f"no [[ocpp.bus.evses]] entry for {station_id} EVSE {evse_id}"
                raise StationCallError("UnknownEvse", detail)
            return found
        profile_id = getattr(payload, "charging_profile_id", None)
        if profile_id is not None and (station_id, profile_id) in self._evse_of_profile:
            return self._evse_of_profile[(station_id, profile_id)]
        return self._evses.any_bus_id(station_id)

    async def request(self, station_id: str, payload: Any, timeout: float) -> Any:
        """Publish the request and wait (at most ``timeout`` s in all) for its response."""
        if type(payload) not in bus_wire.NAMES:
            raise StationCallError("NotSupported", f"{type(payload).__module__}.{type(payload).__name__}")
        bus_evse = self._bus_evse(station_id, payload)
        name, data = bus_wire.request_data(payload, bus_evse)
        message = bus_wire.request_message(name, data)
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bus_wire.BusResponse] = loop.create_future()
        self._pending[message["id"]] = waiter
        try:
            async with asyncio.timeout(timeout):
                await self._publish(message)
                response = await waiter
        except TimeoutError:
            if not self._up.is_set():
                raise StationOffline("the message bus is not connected") from None
            raise StationTimeout(f"no {name} response within {timeout}s") from None
        finally:
            self._pending.pop(message["id"], None)
        log.info("bus_answer", name=name, status=response.data.get("status"))
        result = bus_wire.to_call_result(name, response.data)
        charging_profile = getattr(payload, "charging_profile", None)
        if name == bus_wire.SET and result.status == "Accepted" and charging_profile is not None and bus_evse:
            self._evse_of_profile[(station_id, int(charging_profile.id))] = bus_evse
        return result

    async def _publish(self, message: dict[str, Any]) -> None:
        await self._up.wait()
        client = self._client
        if client is None:
            raise StationDisconnected("the message bus connection dropped")
        try:
            await client.publish(self._config.request_topic, json.dumps(message), qos=self._config.qos)
        except aiomqtt.MqttError as exc:
            raise StationDisconnected(f"publishing failed: {exc}") from exc
