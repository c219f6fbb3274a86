"""Shared pieces of the admin API tests: settings and a small StationDirectory double."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from ocpi_gateway.admin.routes import setup_admin_routes
from ocpi_gateway.appkeys import PARTIES, SESSIONS, SETTINGS, STATIONS
from ocpi_gateway.backend.memory import MemoryBackend
from ocpi_gateway.config import Settings, settings_from_mapping
from ocpi_gateway.domain import Capabilities, OcppVersion, StationInfo
from ocpi_gateway.partners.parties import PartyDirectory
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.web.middlewares import middlewares

ADMIN_TOKEN = "admin-secret"

AdminClientFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


def admin_auth(token: str = ADMIN_TOKEN, *, encoded: bool = False) -> dict[str, str]:
    value = base64.b64encode(token.encode()).decode() if encoded else token
    return {"Authorization": f"Token {value}"}


def make_settings(admin_token: str | None = ADMIN_TOKEN) -> Settings:
    admin: dict[str, Any] = {"token": admin_token} if admin_token is not None else {}
    return settings_from_mapping({"admin": admin})


@dataclass
class Link:
    """Just enough of a StationLink for the admin API: which protocol the station speaks."""

    station_id: str
    protocol: OcppVersion
    capabilities: Capabilities = field(default_factory=Capabilities)

    async def call(self, payload: Any, *, timeout: float) -> Any:
        raise NotImplementedError


@dataclass
class Stations:
    """A StationDirectory double holding fixed connected stations."""

    infos: list[StationInfo] = field(default_factory=list)

    def get(self, station_id: str) -> Link | None:
        for info in self.infos:
            if info.station_id == station_id:
                return Link(info.station_id, info.protocol, info.capabilities)
        return None

    async def wait_for(self, station_id: str, timeout: float) -> Link | None:
        return self.get(station_id)

    def stations(self) -> list[StationInfo]:
        return list(self.infos)


CONNECTED_AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
STATION_201 = StationInfo(
    station_id="CP-201",
    protocol=OcppVersion.V201,
    node="node-a",
    connected_at=CONNECTED_AT,
    capabilities=Capabilities(allowed_units=frozenset({"A"}), max_periods=24, reported=True),
    vendor="Acme",
    model="X1",
)


def build_app(settings: Settings, stations: Stations) -> web.Application:
    """The admin part of the gateway, wired as ``create_app`` wires it (same middlewares)."""
    app = web.Application(middlewares=middlewares(settings))
    app[SETTINGS] = settings
    app[PARTIES] = PartyDirectory()
    app[SESSIONS] = SessionRegistry(MemoryBackend())
    app[STATIONS] = stations
    setup_admin_routes(app)
    return app
