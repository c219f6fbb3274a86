"""A real upstream CSMS for proxy tests, built on the ``ocpp`` package over an aiohttp websocket.

It accepts ``/csms/{station_id}`` with ``ocpp1.6`` or ``ocpp2.0.1``, answers what stations
send (1.6 transaction ids are its own, from 7001 up), records the exact text of every frame
in and out, the handshake headers and how each connection closed, and lets a test make
calls towards the station (``connection.cp.call(...)``), refuse handshakes, close sockets,
stop and start again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from ocpi_gateway.cli.demo import free_port
from ocpi_gateway.errors import StationDisconnected
from ocpi_gateway.stations.direct.central import on
from ocpi_gateway.stations.direct.connection import WebSocketConnection
from ocpi_gateway.translate.capabilities import v16_capability_keys, v201_capability_request

WAIT = 5.0
FIRST_TRANSACTION_ID = 7001
_ACCEPTED = {"status": "Accepted"}


class RecordingConnection:
    """The recv()/send() object the ``ocpp`` package wants, keeping every frame's exact text."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.inner = WebSocketConnection(ws)
        self.received: list[str] = []
        self.sent: list[str] = []

    async def recv(self) -> str:
        text = await self.inner.recv()
        self.received.append(text)
        return text

    async def send(self, text: str) -> None:
        self.sent.append(text)
        await self.inner.send(text)


class _Csms16(ChargePoint16):  # type: ignore[misc]
    csms: TestCsms

    @on("BootNotification")
    async def on_boot(self, **kwargs: Any) -> Any:
        self.csms.after_boot(self)
        return result16.BootNotification(current_time="2030-01-01T00:00:00Z", interval=60, status="Accepted")

    @on("Heartbeat")
    async def on_heartbeat(self, **kwargs: Any) -> Any:
        return result16.Heartbeat(current_time="2030-01-01T00:00:00Z")

    @on("StatusNotification")
    async def on_status(self, **kwargs: Any) -> Any:
        return result16.StatusNotification()

    @on("StartTransaction")
    async def on_start(self, **kwargs: Any) -> Any:
        return result16.StartTransaction(
            transaction_id=next(self.csms.transaction_ids), id_tag_info=_ACCEPTED
        )

    @on("StopTransaction")
    async def on_stop(self, **kwargs: Any) -> Any:
        return result16.StopTransaction()

    @on("MeterValues")
    async def on_meter_values(self, **kwargs: Any) -> Any:
        return result16.MeterValues()

    @on("DataTransfer")
    async def on_data_transfer(self, **kwargs: Any) -> Any:
        return result16.DataTransfer(status="Accepted", data=kwargs.get("data"))


class _Csms201(ChargePoint201):  # type: ignore[misc]
    csms: TestCsms

    @on("BootNotification")
    async def on_boot(self, **kwargs: Any) -> Any:
        self.csms.after_boot(self)
        return result201.BootNotification(current_time="2030-01-01T00:00:00Z", interval=60, status="Accepted")

    @on("Heartbeat")
    async def on_heartbeat(self, **kwargs: Any) -> Any:
        return result201.Heartbeat(current_time="2030-01-01T00:00:00Z")

    @on("StatusNotification")
    async def on_status(self, **kwargs: Any) -> Any:
        return result201.StatusNotification()

    @on("TransactionEvent")
    async def on_transaction_event(self, **kwargs: Any) -> Any:
        return result201.TransactionEvent()

    @on("NotifyChargingLimit")
    async def on_notify_charging_limit(self, **kwargs: Any) -> Any:
        return result201.NotifyChargingLimit()


@dataclass
class CsmsConnection:
    """One station connection as the CSMS saw it."""

    station_id: str
    protocol: str
    headers: dict[str, str]
    cp: Any
    connection: RecordingConnection
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int | None = None
    close_reason: str = ""

    @property
    def received(self) -> list[str]:
        return self.connection.received

    @property
    def sent(self) -> list[str]:
        return self.connection.sent

    async def close(self, code: int, reason: str) -> None:
        """The CSMS drops the station (maintenance, say)."""
        await self.connection.inner.close(code, reason)

    async def wait_closed(self) -> None:
        await asyncio.wait_for(self.closed.wait(), WAIT)


class TestCsms:
    """The CSMS behind the gateway: one aiohttp server, one ChargePoint per station connection."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.port = free_port()
        self.connections: list[CsmsConnection] = []
        self.refuse_with: int | None = None
        self.read_configuration = False  # ask the station's smart-charging configuration after boot
        self.transaction_ids = itertools.count(FIRST_TRANSACTION_ID)
        self._runner: web.AppRunner | None = None
        self._arrived = asyncio.Condition()
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/csms"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/csms/{station_id}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Go away: every open connection is closed with 1001, the port stops listening."""
        for record in self.connections:
            if not record.connection.ws.closed:
                await record.close(1001, "csms going away")
        for task in self._tasks:
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def connection(self, station_id: str, number: int = 1) -> CsmsConnection:
        """The ``number``-th connection made for ``station_id`` (waits for it)."""

        def found() -> list[CsmsConnection]:
            return [c for c in self.connections if c.station_id == station_id]

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(found()) >= number), WAIT)
        return found()[number - 1]

    def after_boot(self, cp: Any) -> None:
        """Read the smart-charging configuration, as many CSMSs do once a station booted."""
        if self.read_configuration:
            self._spawn(self._read_configuration(cp))

    async def _read_configuration(self, cp: Any) -> None:
        if isinstance(cp, _Csms16):
            await cp.call(call16.GetConfiguration(key=v16_capability_keys()))
        else:
            await cp.call(call201.GetVariables(get_variable_data=v201_capability_request()))

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_with is not None:
            return web.Response(status=self.refuse_with, text="refused")
        ws = web.WebSocketResponse(protocols=("ocpp2.0.1", "ocpp1.6"))
        await ws.prepare(request)
        station_id = request.match_info["station_id"]
        connection = RecordingConnection(ws)
        kind = _Csms16 if ws.ws_protocol == "ocpp1.6" else _Csms201
        cp = kind(station_id, connection)
        cp.csms = self
        record = CsmsConnection(station_id, str(ws.ws_protocol), dict(request.headers), cp, connection)
        async with self._arrived:
            self.connections.append(record)
            self._arrived.notify_all()
        with contextlib.suppress(StationDisconnected):
            await cp.start()
        record.close_code = ws.close_code
        record.close_reason = connection.inner.close_reason
        record.closed.set()
        return ws
