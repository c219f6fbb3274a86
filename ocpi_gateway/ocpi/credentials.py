"""OCPI credentials: GET answers for real; the registration handshake is a clean seam for later.

POST / PUT / DELETE check the OCPI 405 rules (POST when already registered, PUT or DELETE
when not) and otherwise refuse honestly: the gateway never pretends a handshake succeeded,
since the partner would then switch to a token we never issued.
"""

from __future__ import annotations

import hmac

from aiohttp import hdrs, web

from ocpi_gateway.appkeys import SETTINGS
from ocpi_gateway.config import token_digest
from ocpi_gateway.errors import MethodNotAllowed, OcpiError
from ocpi_gateway.ocpi.envelope import json_response
from ocpi_gateway.ocpi.middlewares import require_party
from ocpi_gateway.ocpi.versions import versions_url
from ocpi_gateway.parties import Party, token_candidates

HANDSHAKE_UNAVAILABLE = "credentials handshake not available in this version"


def _handshake_unavailable() -> OcpiError:
    """Status 2000 with HTTP 501: registration is not implemented yet, and we say so."""
    return OcpiError(HANDSHAKE_UNAVAILABLE, http_status=501)


def _presented_token(request: web.Request, party: Party) -> str:
    """The token the caller authenticated with, in clear: we store only its digest."""
    for candidate in token_candidates(request.headers.get(hdrs.AUTHORIZATION)):
        if party.token_digest is not None and hmac.compare_digest(
            token_digest(candidate), party.token_digest
        ):
            return candidate
    raise AssertionError("require_party accepted a token that matches no candidate")  # pragma: no cover


async def get_credentials(request: web.Request) -> web.Response:
    """``GET credentials``: the object this caller uses to reach us (its token, our URL and role)."""
    party = require_party(request, registered=False)
    settings = request.app[SETTINGS]
    role = {
        "role": "CPO",
        "party_id": settings.ocpi.party_id.upper(),
        "country_code": settings.ocpi.country_code.upper(),
        "business_details": {"name": settings.ocpi.business_name},
    }
    return json_response(
        {"token": _presented_token(request, party), "url": versions_url(settings), "roles": [role]}
    )


async def post_credentials(request: web.Request) -> web.Response:
    """``POST credentials`` (register): 405 when already registered, else not available yet."""
    party = require_party(request, registered=False)
    if party.registered:
        raise MethodNotAllowed("Already registered: use PUT to update the credentials")
    raise _handshake_unavailable()


async def update_or_delete_credentials(request: web.Request) -> web.Response:
    """``PUT`` / ``DELETE credentials``: 405 when not registered, else not available yet."""
    party = require_party(request, registered=False)
    if not party.registered:
        raise MethodNotAllowed("Not registered: use POST to register first")
    raise _handshake_unavailable()
