"""Admin API for OCPI partners: list, invite (token A), register with a partner, change policy, remove.

The embedded backend lives inside the gateway process, so partner management goes through
this API (``ocpi-gateway parties …`` is its command-line client). Answers never carry a
token, except the token A that ``invite`` creates, once, for the operator to hand over.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ocpi_gateway.admin.auth import JSON, json_error, read_body, require_admin
from ocpi_gateway.appkeys import ENDPOINTS, HTTP_CLIENT, PARTIES, SETTINGS
from ocpi_gateway.backend.parties import OwnershipPolicy, PartyRecord, SteerPolicy
from ocpi_gateway.config import EMSP_KEY_PATTERN, ROLE_PATTERN
from ocpi_gateway.core.handshake import TOKEN_PATTERN, register_with, unregister_with
from ocpi_gateway.errors import MethodNotAllowed, OcpiError
from ocpi_gateway.models.ocpi import versions_url
from ocpi_gateway.partners.callbacks import allowed_hosts
from ocpi_gateway.timeutil import format_utc

EmspKey = Annotated[str, Field(pattern=EMSP_KEY_PATTERN)]
Host = Annotated[str, Field(min_length=1, max_length=253)]
ModelT = TypeVar("ModelT", bound=BaseModel)

log = structlog.get_logger(__name__)


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PolicyBody(_Body):
    """Settings an operator decides per partner (all optional: ``PATCH`` changes only those given)."""

    steer: SteerPolicy | None = None
    emsps: tuple[EmspKey, ...] | None = None
    response_url_hosts: tuple[Host, ...] | None = None
    allow_private_callbacks: bool | None = None

    def apply(self, record: PartyRecord) -> PartyRecord:
        """``record`` with the given fields changed."""
        policy = OwnershipPolicy(
            steer=self.steer or record.ownership.steer,
            emsps=tuple(e.upper() for e in self.emsps) if self.emsps is not None else record.ownership.emsps,
        )
        update: dict[str, Any] = {"ownership": policy}
        if self.response_url_hosts is not None:
            update["response_url_hosts"] = tuple(h.lower() for h in self.response_url_hosts)
        if self.allow_private_callbacks is not None:
            update["allow_private_callbacks"] = self.allow_private_callbacks
        return record.model_copy(update=update)


class InviteBody(PolicyBody):
    """``POST /admin/parties/invite``."""

    country_code: str = Field(pattern=r"^[A-Za-z]{2}$")
    party_id: str = Field(pattern=r"^[A-Za-z0-9]{3}$")
    role: str = Field(default="SCSP", pattern=ROLE_PATTERN)


class RegisterBody(PolicyBody):
    """``POST /admin/parties/register``: the versions URL and token A a partner gave us."""

    versions_url: str = Field(min_length=1, max_length=255, pattern=r"^https?://")
    token: str = Field(pattern=TOKEN_PATTERN)


def party_json(party: PartyRecord) -> dict[str, Any]:
    """The admin view of a partner: everything but tokens and token digests."""
    return {
        "key": party.key,
        "country_code": party.country_code,
        "party_id": party.party_id,
        "role": party.role,
        "business_name": party.business_name,
        "status": party.status,
        "source": party.source,
        "versions_url": party.versions_url,
        "chargingprofiles_url": party.chargingprofiles_url,
        "sessions_url": party.sessions_url,
        "endpoints": [e.model_dump() for e in party.endpoints],
        "endpoints_known": bool(party.endpoints),
        "endpoints_read_at": format_utc(party.endpoints_read_at) if party.endpoints_read_at else None,
        "endpoints_error": party.endpoints_error,
        "response_url_hosts": list(party.response_url_hosts),
        "allowed_callback_hosts": sorted(allowed_hosts(party)),
        "allow_private_callbacks": party.allow_private_callbacks,
        "steer": party.ownership.steer,
        "emsps": list(party.ownership.emsps),
    }


def _handshake_failed(exc: OcpiError) -> web.HTTPException:
    """409 when the partner is already registered; 502 (with the OCPI code) when they failed us."""
    error = web.HTTPConflict if isinstance(exc, MethodNotAllowed) else web.HTTPBadGateway
    return error(text=json.dumps({"error": exc.message, "status_code": exc.status_code}), content_type=JSON)


async def list_parties(request: web.Request) -> web.Response:
    """``GET /admin/parties``: every partner, never a token."""
    require_admin(request)
    return web.json_response([party_json(p) for p in await request.app[PARTIES].all()])


async def invite_party(request: web.Request) -> web.Response:
    """``POST /admin/parties/invite``: a new token A for a partner to register with (201)."""
    require_admin(request)
    body = await read_body(request, InviteBody)
    directory = request.app[PARTIES]
    existing = await directory.get(f"{body.country_code}*{body.party_id}")
    if existing is not None and existing.registered:
        raise json_error(web.HTTPConflict, f"{existing.key} is already registered; remove it first")
    party, token_a = await directory.invite(
        body.country_code,
        body.party_id,
        body.role,
        ownership=OwnershipPolicy(
            steer=body.steer or "all", emsps=tuple(e.upper() for e in body.emsps or ())
        ),
        response_url_hosts=body.response_url_hosts or (),
        allow_private_callbacks=bool(body.allow_private_callbacks),
    )
    log.info("party_invited", party=party.key, role=party.role, steer=party.ownership.steer)
    answer = {
        "party": party_json(party),
        "token": token_a,
        "versions_url": versions_url(request.app[SETTINGS]),
    }
    return web.json_response(answer, status=201)


async def register_party(request: web.Request) -> web.Response:
    """``POST /admin/parties/register``: run the handshake from our side with their token A (201)."""
    require_admin(request)
    body = await read_body(request, RegisterBody)
    try:
        party = await register_with(
            request.app[HTTP_CLIENT],
            request.app[PARTIES],
            request.app[SETTINGS],
            body.versions_url,
            body.token,
            ownership=OwnershipPolicy(
                steer=body.steer or "all", emsps=tuple(e.upper() for e in body.emsps or ())
            ),
            response_url_hosts=tuple(h.lower() for h in body.response_url_hosts or ()),
            allow_private_callbacks=bool(body.allow_private_callbacks),
        )
    except OcpiError as exc:
        log.info("party_registration_failed", status_code=exc.status_code, reason=exc.message)
        raise _handshake_failed(exc) from None
    log.info("party_registered_with", party=party.key, role=party.role)
    return web.json_response(party_json(party), status=201)


async def _known(request: web.Request) -> PartyRecord:
    key = request.match_info["key"].upper()
    party = await request.app[PARTIES].get(key)
    if party is None:
        raise json_error(web.HTTPNotFound, f"unknown partner {key}")
    return party


async def update_party(request: web.Request) -> web.Response:
    """``PATCH /admin/parties/{key}``: change ownership policy or callback rules."""
    require_admin(request)
    party = await _known(request)
    body = await read_body(request, PolicyBody)
    updated = body.apply(party)
    await request.app[PARTIES].put(updated)
    log.info("party_updated_by_admin", party=updated.key, steer=updated.ownership.steer)
    return web.json_response(party_json(updated))


async def remove_party(request: web.Request) -> web.Response:
    """``DELETE /admin/parties/{key}``: unregister at the partner (best effort), then forget it."""
    require_admin(request)
    party = await _known(request)
    remote = await unregister_with(request.app[HTTP_CLIENT], party)
    await request.app[PARTIES].remove(party.key)
    log.info("party_removed", party=party.key, unregistered_at_partner=remote)
    return web.json_response({"removed": party_json(party), "unregistered_at_partner": remote})


async def refresh_endpoints(request: web.Request) -> web.Response:
    """``POST /admin/parties/{key}/endpoints``: read the partner's version details again, now.

    200 with the partner as stored: its endpoints when the read worked, else the endpoints it
    had and ``endpoints_error`` saying why (an unreachable partner is not the operator's error).
    """
    require_admin(request)
    party = await _known(request)
    if not party.versions_url or not party.their_token:
        raise json_error(web.HTTPConflict, f"{party.key} has no versions_url and token to read them with")
    stored = await request.app[ENDPOINTS].refresh(party.key)
    return web.json_response(party_json(stored or party))


def setup_party_routes(app: web.Application) -> None:
    """Add ``/admin/parties``, ``/admin/parties/invite``, ``/admin/parties/register`` and ``/{key}``."""
    app.router.add_get("/admin/parties", list_parties)
    app.router.add_post("/admin/parties/invite", invite_party)
    app.router.add_post("/admin/parties/register", register_party)
    party = app.router.add_resource("/admin/parties/{key}")
    party.add_route("PATCH", update_party)
    party.add_route("DELETE", remove_party)
    app.router.add_post("/admin/parties/{key}/endpoints", refresh_endpoints)
