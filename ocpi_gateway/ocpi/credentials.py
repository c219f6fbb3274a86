"""OCPI credentials, the server side: GET, POST (register), PUT (update or rotate), DELETE (unregister).

POST is for a partner holding a token A and PUT for a registered one (405 otherwise, and
DELETE likewise needs a registered partner). On POST and PUT we read the partner's versions
and 2.2.1 details with the token in their body (token B), keep their endpoints, issue a new
token C and answer our credentials with it. Only then is the stored record replaced, in one
write: token A (or the previous token C) stops working at that moment, and a failed handshake
changes nothing (3001 their API unusable, 3002 no 2.2.1, 3003 required endpoints missing).
"""

from __future__ import annotations

import structlog
from aiohttp import hdrs, web

from ocpi_gateway.appkeys import HTTP_CLIENT, PARTIES, SETTINGS
from ocpi_gateway.core.handshake import Credentials, HandshakeClient, our_credentials, registered_record
from ocpi_gateway.delivery.client import safe_url
from ocpi_gateway.errors import InvalidParameters, MethodNotAllowed
from ocpi_gateway.partners.parties import Party, new_token, presented_token
from ocpi_gateway.web.envelope import json_response
from ocpi_gateway.web.middlewares import parse_body, require_party

log = structlog.get_logger(__name__)


async def get_credentials(request: web.Request) -> web.Response:
    """``GET credentials``: the object this caller uses to reach us (its token, our URL and role)."""
    party = await require_party(request, registered=False)
    token = presented_token(request.headers.get(hdrs.AUTHORIZATION), party)
    if token is None:  # pragma: no cover - require_party matched one of the same candidates
        raise AssertionError("require_party accepted a token that matches no candidate")
    return json_response(our_credentials(request.app[SETTINGS], token))


async def post_credentials(request: web.Request) -> web.Response:
    """``POST credentials`` (register with token A): 405 when already registered."""
    party = await require_party(request, registered=False)
    if party.registered:
        raise MethodNotAllowed("Already registered: use PUT to update the credentials")
    return await _handshake(request, party, "registered")


async def update_or_delete_credentials(request: web.Request) -> web.Response:
    """``PUT`` (update, rotate) / ``DELETE`` (unregister) credentials: 405 when not registered."""
    party = await require_party(request, registered=False)
    if not party.registered:
        raise MethodNotAllowed("Not registered: use POST to register first")
    if request.method == hdrs.METH_PUT:
        return await _handshake(request, party, "updated")
    await request.app[PARTIES].remove(party.key)
    log.info("party_unregistered", party=party.key)
    return json_response()


async def _handshake(request: web.Request, party: Party, outcome: str) -> web.Response:
    """Read their endpoints with their new token, store them with a new token C, answer ours.

    Raises:
        InvalidParameters: the body is not a Credentials object naming the caller's party.
        ClientApiUnusable / UnsupportedVersion / NoMatchingEndpoints: 3001 / 3002 / 3003.
        MethodNotAllowed: the partner's credentials changed while this request ran.
    """
    theirs = await parse_body(request, Credentials)
    keys = {f"{r.country_code}*{r.party_id}".upper() for r in theirs.roles}
    if party.key not in keys:
        raise InvalidParameters(f"roles: none names {party.key}, the party this token belongs to")
    client = HandshakeClient(request.app[HTTP_CLIENT], allow_private=party.allow_private_callbacks)
    endpoints = await client.discover(theirs.url, theirs.token)
    parties = request.app[PARTIES]
    current = await parties.get(party.key)
    if current is None or current.token_digest != party.token_digest:
        raise MethodNotAllowed("The credentials changed while this request ran; start again")
    our_token = new_token()
    await parties.put(registered_record(current, theirs, endpoints, our_token))
    log.info(
        f"party_{outcome}",
        party=party.key,
        role=theirs.role_for(party.key).role,
        versions_url=safe_url(theirs.url),
        endpoints=len(endpoints),
    )
    return json_response(our_credentials(request.app[SETTINGS], our_token))
