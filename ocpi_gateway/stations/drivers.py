"""Choosing how stations are reached: one driver per deployment (``ocpp.mode``).

Every driver is a :class:`StationDirectory` (what the job worker needs) plus a small
lifecycle: routes it serves (the OCPP-J websocket for ``direct`` and ``proxy``), ``start``
and ``close``. ``app.py`` only ever calls :func:`build_driver`; adding a way to reach
stations means adding a branch here and a module beside this one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import httpx

from ocpi_gateway.backend.base import Backend
from ocpi_gateway.config import Settings
from ocpi_gateway.domain import StationInfo
from ocpi_gateway.errors import ConfigError
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.bus.driver import BusStations
from ocpi_gateway.stations.csms_http.driver import CsmsHttpStations
from ocpi_gateway.stations.direct.server import DirectStations
from ocpi_gateway.stations.driver import StationDriver, StationLink
from ocpi_gateway.stations.proxy.driver import ProxyStations
from ocpi_gateway.stations.routing import RoutedStations, modes_in_use


@dataclass(frozen=True, slots=True)
class DriverContext:
    """What any driver may need from the rest of the gateway."""

    settings: Settings
    sessions: SessionRegistry
    backend: Backend
    node_id: str
    http_client: httpx.AsyncClient
    on_connected: Callable[[StationLink], Awaitable[None]]
    on_presence: Callable[[StationInfo, bool], Awaitable[None]]
    # The one mode to build (per-station modes build one driver each); None = ``ocpp.mode``.
    mode: str | None = None


def build_driver(ctx: DriverContext) -> StationDriver:
    """The driver ``ocpp.mode`` names.

    Raises:
        ConfigError: the mode is not available in this build.
    """
    if ctx.mode is None and len(modes := modes_in_use(ctx.settings)) > 1:
        # ``[[ocpp.stations]] mode`` differs for some stations: one driver per mode, routed.
        return RoutedStations(ctx.settings, {m: build_driver(replace(ctx, mode=m)) for m in sorted(modes)})
    mode = ctx.mode or ctx.settings.ocpp.mode
    if mode in ("direct", "proxy"):
        return (ProxyStations if mode == "proxy" else DirectStations)(
            ctx.settings,
            ctx.sessions,
            node_id=ctx.node_id,
            on_connected=ctx.on_connected,
            on_presence=ctx.on_presence,
        )
    if mode == "csms_http":
        return CsmsHttpStations(
            ctx.settings,
            ctx.sessions,
            node_id=ctx.node_id,
            http_client=ctx.http_client,
            on_presence=ctx.on_presence,
        )
    if mode == "bus":
        return BusStations(ctx.settings, ctx.sessions, node_id=ctx.node_id, on_presence=ctx.on_presence)
    raise ConfigError("ocpp.mode", f"{mode!r} is not available in this version (use 'direct')")
