"""The admin URL map."""

from __future__ import annotations

from aiohttp import web

from ocpi_gateway.admin import levers, views
from ocpi_gateway.admin.parties import setup_party_routes


def setup_admin_routes(app: web.Application) -> None:
    """Add ``/admin/sessions``, ``/admin/sessions/{session_id}`` and ``/admin/stations``."""
    app.router.add_get("/admin/sessions", views.list_sessions)
    session = app.router.add_resource("/admin/sessions/{session_id}")
    session.add_route("PUT", views.put_session)
    session.add_route("DELETE", views.delete_session)
    app.router.add_get("/admin/stations", views.list_stations)
    limit = app.router.add_resource("/admin/stations/{station_id}/limit")
    limit.add_route("PUT", levers.put_station_limit)
    limit.add_route("DELETE", levers.delete_station_limit)
    app.router.add_route("DELETE", "/admin/sessions/{session_id}/profile", levers.delete_session_profile)
    setup_party_routes(app)
