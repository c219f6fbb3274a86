"""The OCPP-format profile API views: parse, authenticate, call :class:`ProfileApi`, answer JSON.

This API speaks plain JSON in OCPP's camelCase, not OCPI envelopes: answers are the
station's own ``status`` (and 2.0.1 ``statusInfo``) with the job id, errors are
``{"error", "problems"?}``. Partners authenticate with their OCPI token.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import structlog
from aiohttp import hdrs, web

from ocpi_gateway.api.examples import example_request
from ocpi_gateway.api.submit import PROFILE_API, station_scope
from ocpi_gateway.core.outcomes import JobOutcome
from ocpi_gateway.errors import ApiError, BackendError, InvalidJson, OcpiError
from ocpi_gateway.partners.parties import Party
from ocpi_gateway.web.middlewares import read_json, request_context, require_party

log = structlog.get_logger(__name__)

JOBS_PATH = "/api/v1/jobs"
MAX_ID_LENGTH = 48
View = Callable[[web.Request], Awaitable[web.Response]]


def api_view(view: View) -> View:
    """Render :class:`ApiError` and backend trouble as this API's JSON errors."""

    @functools.wraps(view)
    async def wrapped(request: web.Request) -> web.Response:
        try:
            return await view(request)
        except ApiError as exc:
            body: dict[str, Any] = {"error": exc.message}
            if exc.problems is not None:
                body["problems"] = exc.problems
            log.info(
                "api_request_refused", path=request.path, http_status=exc.http_status, reason=exc.message
            )
            headers = {hdrs.WWW_AUTHENTICATE: "Token"} if exc.http_status == 401 else None
            return web.json_response(body, status=exc.http_status, headers=headers)
        except BackendError as exc:
            log.warning("backend_unavailable", path=request.path, error=str(exc))
            return web.json_response({"error": "backend unavailable: nothing was stored"}, status=503)

    return wrapped


async def _party(request: web.Request) -> Party:
    try:
        return await require_party(request)
    except OcpiError as exc:
        raise ApiError(401, exc.message) from None


def _identifier(request: web.Request, name: str) -> str:
    value = request.match_info[name]
    if not 1 <= len(value) <= MAX_ID_LENGTH or not all(" " <= c <= "~" for c in value):
        raise ApiError(400, f"{name}: must be 1 to {MAX_ID_LENGTH} printable ASCII characters")
    return value


async def _body(request: web.Request) -> Any:
    """The JSON body with floats as ``Decimal``, as the OCPP 1.6 schema check needs them.

    Read as OCPI bodies are (``read_json``): a non-JSON ``Content-Type`` is refused too.
    """
    try:
        return await read_json(request, parse_float=Decimal)
    except InvalidJson as exc:
        raise ApiError(400, exc.message) from None


def outcome_json(outcome: JobOutcome) -> dict[str, Any]:
    """A job as this API shows it: pending with its URL, or done with the station's answer."""
    body: dict[str, Any] = {
        "jobId": outcome.job_id,
        "state": outcome.state,
        "jobUrl": f"{JOBS_PATH}/{outcome.job_id}",
        "stationId": outcome.station_id,
    }
    if outcome.session_id:
        body["sessionId"] = outcome.session_id
    result = outcome.result
    if not outcome.done or result is None:
        return body
    accepted = result.get("result") == "ACCEPTED"
    body["status"] = result.get("status") or ("Accepted" if accepted else "Rejected")
    info = result.get("status_info")
    if info is None and not accepted and "status" not in result:
        info = {"reason_code": "NotDelivered", "additional_info": "the session ended or the station was away"}
    if info:
        body["statusInfo"] = {
            "reasonCode": info.get("reason_code", ""),
            **({"additionalInfo": info["additional_info"]} if "additional_info" in info else {}),
        }
    if result.get("protocol"):
        body["protocol"] = result["protocol"]
    return body


def _answer(outcome: JobOutcome) -> web.Response:
    if outcome.done:
        return web.json_response(outcome_json(outcome))
    body = outcome_json(outcome)
    return web.json_response(body, status=202, headers={hdrs.LOCATION: body["jobUrl"]})


@api_view
async def put_session_profile(request: web.Request) -> web.Response:
    """``PUT /api/v1/sessions/{session_id}/charging-profile``: the station's answer, or 202."""
    party = await _party(request)
    session_id = _identifier(request, "session_id")
    body = await _body(request)
    api = request.app[PROFILE_API]
    return _answer(await api.for_session(party, session_id, body, request_context(request)))


@api_view
async def put_station_profile(request: web.Request) -> web.Response:
    """``PUT /api/v1/stations/{station_id}/charging-profile``: the station's answer, or 202."""
    party = await _party(request)
    station_id = _identifier(request, "station_id")
    body = await _body(request)
    api = request.app[PROFILE_API]
    return _answer(await api.for_station(party, station_id, body, request_context(request)))


@api_view
async def get_job(request: web.Request) -> web.Response:
    """``GET /api/v1/jobs/{job_id}``: 200 when done, 202 while pending, 404 unknown or expired."""
    party = await _party(request)
    job_id = _identifier(request, "job_id")
    return _answer(await request.app[PROFILE_API].job(party, job_id))


@api_view
async def post_validate(request: web.Request) -> web.Response:
    """``POST /api/v1/validate/charging-profile[?target=session|station]``: every problem, nothing sent."""
    await _party(request)
    scope = station_scope(request.query.get("target"))
    body = await _body(request)
    found = request.app[PROFILE_API].problems(body, scope)
    effective = request.app[PROFILE_API].effective(body) if not found else None
    return web.json_response(
        {"valid": not found, "problems": [p.to_json() for p in found], "effective": effective}
    )


@api_view
async def get_example(request: web.Request) -> web.Response:
    """``GET /api/v1/examples/charging-profile``: a filled-in request that passes validation."""
    await _party(request)
    return web.json_response(example_request())
