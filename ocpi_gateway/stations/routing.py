"""Several drivers side by side: each station is reached the way its own ``mode`` says.

``[[ocpp.stations]] mode = "csms_http"`` (or ``bus``, ``direct``, ``proxy``) overrides
``ocpp.mode`` for one station. When any station does, ``build_driver`` builds one driver
per mode in use and wraps them in :class:`RoutedStations`, which is itself a driver: the
worker asks it for a station's link and it asks the driver that station belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from ocpi_gateway.config import Settings
from ocpi_gateway.domain import StationInfo
from ocpi_gateway.errors import ConfigError
from ocpi_gateway.stations.driver import StationDriver, StationLink
from ocpi_gateway.stations.served import mode_of


def modes_in_use(settings: Settings) -> set[str]:
    """``ocpp.mode`` and every station's own ``mode``.

    Raises:
        ConfigError: ``direct`` and ``proxy`` together: both are the ``/ocpp/{station_id}``
            endpoint, and one endpoint cannot be both.
    """
    modes: set[str] = {settings.ocpp.mode}
    modes.update(station.mode for station in settings.ocpp.stations if station.mode is not None)
    if {"direct", "proxy"} <= modes:
        raise ConfigError("ocpp.stations", "direct and proxy stations cannot be mixed in one gateway")
    return modes


class RoutedStations:
    """A driver made of one driver per mode; stations are routed by their configured mode."""

    def __init__(self, settings: Settings, drivers: Mapping[str, StationDriver]) -> None:
        self._settings = settings
        self._drivers = dict(drivers)

    def _driver(self, station_id: str) -> StationDriver:
        return self._drivers[mode_of(self._settings, station_id)]

    def setup_routes(self, app: web.Application) -> None:
        for driver in self._drivers.values():
            driver.setup_routes(app)

    async def start(self) -> None:
        for driver in self._drivers.values():
            await driver.start()

    async def close(self) -> None:
        for driver in self._drivers.values():
            await driver.close()

    def get(self, station_id: str) -> StationLink | None:
        return self._driver(station_id).get(station_id)

    async def wait_for(self, station_id: str, timeout: float) -> StationLink | None:  # protocol
        return await self._driver(station_id).wait_for(station_id, timeout)

    def stations(self) -> list[StationInfo]:
        return [info for driver in self._drivers.values() for info in driver.stations()]
