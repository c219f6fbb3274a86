"""The OpenAPI 3.1 document of the gateway's HTTP surface, served at ``/openapi.json``."""

from ocpi_gateway.openapi.document import build_openapi, openapi_json

__all__ = ["build_openapi", "openapi_json"]
