"""Admin views: list and register sessions, end them, list connected stations.

Sessions registered here are ones an external CSMS runs and the gateway never saw start;
from then on SCSPs can steer them like any other.
"""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ocpi_gateway.admin.auth import json_error, read_body, require_admin
from ocpi_gateway.appkeys import SESSIONS, STATIONS
from ocpi_gateway.config import EMSP_KEY_PATTERN
from ocpi_gateway.domain import OcppVersion, Session, StationInfo
from ocpi_gateway.errors import GatewayError
from ocpi_gateway.models.ocpi import validate_session_id
from ocpi_gateway.timeutil import format_utc


def _int_as_text(value: Any) -> Any:
    """OCPP 1.6 transaction ids are integers; accept them and keep their decimal text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class ExternalSession(BaseModel):
    """Body of ``PUT /admin/sessions/{session_id}``."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    station_id: str = Field(min_length=1, max_length=48)
    connector_id: int = Field(ge=0)
    transaction_id: Annotated[str, BeforeValidator(_int_as_text)] = Field(min_length=1, max_length=64)
    ocpp_version: OcppVersion | None = Field(default=None, strict=False)
    evse_id: int | None = Field(default=None, ge=0)
    owner: str | None = Field(default=None, pattern=EMSP_KEY_PATTERN)  # a partner's key, CC*PID
    emsp: str | None = Field(default=None, pattern=EMSP_KEY_PATTERN)


def session_json(session: Session) -> dict[str, Any]:
    """The admin view of a session."""
    return {
        "session_id": session.session_id,
        "station_id": session.station_id,
        "connector_id": session.connector_id,
        "evse_id": session.evse_id,
        "transaction_id": session.transaction_id,
        "ocpp_version": session.ocpp_version.value,
        "status": session.status.value,
        "started_at": format_utc(session.started_at),
        "ended_at": format_utc(session.ended_at) if session.ended_at else None,
        "owner": session.owner,
        "emsp": session.emsp,
        "source": session.source,
    }


def station_json(station: StationInfo) -> dict[str, Any]:
    """The admin view of a connected station and what it reported about smart charging."""
    caps = station.capabilities
    return {
        "station_id": station.station_id,
        "protocol": station.protocol.value,
        "node": station.node,
        "connected_at": format_utc(station.connected_at),
        "capabilities": {
            "allowed_units": sorted(caps.allowed_units),
            "max_stack_level": caps.max_stack_level,
            "max_periods": caps.max_periods,
            "max_profiles": caps.max_profiles,
            "smart_charging": caps.smart_charging,
            "reported": caps.reported,
        },
        "vendor": station.vendor,
        "model": station.model,
    }


def _session_id(request: web.Request) -> str:
    try:
        return validate_session_id(request.match_info["session_id"])
    except GatewayError as exc:
        raise json_error(web.HTTPBadRequest, str(exc)) from None


async def list_sessions(request: web.Request) -> web.Response:
    """``GET /admin/sessions[?station_id=]``: every known session, oldest first."""
    require_admin(request)
    station_id = request.query.get("station_id") or None
    sessions = await request.app[SESSIONS].list_sessions(station_id)
    return web.json_response([session_json(s) for s in sessions])


async def put_session(request: web.Request) -> web.Response:
    """``PUT /admin/sessions/{session_id}``: register a session an external CSMS runs (201)."""
    require_admin(request)
    session_id = _session_id(request)
    body = await read_body(request, ExternalSession)
    version = body.ocpp_version
    if version is None:
        link = request.app[STATIONS].get(body.station_id)
        version = link.protocol if link is not None else OcppVersion.V16
    session = await request.app[SESSIONS].register_external(
        session_id=session_id,
        station_id=body.station_id,
        connector_id=body.connector_id,
        transaction_id=body.transaction_id,
        ocpp_version=version,
        evse_id=body.evse_id,
        owner=body.owner.upper() if body.owner else None,
        emsp=body.emsp.upper() if body.emsp else None,
    )
    return web.json_response(session_json(session), status=201)


async def delete_session(request: web.Request) -> web.Response:
    """``DELETE /admin/sessions/{session_id}``: end the session (200), or 404 if unknown."""
    require_admin(request)
    session_id = _session_id(request)
    session = await request.app[SESSIONS].end_by_id(session_id)
    if session is None:
        raise json_error(web.HTTPNotFound, f"unknown session {session_id}")
    return web.json_response(session_json(session))


async def list_stations(request: web.Request) -> web.Response:
    """``GET /admin/stations``: stations connected now, with protocol, node and capabilities."""
    require_admin(request)
    return web.json_response([station_json(s) for s in request.app[STATIONS].stations()])
