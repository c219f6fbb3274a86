"""The one small interface between the job worker and however stations are reached.

The worker builds an OCPP request as an ``ocpp`` package dataclass
(``ocpp.v16.call.SetChargingProfile``, ``ocpp.v201.call.GetCompositeSchedule`` ...) and hands
it to a :class:`StationLink`; it gets the matching ``call_result`` dataclass back or a
:class:`~ocpi_gateway.errors.StationError`. Direct websockets, an OCPP-J proxy, a CSMS REST
API or a message bus are each a driver implementing :class:`StationDirectory`; the OCPI side
never changes.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from ocpi_gateway.domain import Capabilities, OcppVersion, StationInfo


class StationLink(Protocol):
    """A live way to send OCPP calls to one station, one call at a time."""

    @property
    def station_id(self) -> str: ...

    @property
    def protocol(self) -> OcppVersion: ...

    @property
    def capabilities(self) -> Capabilities: ...

    async def call(self, payload: Any, *, timeout: float) -> Any:
        """Send one OCPP CALL and return its ``call_result`` dataclass.

        Calls to the same station are serialised: a second call waits for the first (the
        wait counts against ``timeout``).

        Raises:
            StationTimeout: no answer within ``timeout`` seconds.
            StationDisconnected: the link dropped before the answer.
            StationCallError: the station answered CALLERROR (``code`` names it).
            StationOffline: the link was already closed.
        """
        ...


class StationDirectory(Protocol):
    """A driver: finds the live link for a station id."""

    def get(self, station_id: str) -> StationLink | None:
        """The station's link if it is reachable now, else ``None``."""
        ...

    async def wait_for(self, station_id: str, timeout: float) -> StationLink | None:
        """Wait up to ``timeout`` seconds for the station to become reachable."""
        ...

    def stations(self) -> list[StationInfo]:
        """Connected stations, for ``GET /admin/stations``."""
        ...


class StationDriver(StationDirectory, Protocol):
    """A station directory with its own routes and lifecycle."""

    def setup_routes(self, app: web.Application) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...
