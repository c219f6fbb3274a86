"""The status page: one HTML page (no build step) and the two JSON endpoints its script reads.

* ``GET /admin/status`` – the page; admin token in ``Authorization: Token …`` or ``?token=``
  (a browser address bar cannot send headers).
* ``GET /admin/status/overview`` – stations with protocol and state, sessions, recent jobs.
* ``GET /admin/status/sessions/{session_id}/chart`` – the SCSP's requested profile against the
  station's composite schedule. When the station is connected to this node the composite is
  fetched live with GetCompositeSchedule (``?live=false`` skips that); otherwise it is the
  last one this node learnt (from a GET job or an earlier live fetch).
* ``GET /admin/status/status.js`` and ``status.css`` – the page's static assets. They hold no
  data, so they are served without the token (a ``<script src>`` cannot send one).

Jobs and composites come from :class:`~ocpi_gateway.core.history.History`, which is per node.
"""

from __future__ import annotations

import time
from importlib.resources import files
from typing import Any

import structlog
from aiohttp import hdrs, web

from ocpi_gateway.admin.auth import admin_token_matches, json_error, require_admin
from ocpi_gateway.admin.chart import chart_json
from ocpi_gateway.admin.views import session_json
from ocpi_gateway.appkeys import BACKEND, HISTORY, SESSIONS, SETTINGS, STATIONS
from ocpi_gateway.core.history import JobRecord
from ocpi_gateway.domain import Electrical, Session, StationInfo
from ocpi_gateway.errors import BackendError, GatewayError, StationError
from ocpi_gateway.models.ocpi import ActiveChargingProfile, validate_session_id
from ocpi_gateway.stations.driver import StationLink
from ocpi_gateway.timeutil import format_utc, utcnow
from ocpi_gateway.translate.profiles import to_get_composite_schedule
from ocpi_gateway.translate.results import composite_result

log = structlog.get_logger(__name__)

STATIC = files("ocpi_gateway.admin") / "static"
ASSETS = {"status.js": "text/javascript", "status.css": "text/css"}
MAX_SESSIONS = 200
MAX_JOBS = 50
DEFAULT_DURATION = 3600
MAX_DURATION = 86400
#: A live GetCompositeSchedule for the page waits at most this long (and never past call_timeout).
LIVE_TIMEOUT = 5.0

_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


async def status_page(request: web.Request) -> web.Response:
    """``GET /admin/status``: the HTML page; the token may come as ``?token=`` for browsers."""
    settings = request.app[SETTINGS]
    query_token = request.query.get("token")
    header = request.headers.get(hdrs.AUTHORIZATION)
    if not admin_token_matches(settings, header) and not (
        query_token and admin_token_matches(settings, f"Token {query_token}")
    ):
        require_admin(request)  # raises the admin API's JSON 401
    return web.Response(
        text=_asset("status.html"), content_type="text/html", charset="utf-8", headers=_PAGE_HEADERS
    )


async def status_asset(request: web.Request) -> web.Response:
    """``GET /admin/status/status.js|status.css``: the page's script and style."""
    name = request.match_info["asset"]
    return web.Response(
        text=_asset(name), content_type=ASSETS[name], charset="utf-8", headers={"Cache-Control": "no-cache"}
    )


def _job_json(job: JobRecord) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "kind": job.kind,
        "session_id": job.session_id,
        "station_id": job.station_id,
        "party": job.party,
        "request_id": job.request_id,
        "correlation_id": job.correlation_id,
        "created": format_utc_epoch(job.created),
        "finished": format_utc_epoch(job.finished),
        "seconds": round(max(0.0, job.finished - job.created), 3),
        "result": job.result,
        "delivered": job.delivered,
    }


def format_utc_epoch(epoch: float) -> str:
    """Epoch seconds as OCPI UTC text."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _station_json(info: StationInfo, active: dict[str, int]) -> dict[str, Any]:
    return {
        "station_id": info.station_id,
        "protocol": info.protocol.value,
        "state": "connected",
        "node": info.node,
        "connected_at": format_utc(info.connected_at),
        "smart_charging": info.capabilities.smart_charging,
        "active_sessions": active.get(info.station_id, 0),
    }


async def _stations_json(app: web.Application, sessions: list[Session]) -> list[dict[str, Any]]:
    """Stations connected here, then known ones (configured or with a session): on another node or offline."""
    active: dict[str, int] = {}
    for session in sessions:
        if session.active:
            active[session.station_id] = active.get(session.station_id, 0) + 1
    local = sorted(app[STATIONS].stations(), key=lambda i: i.station_id)
    out = [_station_json(info, active) for info in local]
    known = {s.station_id for s in app[SETTINGS].ocpp.stations} | set(active)
    for station_id in sorted(known - {info.station_id for info in local}):
        try:
            elsewhere = await app[BACKEND].stations.lookup(station_id)
        except BackendError:
            elsewhere = None
        if elsewhere is not None:
            out.append(_station_json(elsewhere, active))
            continue
        out.append(
            {
                "station_id": station_id,
                "protocol": None,
                "state": "offline",
                "node": None,
                "connected_at": None,
                "smart_charging": None,
                "active_sessions": active.get(station_id, 0),
            }
        )
    return out


async def overview(request: web.Request) -> web.Response:
    """``GET /admin/status/overview``: stations, sessions (active first) and recent jobs."""
    require_admin(request)
    sessions = await request.app[SESSIONS].list_sessions()
    shown = sorted(sessions[-MAX_SESSIONS:], key=lambda s: (not s.active, -s.started_at.timestamp()))
    return web.json_response(
        {
            "generated_at": format_utc(utcnow()),
            "stations": await _stations_json(request.app, sessions),
            "sessions": [
                {**session_json(s), "has_profile": s.applied_profile is not None, "applied_by": s.applied_by}
                for s in shown
            ],
            "jobs": [_job_json(j) for j in request.app[HISTORY].recent_jobs(limit=MAX_JOBS)],
        }
    )


def _query_duration(request: web.Request) -> int:
    raw = request.query.get("duration", str(DEFAULT_DURATION))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DURATION:
        raise json_error(web.HTTPBadRequest, f"duration: whole seconds from 1 to {MAX_DURATION}")
    return int(raw)


def _query_live(request: web.Request) -> bool:
    raw = request.query.get("live", "true").lower()
    if raw not in ("true", "false"):
        raise json_error(web.HTTPBadRequest, "live: true or false")
    return raw == "true"


async def fetch_composite(
    link: StationLink, session: Session, duration: int, timeout: float
) -> ActiveChargingProfile | None:
    """Ask the station for its composite schedule now; None when it has none or cannot say."""
    payload = to_get_composite_schedule(link.protocol, connector_id=session.evse_id, duration=duration)
    requested_at = utcnow()
    try:
        response = await link.call(payload, timeout=timeout)
    except StationError as exc:
        log.info("status_composite_unavailable", error=type(exc).__name__)
        return None
    return composite_result(link.protocol, response, requested_at).profile


async def session_chart(request: web.Request) -> web.Response:
    """``GET /admin/status/sessions/{session_id}/chart[?live=&duration=]``: the chart's data."""
    require_admin(request)
    try:
        session_id = validate_session_id(request.match_info["session_id"])
    except GatewayError as exc:
        raise json_error(web.HTTPBadRequest, str(exc)) from None
    duration, live = _query_duration(request), _query_live(request)
    session = await request.app[SESSIONS].get(session_id)
    if session is None:
        raise json_error(web.HTTPNotFound, f"unknown session {session_id}")
    structlog.contextvars.bind_contextvars(session_id=session_id, station_id=session.station_id)
    history, settings = request.app[HISTORY], request.app[SETTINGS]
    link = request.app[STATIONS].get(session.station_id) if live and session.active else None
    if link is not None:
        timeout = min(settings.ocpp.call_timeout, LIVE_TIMEOUT)
        profile = await fetch_composite(link, session, duration, timeout)
        if profile is not None:
            history.record_composite(session_id, session.station_id, profile, "live")
    record = history.composite(session_id)
    electrical = Electrical(voltage=settings.ocpp.voltage, phases=settings.ocpp.default_phases)
    chart = chart_json(
        session.applied_profile, session.started_at, record.profile if record else None, electrical
    )
    return web.json_response(
        {
            "session": session_json(session),
            **chart,
            "composite_source": record.source if record else None,
            "composite_learned_at": format_utc(record.learned_at) if record else None,
            "jobs": [_job_json(j) for j in history.recent_jobs(session_id=session_id, limit=MAX_JOBS)],
        }
    )


def setup_status_routes(app: web.Application) -> None:
    """Add the status page, its assets and its JSON endpoints under ``/admin/status``."""
    app.router.add_get("/admin/status", status_page)
    app.router.add_get("/admin/status/overview", overview)
    app.router.add_get("/admin/status/sessions/{session_id}/chart", session_chart)
    app.router.add_get("/admin/status/{asset:status\\.(?:js|css)}", status_asset)
