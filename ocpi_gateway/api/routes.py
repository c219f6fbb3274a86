"""The ``/api/v1`` URL map and the one service it needs, built from the app's shared services."""

from __future__ import annotations

from aiohttp import web

from ocpi_gateway.api import views
from ocpi_gateway.api.submit import PROFILE_API, ProfileApi
from ocpi_gateway.appkeys import BACKEND, SESSIONS, SETTINGS, STEERING


def setup_api_routes(app: web.Application) -> None:
    """Add the OCPP-format profile API; call after the backend, sessions and steering are set."""
    app[PROFILE_API] = ProfileApi(app[SETTINGS], app[BACKEND], app[SESSIONS], app[STEERING])
    router = app.router
    router.add_put("/api/v1/sessions/{session_id}/charging-profile", views.put_session_profile)
    router.add_put("/api/v1/stations/{station_id}/charging-profile", views.put_station_profile)
    router.add_get(views.JOBS_PATH + "/{job_id}", views.get_job)
    router.add_post("/api/v1/validate/charging-profile", views.post_validate)
    router.add_get("/api/v1/examples/charging-profile", views.get_example)
