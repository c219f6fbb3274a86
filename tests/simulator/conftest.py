"""A minimal CSMS written with the ``ocpp`` package's server side, for the simulator's tests.

It accepts both subprotocols over a real aiohttp websocket server, answers what a station
sends (boot, heartbeat, status, transactions, NotifyChargingLimit), records it, and lets a
test call the station through the CSMS-side ``ChargePoint``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call_result as result201

from ocpi_gateway.cli.simulator import SimulatedStation
from ocpi_gateway.errors import StationDisconnected
from ocpi_gateway.stations.direct.connection import WebSocketConnection
from ocpi_gateway.timeutil import format_utc, utcnow

HEARTBEAT = 1


class Csms:
    """Which stations are connected and every CALL they sent, in order."""

    def __init__(self) -> None:
        self.url = ""
        self.cps: dict[str, Any] = {}
        self.seen: list[tuple[str, str, dict[str, Any]]] = []
        self.tx_ids = itertools.count(1001)
        self.profile_after_start = False
        self._arrived = asyncio.Event()

    def note(self, station_id: str, action: str, payload: dict[str, Any]) -> None:
        self.seen.append((station_id, action, payload))
        self._arrived.set()

    def actions(self, station_id: str) -> list[str]:
        return [action for sid, action, _ in self.seen if sid == station_id]

    async def wait_action(
        self,
        station_id: str,
        action: str,
        count: int = 1,
        timeout: float = 3.0,  # a test helper, simpler to call with a timeout
    ) -> dict[str, Any]:
        """The ``count``-th call of ``action`` from a station, waiting for it."""
        async with asyncio.timeout(timeout):
            while True:
                hits = [p for sid, a, p in self.seen if sid == station_id and a == action]
                if len(hits) >= count:
                    return hits[count - 1]
                self._arrived.clear()
                await self._arrived.wait()

    async def call(self, station_id: str, payload: Any) -> Any:
        """Send a CALL to the station; a CALLERROR raises the package's OCPPError."""
        return await self.cps[station_id].call(payload, suppress=False)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        station_id = request.match_info["station_id"]
        ws = web.WebSocketResponse(protocols=("ocpp2.0.1", "ocpp1.6"))
        await ws.prepare(request)
        kind = CsmsCp16 if ws.ws_protocol == "ocpp1.6" else CsmsCp201
        cp = kind(station_id, WebSocketConnection(ws), response_timeout=1)
        cp.csms = self
        self.cps[station_id] = cp
        with contextlib.suppress(StationDisconnected):
            await cp.start()
        return ws


class CsmsCp16(Cp16):
    csms: Csms

    @on("BootNotification")
    def on_boot(self, **kw: Any) -> Any:
        self.csms.note(self.id, "BootNotification", kw)
        return result16.BootNotification(
            current_time=format_utc(utcnow()), interval=HEARTBEAT, status="Accepted"
        )

    @on("Heartbeat")
    def on_heartbeat(self, **kw: Any) -> Any:
        self.csms.note(self.id, "Heartbeat", kw)
        return result16.Heartbeat(current_time=format_utc(utcnow()))

    @on("StatusNotification")
    def on_status(self, **kw: Any) -> Any:
        self.csms.note(self.id, "StatusNotification", kw)
        return result16.StatusNotification()

    @on("StartTransaction")
    def on_start(self, **kw: Any) -> Any:
        tx = next(self.csms.tx_ids)
        self.csms.note(self.id, "StartTransaction", kw | {"assigned": tx})
        return result16.StartTransaction(transaction_id=tx, id_tag_info={"status": "Accepted"})

    @after("StartTransaction")
    async def after_start(self, **kw: Any) -> None:
        """Optionally steer at once: the SetChargingProfile follows the answer immediately."""
        if not self.csms.profile_after_start:
            return
        tx = max(p["assigned"] for sid, a, p in self.csms.seen if sid == self.id and a == "StartTransaction")
        result = await self.call(
            call16.SetChargingProfile(connector_id=kw["connector_id"], cs_charging_profiles=v16_profile(tx))
        )
        self.csms.note(self.id, "SetChargingProfileResult", {"status": result.status})

    @on("StopTransaction")
    def on_stop(self, **kw: Any) -> Any:
        self.csms.note(self.id, "StopTransaction", kw)
        return result16.StopTransaction()


class CsmsCp201(Cp201):
    csms: Csms

    @on("BootNotification")
    def on_boot(self, **kw: Any) -> Any:
        self.csms.note(self.id, "BootNotification", kw)
        return result201.BootNotification(
            current_time=format_utc(utcnow()), interval=HEARTBEAT, status="Accepted"
        )

    @on("Heartbeat")
    def on_heartbeat(self, **kw: Any) -> Any:
        self.csms.note(self.id, "Heartbeat", kw)
        return result201.Heartbeat(current_time=format_utc(utcnow()))

    @on("StatusNotification")
    def on_status(self, **kw: Any) -> Any:
        self.csms.note(self.id, "StatusNotification", kw)
        return result201.StatusNotification()

    @on("TransactionEvent")
    def on_transaction_event(self, **kw: Any) -> Any:
        self.csms.note(self.id, "TransactionEvent", kw)
        return result201.TransactionEvent()

    @on("NotifyChargingLimit")
    def on_notify_charging_limit(self, **kw: Any) -> Any:
        self.csms.note(self.id, "NotifyChargingLimit", kw)
        return result201.NotifyChargingLimit()


def v16_profile(
    tx: int | None,
    *,
    pid: int = 7,
    stack: int = 1,
    unit: str = "A",
    purpose: str = "TxProfile",
    limits: tuple[tuple[int, float], ...] = ((0, 16.0),),
    kind: str = "Relative",
) -> dict[str, Any]:
    """A 1.6 csChargingProfiles dict (snake_case, as ``call.SetChargingProfile`` takes it)."""
    profile: dict[str, Any] = {
        "charging_profile_id": pid,
        "stack_level": stack,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": kind,
        "charging_schedule": {
            "charging_rate_unit": unit,
            "charging_schedule_period": [{"start_period": s, "limit": lim} for s, lim in limits],
        },
    }
    if tx is not None:
        profile["transaction_id"] = tx
    return profile


@pytest.fixture
async def csms() -> AsyncIterator[Csms]:
    state = Csms()
    app = web.Application()
    app.router.add_get("/ocpp/{station_id}", state.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state.url = f"ws://127.0.0.1:{server.port}/ocpp"
    yield state
    await server.close()


StationFactory = Callable[..., Awaitable[SimulatedStation]]


@pytest.fixture
async def station_factory(csms: Csms) -> AsyncIterator[StationFactory]:
    """Make connected stations against the test CSMS; all are closed after the test."""
    made: list[SimulatedStation] = []

    async def make(station_id: str = "SIM-1", **kwargs: Any) -> SimulatedStation:
        station = SimulatedStation(station_id, csms.url, call_timeout=2.0, **kwargs)
        made.append(station)
        await station.connect()
        return station

    yield make
    for station in made:
        await station.close()


@pytest.fixture(params=["ocpp1.6", "ocpp2.0.1"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)
