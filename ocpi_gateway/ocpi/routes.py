"""The OCPI URL map: every route with and without a trailing slash (OCPI peers send both)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from ocpi_gateway.models.ocpi import VERSIONS_PATH
from ocpi_gateway.ocpi import chargingprofiles, credentials, sessions, versions


def _add(app: web.Application, path: str, handlers: dict[str, Handler]) -> None:
    """Register ``handlers`` (method -> handler) on ``path`` and on ``path + "/"``.

    Methods left out answer 405 through the router, rendered as an envelope by the
    error middleware.
    """
    for variant in (path, path + "/"):
        resource = app.router.add_resource(variant)
        for method, handler in handlers.items():
            resource.add_route(method, handler)


def setup_routes(app: web.Application) -> None:
    """Add the OCPI 2.2.1 routes: versions, version details, credentials, chargingprofiles, sessions."""
    _add(app, VERSIONS_PATH, {"GET": versions.get_versions})
    _add(app, versions.DETAILS_PATH, {"GET": versions.get_version_details})
    _add(
        app,
        versions.CREDENTIALS_PATH,
        {
            "GET": credentials.get_credentials,
            "POST": credentials.post_credentials,
            "PUT": credentials.update_or_delete_credentials,
            "DELETE": credentials.update_or_delete_credentials,
        },
    )
    _add(
        app,
        versions.CHARGINGPROFILES_PATH + "/{session_id}",
        {
            "GET": chargingprofiles.get_profile,
            "PUT": chargingprofiles.put_profile,
            "DELETE": chargingprofiles.delete_profile,
        },
    )
    _add(app, sessions.SESSIONS_PATH, {"GET": sessions.get_sessions})
