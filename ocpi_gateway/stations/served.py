"""Which stations a remote driver (CSMS REST API, message bus) serves, and telling the backend so.

Stations reached through a CSMS or a bus never connect to the gateway, yet steering only
accepts requests for stations the backend's registry names. So a remote driver announces
(``on_presence``) on ``start`` the stations configured for its mode, the extra ones its
own settings name (the bus's EVSE map) and those of active sessions; afterwards the
stations of sessions registered through the admin API as they start; and every
``REFRESH_SECONDS`` again, so after a node dies another node takes its stations over.
A station belongs to this driver when its ``[[ocpp.stations]] mode`` (else ``ocpp.mode``)
is the driver's mode.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

import structlog

from ocpi_gateway.config import DriverStationSettings, Settings
from ocpi_gateway.domain import Capabilities, OcppVersion, Session, StationInfo
from ocpi_gateway.errors import BackendError
from ocpi_gateway.metrics import station_call
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.timeutil import utcnow

log = structlog.get_logger(__name__)

REFRESH_SECONDS = 5.0

OnPresence = Callable[[StationInfo, bool], Awaitable[None]]
# How a remote driver carries one ``ocpp.v201`` call: (station id, payload, timeout) -> call_result.
Carry = Callable[[str, Any, float], Awaitable[Any]]


class RemoteLink:
    """A station as a remote driver (CSMS REST API, message bus) reaches it.

    Remote counterparts speak 2.0.1 shapes; the driver does the I/O, the link only names
    the station and times the call for the metrics.
    """

    def __init__(self, station_id: str, capabilities: Capabilities, carry: Carry) -> None:
        self._station_id = station_id
        self._capabilities = capabilities
        self._carry = carry

    @property
    def station_id(self) -> str:
        return self._station_id

    @property
    def protocol(self) -> OcppVersion:
        return OcppVersion.V201

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    async def call(self, payload: Any, *, timeout: float) -> Any:  # StationLink's signature
        """Carry one 2.0.1 call through the driver and return its ``call_result`` dataclass."""
        with station_call(type(payload).__name__):
            return await self._carry(self._station_id, payload, timeout)


def mode_of(settings: Settings, station_id: str) -> str:
    """How a station is reached: its own ``mode`` in ``[[ocpp.stations]]``, else ``ocpp.mode``."""
    for station in settings.ocpp.stations:
        if station.station_id == station_id and station.mode is not None:
            return station.mode
    return settings.ocpp.mode


def driver_capabilities(settings: DriverStationSettings) -> Capabilities:
    """What a remote driver reports for its stations: the configured units and limits."""
    return Capabilities(
        allowed_units=frozenset(settings.allowed_units),
        max_stack_level=settings.max_stack_level,
        max_periods=settings.max_periods,
        reported=True,
    )


class ServedStations:
    """The stations one remote driver serves on this node, announced to the backend registry."""

    def __init__(
        self,
        settings: Settings,
        sessions: SessionRegistry,
        *,
        mode: str,
        node_id: str,
        capabilities: Capabilities,
        on_presence: OnPresence,
        extra: Iterable[str] = (),
        vendor: str,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._mode = mode
        self._node_id = node_id
        self._capabilities = capabilities
        self._on_presence = on_presence
        self._extra = tuple(extra)
        self._vendor = vendor
        self._since: dict[str, datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def serves(self, station_id: str) -> bool:
        """True when the station is reached through this driver."""
        return mode_of(self._settings, station_id) == self._mode

    def info(self, station_id: str) -> StationInfo:
        """The registry entry of a served station (both remote drivers speak 2.0.1 shapes)."""
        return StationInfo(
            station_id=station_id,
            protocol=OcppVersion.V201,
            node=self._node_id,
            connected_at=self._since.setdefault(station_id, utcnow()),
            capabilities=self._capabilities,
            vendor=self._vendor,
        )

    def stations(self) -> list[StationInfo]:
        """Every station announced so far, for ``GET /admin/stations``."""
        return [self.info(station_id) for station_id in sorted(self._since)]

    async def _candidates(self) -> set[str]:
        ids = {station.station_id for station in self._settings.ocpp.stations}
        ids.update(self._extra)
        ids.update(s.station_id for s in await self._sessions.list_sessions() if s.active)
        return {station_id for station_id in ids if self.serves(station_id)}

    async def announce(self, station_id: str) -> None:
        """Tell the registry this node reaches the station (idempotent)."""
        await self._on_presence(self.info(station_id), True)

    async def on_session(self, session: Session, event: str) -> None:
        """A session started (admin registration included): its station is now reachable here."""
        if event == "started" and self.serves(session.station_id):
            await self.announce(session.station_id)

    async def start(self) -> None:
        """Announce the known stations now, then keep the registry fresh in the background."""
        self._sessions.add_session_listener(self.on_session)
        await self.refresh()
        self._task = asyncio.create_task(self._keep_fresh(), name=f"presence:{self._mode}")

    async def refresh(self) -> None:
        """Announce every candidate station; a backend outage is logged and tried again later."""
        try:
            for station_id in sorted(await self._candidates()):
                await self.announce(station_id)
        except BackendError as exc:
            log.warning("driver_presence_failed", mode=self._mode, error=str(exc))

    async def _keep_fresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            await self.refresh()

    async def close(self) -> None:
        """Stop refreshing and withdraw this node's announcements."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for station_id in list(self._since):
            with contextlib.suppress(BackendError):
                await self._on_presence(self.info(station_id), False)
