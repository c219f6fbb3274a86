"""Admin views for the CPO's levers: the station-wide limit and clearing a session's profile.

Each stores a job and answers ``202 {"job_id": ...}`` (the job runs on the station's node,
in order with the SCSPs' calls); the job's outcome stays readable through ``core/outcomes.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ocpi_gateway.admin.auth import json_error, read_body, require_admin
from ocpi_gateway.admin.views import _session_id
from ocpi_gateway.appkeys import LEVERS, SESSIONS
from ocpi_gateway.domain import Job
from ocpi_gateway.models.ocpi import MAX_LIMIT, ChargingRateUnit, OneDecimal

MAX_STATION_ID = 48


class StationLimitBody(BaseModel):
    """Body of ``PUT /admin/stations/{station_id}/limit``: the station-wide maximum.

    ``A`` is current per phase, ``W`` total power (as in OCPI); at most one decimal.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: OneDecimal = Field(ge=0)
    unit: ChargingRateUnit = ChargingRateUnit.A

    @model_validator(mode="after")
    def _within_cap(self) -> StationLimitBody:
        cap = MAX_LIMIT[self.unit.value]
        if self.limit > cap:
            raise ValueError(f"limit exceeds {cap} {self.unit.value}")
        return self


def _station_id(request: web.Request) -> str:
    station_id = request.match_info["station_id"]
    if not 1 <= len(station_id) <= MAX_STATION_ID:
        raise json_error(web.HTTPBadRequest, f"station_id: 1 to {MAX_STATION_ID} characters")
    return station_id


def _accepted(job: Job, **extra: Any) -> web.Response:
    return web.json_response({"job_id": job.job_id, **extra}, status=202)


async def put_station_limit(request: web.Request) -> web.Response:
    """``PUT /admin/stations/{station_id}/limit``: set the station-wide maximum (202), 404 if offline."""
    require_admin(request)
    station_id = _station_id(request)
    body = await read_body(request, StationLimitBody)
    job = await request.app[LEVERS].request(station_id, body.limit, body.unit, str(uuid.uuid4()))
    if job is None:
        raise json_error(web.HTTPNotFound, f"station {station_id} is not connected")
    return _accepted(job, station_id=station_id, limit=body.limit, unit=body.unit.value)


async def delete_station_limit(request: web.Request) -> web.Response:
    """``DELETE /admin/stations/{station_id}/limit``: clear the gateway's maximum (202), 404 if offline."""
    require_admin(request)
    station_id = _station_id(request)
    job = await request.app[LEVERS].request(station_id, None, ChargingRateUnit.A, str(uuid.uuid4()))
    if job is None:
        raise json_error(web.HTTPNotFound, f"station {station_id} is not connected")
    return _accepted(job, station_id=station_id)


async def delete_session_profile(request: web.Request) -> web.Response:
    """``DELETE /admin/sessions/{session_id}/profile``: the CPO clears the session's profile (202)."""
    require_admin(request)
    session_id = _session_id(request)
    session = await request.app[SESSIONS].get(session_id)
    if session is None or not session.active:
        raise json_error(web.HTTPNotFound, f"no active session {session_id}")
    job = await request.app[LEVERS].clear_session_profile(session, str(uuid.uuid4()))
    return _accepted(job, session_id=session_id)
