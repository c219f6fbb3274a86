"""The OpenAPI 3.1 document of the gateway's HTTP surface, served at ``/openapi.json``.

It documents every edge (OCPI, the OCPP-format API, admin, ops), so it sits beside ``app.py``
above them: it may import any edge's body models; no edge imports it.
"""

from aiohttp import web

from ocpi_gateway.openapi.document import build_openapi, openapi_json

__all__ = ["build_openapi", "openapi_json", "setup_openapi_routes"]


def setup_openapi_routes(app: web.Application) -> None:
    """Serve the document at ``/openapi.json``."""
    app.router.add_get("/openapi.json", openapi_json)
