"""Shared pieces of the OCPI edge tests: settings, tokens, the Steering double, the app builder.

The double only records calls and answers fixed responses; the end-to-end tests drive the
real ``Steering``.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from ocpi_gateway.appkeys import PARTIES, SESSIONS, SETTINGS, STEERING
from ocpi_gateway.backend.memory import MemoryBackend
from ocpi_gateway.config import Settings, settings_from_mapping
from ocpi_gateway.core.steering import RequestContext, Steering
from ocpi_gateway.models.ocpi import (
    ChargingProfileResponse,
    ChargingProfileResponseType,
    SetChargingProfile,
)
from ocpi_gateway.ocpi.routes import setup_routes
from ocpi_gateway.partners.parties import Party, PartyDirectory
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.web.middlewares import middlewares

SCSP_TOKEN = "scsp-token-c"
TOKEN_A = "token-a-only"
PROFILES = "/ocpi/2.2.1/chargingprofiles"

ClientFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


def auth(token: str = SCSP_TOKEN) -> dict[str, str]:
    """Headers carrying ``token`` Base64-encoded, as OCPI 2.2.1 asks."""
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


def make_settings(**ocpi: Any) -> Settings:
    """Small test settings: one registered SCSP and one party holding only a token A."""
    return settings_from_mapping(
        {
            "http": {"public_url": "https://gw.example.com", "max_body_bytes": 2048},
            "ocpi": {
                "country_code": "NL",
                "party_id": "GWY",
                "business_name": "Test Gateway",
                "parties": [
                    {"country_code": "NL", "party_id": "SCS", "token": SCSP_TOKEN, "their_token": "b"},
                    {"country_code": "DE", "party_id": "NEW", "token": TOKEN_A},
                ],
                **ocpi,
            },
        }
    )


def accepted(timeout: int) -> ChargingProfileResponse:
    return ChargingProfileResponse(result=ChargingProfileResponseType.ACCEPTED, timeout=timeout)


@dataclass
class Call:
    """One recorded Steering call."""

    method: str
    party: Party
    session_id: str
    ctx: RequestContext
    body: SetChargingProfile | None = None
    duration: int | None = None
    response_url: str | None = None


@dataclass
class RecordingSteering(Steering):
    """A Steering double: records calls, answers ``answer`` or raises ``error``."""

    answer: ChargingProfileResponse = field(default_factory=lambda: accepted(30))
    error: Exception | None = None
    calls: list[Call] = field(default_factory=list)

    def _respond(self, call: Call) -> ChargingProfileResponse:
        self.calls.append(call)
        if self.error is not None:
            raise self.error
        return self.answer

    async def set_profile(
        self, party: Party, session_id: str, request: SetChargingProfile, ctx: RequestContext
    ) -> ChargingProfileResponse:
        return self._respond(Call("set", party, session_id, ctx, body=request))

    async def get_profile(
        self, party: Party, session_id: str, duration: int, response_url: str, ctx: RequestContext
    ) -> ChargingProfileResponse:
        return self._respond(
            Call("get", party, session_id, ctx, duration=duration, response_url=response_url)
        )

    async def clear_profile(
        self, party: Party, session_id: str, response_url: str, ctx: RequestContext
    ) -> ChargingProfileResponse:
        return self._respond(Call("clear", party, session_id, ctx, response_url=response_url))


def build_app(settings: Settings, steering: Steering) -> web.Application:
    """The OCPI part of the gateway, wired the way ``create_app`` wires it."""
    app = web.Application(client_max_size=settings.http.max_body_bytes, middlewares=middlewares(settings))
    app[SETTINGS] = settings
    app[PARTIES] = PartyDirectory.from_settings(settings.ocpi.parties)
    app[SESSIONS] = SessionRegistry(MemoryBackend())
    app[STEERING] = steering
    setup_routes(app)
    return app


VALID_PROFILE: dict[str, Any] = {
    "charging_profile": {
        "charging_rate_unit": "A",
        "charging_profile_period": [
            {"start_period": 0, "limit": 16.0},
            {"start_period": 1800, "limit": 10.5},
        ],
    },
    "response_url": "https://scsp.example.com/results/1",
}
