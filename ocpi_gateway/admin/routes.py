"""The admin URL map."""

from __future__ import annotations

from aiohttp import web

from ocpi_gateway.admin import views
from ocpi_gateway.admin.parties import setup_party_routes


def setup_admin_routes(app: web.Application) -> None:
    """Add ``/admin/sessions``, ``/admin/sessions/{session_id}`` and ``/admin/stations``."""
    app.router.add_get("/admin/sessions", views.list_sessions)
    session = app.router.add_resource("/admin/sessions/{session_id}")
    session.add_route("PUT", views.put_session)
    session.add_route("DELETE", views.delete_session)
    app.router.add_get("/admin/stations", views.list_stations)
    setup_party_routes(app)
