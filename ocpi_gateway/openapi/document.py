"""The OpenAPI 3.1 document of the HTTP surface (OCPI, admin, status page, operations), at ``/openapi.json``.

Built in Python so that it follows the code: request and result bodies are the JSON
Schemas of the very pydantic models the views validate with (OpenAPI 3.1 *is* JSON Schema
2020-12, as pydantic emits it). ``tests/ops/test_openapi.py`` checks that every documented
path and method is routed and every routed one is documented, and drives the live app with
schemathesis against this document.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from ocpi_gateway.admin.levers import StationLimitBody
from ocpi_gateway.admin.parties import InviteBody, PolicyBody, RegisterBody
from ocpi_gateway.admin.views import ExternalSession
from ocpi_gateway.appkeys import SETTINGS
from ocpi_gateway.core.handshake import Credentials
from ocpi_gateway.models.ocpi import ChargingProfileResponse, SetChargingProfile
from ocpi_gateway.openapi.admin import admin_paths
from ocpi_gateway.openapi.api import api_paths
from ocpi_gateway.openapi.ocpi import ocpi_paths
from ocpi_gateway.openapi.parts import (
    BOOL,
    REF,
    STR,
    answer,
    obj,
    op,
)
from ocpi_gateway.sessions.objects import OcpiSession

_MODELS: tuple[tuple[type[BaseModel], JsonSchemaMode], ...] = (
    (SetChargingProfile, "validation"),
    (ChargingProfileResponse, "serialization"),
    (Credentials, "validation"),
    (ExternalSession, "validation"),
    (InviteBody, "validation"),
    (RegisterBody, "validation"),
    (PolicyBody, "validation"),
    (StationLimitBody, "validation"),
    (OcpiSession, "serialization"),
)


def ops_paths() -> dict[str, Any]:
    text = {"text/plain": {"schema": STR}}
    return {
        "/health": {"get": op("the process is up", {"200": answer("up", obj(("status",), status=STR))})},
        "/ready": {
            "get": op(
                "the backend answers",
                {
                    "200": answer("ready", obj(("ready",), ready=BOOL)),
                    "503": answer("not ready", obj(("ready",), ready=BOOL)),
                },
            )
        },
        "/metrics": {
            "get": op("Prometheus metrics", {"200": {"description": "text format", "content": text}})
        },
        "/openapi.json": {"get": op("this document", {"200": answer("OpenAPI 3.1", {"type": "object"})})},
    }


@lru_cache(maxsize=8)
def build_openapi(server_url: str = "http://127.0.0.1:8080") -> dict[str, Any]:
    """The whole document, with ``server_url`` (the gateway's ``http.public_url``) as its server."""
    _, defs = models_json_schema(_MODELS, ref_template=REF)
    scheme = "`Token <token>` (Base64 of the token, or the raw token)"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ocpi-gateway",
            "version": "2.2.1",
            "description": "OCPI 2.2.1 ChargingProfiles Receiver in front of OCPP stations: OCPI, admin and "
            "operations endpoints. The OCPP websocket `/ocpp/{station_id}` is not HTTP and not listed.",
        },
        "servers": [{"url": server_url}],
        "paths": {**ocpi_paths(), **admin_paths(), **api_paths(), **ops_paths()},
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "ocpiToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": f"a partner's OCPI token: {scheme}",
                },
                "adminToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": f"`admin.token`: {scheme}",
                },
                "adminTokenQuery": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "token",
                    "description": "`admin.token` in the URL (status page only)",
                },
            },
        },
    }


async def openapi_json(request: web.Request) -> web.Response:
    """``GET /openapi.json``: the document, served without a token (it holds no secrets)."""
    return web.json_response(build_openapi(request.app[SETTINGS].http.base_url))
