"""Fixtures for the direct OCPP-J endpoint: a real aiohttp server, real stations on websockets.

``endpoint_factory`` serves only ``GET /ocpp/{station_id}`` from a :class:`DirectStations`
over a real socket; ``station`` connects ``ocpp`` package ChargePoints (1.6 or 2.0.1) as the
stations; ``raw_socket`` opens bare websockets for frames no library would send. Every
factory closes what it made.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from ocpp.exceptions import NotSupportedError
from ocpp.routing import on as ocpp_on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from pydantic import SecretStr

from ocpi_gateway.backend.memory import MemoryBackend
from ocpi_gateway.config import OcpiSettings, OcppSettings, Settings, StationSettings
from ocpi_gateway.models.passwords import hash_password
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.direct.central import on
from ocpi_gateway.stations.direct.connection import WebSocketConnection
from ocpi_gateway.stations.direct.server import DirectStations
from ocpi_gateway.stations.driver import StationLink

CALL_TIMEOUT = 1.0
WAIT = 5.0

V16_CONFIG = {
    "ChargingScheduleAllowedChargingRateUnit": "Current",
    "ChargeProfileMaxStackLevel": "8",
    "ChargingScheduleMaxPeriods": "24",
    "MaxChargingProfilesInstalled": "10",
    "SupportedFeatureProfiles": "Core,SmartCharging",
}
V201_CONFIG = {
    "Available": "true",
    "Enabled": "true",
    "RateUnit": "W",
    "PeriodsPerSchedule": "48",
    "ProfileStackLevel": "5",
}


@dataclass
class Endpoint:
    """A running endpoint: its directory, sessions, settings and the links it announced."""

    directory: DirectStations
    sessions: SessionRegistry
    settings: Settings
    url: str
    connected: asyncio.Queue[StationLink] = field(default_factory=asyncio.Queue)

    async def next_connected(self) -> StationLink:
        """The next link handed to ``on_connected`` (after its capabilities were read)."""
        return await asyncio.wait_for(self.connected.get(), WAIT)


EndpointFactory = Callable[..., Awaitable[Endpoint]]


@pytest.fixture
async def endpoint_factory() -> AsyncIterator[EndpointFactory]:
    made: list[tuple[Endpoint, TestServer]] = []

    async def make(
        stations: tuple[str, ...] = (),
        max_frame_bytes: int = 262144,
        allow_unknown: bool | None = None,
        security_profile: int = 0,
        passwords: dict[str, str] | None = None,
    ) -> Endpoint:
        passwords = passwords or {}
        settings = Settings(
            ocpi=OcpiSettings(result_timeout=10),
            ocpp=OcppSettings(
                call_timeout=CALL_TIMEOUT,
                heartbeat_interval=42,
                max_frame_bytes=max_frame_bytes,
                security_profile=security_profile,
                stations=tuple(
                    StationSettings(
                        station_id=s,
                        password_hash=SecretStr(hash_password(passwords[s], n=2**8))
                        if s in passwords
                        else None,
                    )
                    for s in stations
                ),
                allow_unknown_stations=allow_unknown,
            ),
        )
        sessions = SessionRegistry(MemoryBackend())
        queue: asyncio.Queue[StationLink] = asyncio.Queue()

        async def on_connected(link: StationLink) -> None:
            queue.put_nowait(link)

        directory = DirectStations(settings, sessions, node_id="node-a", on_connected=on_connected)
        app = web.Application()
        app.router.add_get("/ocpp/{station_id}", directory.handle)
        server = TestServer(app)
        await server.start_server()
        endpoint = Endpoint(directory, sessions, settings, str(server.make_url("/ocpp")), queue)
        made.append((endpoint, server))
        return endpoint

    yield make
    for endpoint, server in reversed(made):
        await endpoint.directory.close()
        await server.close()


@pytest.fixture
async def endpoint(endpoint_factory: EndpointFactory) -> Endpoint:
    return await endpoint_factory()


class _Behaviour:
    """How a simulated station answers the gateway's calls; every call is recorded."""

    def __init__(self, config: dict[str, str], modes: dict[str, str]) -> None:
        self.config = config
        self.modes = modes  # action -> "answer" (default) | "error" | "silent" | "drop"
        self.received: list[str] = []
        self.connection: WebSocketConnection | None = None

    async def react(self, action: str) -> None:
        """Record the call; raise, hang or drop the socket when the mode says so."""
        self.received.append(action)
        mode = self.modes.get(action, "answer")
        if mode == "error":
            raise NotSupportedError(description="not here")
        if mode == "silent":
            await asyncio.Event().wait()
        if mode == "drop" and self.connection is not None:
            await self.connection.close()
            await asyncio.Event().wait()


class SimStation16(ChargePoint16):  # type: ignore[misc]  # ocpp is untyped
    """An OCPP 1.6 station: answers GetConfiguration from its config, ClearChargingProfile Accepted."""

    behaviour: _Behaviour

    @on("GetConfiguration")
    async def on_get_configuration(self, key: list[str] | None = None, **kwargs: Any) -> Any:
        await self.behaviour.react("GetConfiguration")
        config = self.behaviour.config
        keys = key or list(config)
        return result16.GetConfiguration(
            configuration_key=[{"key": k, "readonly": True, "value": config[k]} for k in keys if k in config],
            unknown_key=[k for k in keys if k not in config],
        )

    @on("ClearChargingProfile")
    async def on_clear_charging_profile(self, **kwargs: Any) -> Any:
        await self.behaviour.react("ClearChargingProfile")
        return result16.ClearChargingProfile(status="Accepted")

    @ocpp_on("TriggerMessage", skip_schema_validation=True)
    async def on_trigger_message(self, **kwargs: Any) -> Any:
        """Answers with a status outside the schema (a broken firmware): the gateway must notice."""
        await self.behaviour.react("TriggerMessage")
        return result16.TriggerMessage(status="Bogus")


class SimStation201(ChargePoint201):  # type: ignore[misc]  # ocpp is untyped
    """An OCPP 2.0.1 station: answers GetVariables from its config, ClearChargingProfile Accepted."""

    behaviour: _Behaviour

    @on("GetVariables")
    async def on_get_variables(self, get_variable_data: list[dict[str, Any]], **kwargs: Any) -> Any:
        await self.behaviour.react("GetVariables")
        results = []
        for item in get_variable_data:
            name = item["variable"]["name"]
            value = self.behaviour.config.get(name)
            entry = {"component": item["component"], "variable": item["variable"]}
            if value is None:
                results.append({**entry, "attribute_status": "UnknownVariable"})
            else:
                results.append({**entry, "attribute_status": "Accepted", "attribute_value": value})
        return result201.GetVariables(get_variable_result=results)

    @on("ClearChargingProfile")
    async def on_clear_charging_profile(self, **kwargs: Any) -> Any:
        await self.behaviour.react("ClearChargingProfile")
        return result201.ClearChargingProfile(status="Accepted")


@dataclass
class Station:
    """A connected simulated station: its ChargePoint (to make calls), socket and record."""

    station_id: str
    cp: Any
    ws: aiohttp.ClientWebSocketResponse
    behaviour: _Behaviour
    task: asyncio.Task[None]

    @property
    def received(self) -> list[str]:
        return self.behaviour.received

    async def call(self, payload: Any) -> Any:
        return await self.cp.call(payload, suppress=False)

    async def closed(self) -> None:
        """Wait until the gateway has closed this station's socket."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self.task), WAIT)


StationFactory = Callable[..., Awaitable[Station]]


@pytest.fixture
async def station(endpoint: Endpoint) -> AsyncIterator[StationFactory]:
    """Connect a simulated station (``protocol`` "ocpp1.6" or "ocpp2.0.1") to ``endpoint``."""
    client = aiohttp.ClientSession()
    made: list[Station] = []

    async def make(
        station_id: str = "CP1",
        protocol: str = "ocpp1.6",
        *,
        config: dict[str, str] | None = None,
        modes: dict[str, str] | None = None,
        target: Endpoint | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Station:
        url = f"{(target or endpoint).url}/{station_id}"
        headers = {"Authorization": aiohttp.encode_basic_auth(*auth)} if auth else {}
        ws = await client.ws_connect(url, protocols=[protocol], headers=headers)
        assert ws.protocol == protocol
        default = V16_CONFIG if protocol == "ocpp1.6" else V201_CONFIG
        behaviour = _Behaviour(default if config is None else config, modes or {})
        behaviour.connection = WebSocketConnection(ws)
        cls = SimStation16 if protocol == "ocpp1.6" else SimStation201
        cp = cls(station_id, behaviour.connection, response_timeout=WAIT)
        cp.behaviour = behaviour
        task = asyncio.create_task(cp.start())
        made.append(Station(station_id, cp, ws, behaviour, task))
        return made[-1]

    yield make
    for sim in made:
        sim.task.cancel()
        with contextlib.suppress(BaseException):
            await sim.task
        await sim.ws.close()
    await client.close()


RawFactory = Callable[..., Awaitable[aiohttp.ClientWebSocketResponse]]


@pytest.fixture
async def raw_socket(endpoint: Endpoint) -> AsyncIterator[RawFactory]:
    """Open a bare websocket to ``endpoint`` (no ChargePoint behind it)."""
    client = aiohttp.ClientSession()

    async def make(station_id: str = "RAW", protocols: tuple[str, ...] = ("ocpp1.6",)) -> Any:
        return await client.ws_connect(f"{endpoint.url}/{station_id}", protocols=protocols)

    yield make
    await client.close()


async def eventually(predicate: Callable[[], bool]) -> None:
    """Let the event loop run until ``predicate()`` holds (bounded so a bug fails, not hangs)."""
    async with asyncio.timeout(WAIT):
        while not predicate():  # noqa: ASYNC110  # the directory has no removal event to await
            await asyncio.sleep(0.01)
