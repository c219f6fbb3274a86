"""OCPI versions and version details: how a partner discovers our endpoints with any token.

Both accept a credentials token A, because a partner reads them before the handshake.
They carry no routing headers (OCPI: not a functional module).
"""

from __future__ import annotations

from aiohttp import web

from ocpi_gateway.appkeys import SETTINGS
from ocpi_gateway.models.ocpi import VERSION
from ocpi_gateway.web.envelope import json_response
from ocpi_gateway.web.middlewares import require_party

DETAILS_PATH = f"/ocpi/{VERSION}"
CREDENTIALS_PATH = f"{DETAILS_PATH}/credentials"
CHARGINGPROFILES_PATH = f"{DETAILS_PATH}/chargingprofiles"
SESSIONS_PATH = f"{DETAILS_PATH}/sessions"


async def get_versions(request: web.Request) -> web.Response:
    """``GET /ocpi/versions``: the single version we speak and where its details live."""
    await require_party(request, registered=False)
    base = request.app[SETTINGS].http.base_url
    return json_response([{"version": VERSION, "url": base + DETAILS_PATH}])


async def get_version_details(request: web.Request) -> web.Response:
    """``GET /ocpi/2.2.1``: the modules we implement, with the interface role of each."""
    await require_party(request, registered=False)
    base = request.app[SETTINGS].http.base_url
    endpoints = [
        # OCPI 2.2.1-d2: the role of credentials is meaningless; publish SENDER.
        {"identifier": "credentials", "role": "SENDER", "url": base + CREDENTIALS_PATH},
        {"identifier": "chargingprofiles", "role": "RECEIVER", "url": base + CHARGINGPROFILES_PATH},
        # Sessions as their owner (CPO Sender): the pull GET; pushes go to partners' RECEIVER.
        {"identifier": "sessions", "role": "SENDER", "url": base + SESSIONS_PATH},
    ]
    return json_response({"version": VERSION, "endpoints": endpoints})
