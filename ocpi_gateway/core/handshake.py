"""The client side of the OCPI credentials handshake: what we send a partner and how we read it.

Both directions of the handshake use it. When a partner registers with us (credentials
POST/PUT) we read *their* versions and 2.2.1 details with the token they just gave us; when
we register with a partner (``ocpi-gateway parties register``) we read their versions and
details with their token A, then POST our credentials to their credentials endpoint.

Every call goes through the shared ``httpx.AsyncClient`` (redirects off), with the partner's
token Base64-encoded, fresh X-Request-ID / X-Correlation-ID and no routing headers (OCPI: not
for versions or credentials). Partner URLs are vetted by ``callbacks.check_address`` first,
and answers are read up to :data:`MAX_ANSWER_BYTES`. Failures become the OCPI errors the spec
names: 3001 (their API unusable), 3002 (no 2.2.1), 3003 (endpoints we need are missing).
Nothing here logs or raises with a token in the message.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ocpi_gateway.backend.parties import DEFAULT_POLICY, Endpoint, OwnershipPolicy, PartyRecord
from ocpi_gateway.config import ROLE_PATTERN, Settings, token_digest
from ocpi_gateway.delivery.client import safe_url
from ocpi_gateway.errors import (
    CallbackRefused,
    ClientApiUnusable,
    MethodNotAllowed,
    NoMatchingEndpoints,
    OcpiError,
    UnsupportedVersion,
)
from ocpi_gateway.models.ocpi import VERSION, versions_url
from ocpi_gateway.partners.callbacks import check_address
from ocpi_gateway.partners.parties import PartyDirectory, encode_token, new_token
from ocpi_gateway.timeutil import utcnow

MAX_ANSWER_BYTES = 1 << 20
# What a partner must publish in its 2.2.1 details: credentials (to rotate and unregister) and
# the chargingprofiles SENDER interface (the target of ActiveChargingProfile PUTs, which a CPO
# SHALL send). sessions RECEIVER is stored when present but optional.
REQUIRED_ENDPOINTS: tuple[tuple[str, str | None], ...] = (
    ("credentials", None),
    ("chargingprofiles", "SENDER"),
)
# OCPI 2.2.1-d2: a token is printable ASCII without whitespace, at most 64 characters.
TOKEN_PATTERN = r"^[\x21-\x7e]{1,64}$"  # noqa: S105  # a pattern, not a secret


class BusinessDetails(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=100)
    website: str | None = None


class CredentialsRole(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str = Field(pattern=ROLE_PATTERN)
    business_details: BusinessDetails
    party_id: str = Field(min_length=3, max_length=3)
    country_code: str = Field(min_length=2, max_length=2)


class Credentials(BaseModel):
    """The OCPI Credentials object (token stored raw, never Base64)."""

    model_config = ConfigDict(extra="ignore")

    token: str = Field(pattern=TOKEN_PATTERN)
    url: str = Field(min_length=1, max_length=255, pattern=r"^https?://")
    roles: list[CredentialsRole] = Field(min_length=1)

    def role_for(self, key: str | None) -> CredentialsRole:
        """The role entry naming ``key`` (``CC*PID``), else the first one."""
        for role in self.roles:
            if f"{role.country_code}*{role.party_id}".upper() == key:
                return role
        return self.roles[0]


def our_credentials(settings: Settings, token: str) -> dict[str, Any]:
    """Our Credentials object: ``token`` for the partner to call us with, our versions URL, role CPO."""
    role = {
        "role": "CPO",
        "party_id": settings.ocpi.party_id.upper(),
        "country_code": settings.ocpi.country_code.upper(),
        "business_details": {"name": settings.ocpi.business_name},
    }
    return {"token": token, "url": versions_url(settings), "roles": [role]}


def registered_record(
    base: PartyRecord,
    theirs: Credentials,
    endpoints: tuple[Endpoint, ...],
    our_token: str,
) -> PartyRecord:
    """``base`` after a successful handshake: their token and endpoints, our new token's digest.

    Keeps the operator's settings (allowed hosts, private-callback flag, ownership policy).
    """
    role = theirs.role_for(base.key)
    return base.model_copy(
        update={
            "role": role.role.upper(),
            "business_name": role.business_details.name,
            "token_digest": token_digest(our_token),
            "their_token": theirs.token,
            "versions_url": theirs.url,
            "endpoints": endpoints,
            "endpoints_read_at": utcnow(),
            "endpoints_error": None,
            "status": "registered",
            "source": "handshake",
        }
    )


def _headers(token: str) -> dict[str, str]:
    return {
        "Authorization": encode_token(token),
        "X-Request-ID": str(uuid.uuid4()),
        "X-Correlation-ID": str(uuid.uuid4()),
    }


class HandshakeClient:
    """Calls one partner's versions, details and credentials endpoints."""

    def __init__(self, client: httpx.AsyncClient, *, allow_private: bool = False) -> None:
        self._client = client
        self._allow_private = allow_private

    async def _call(
        self, method: Literal["GET", "POST", "PUT", "DELETE"], url: str, token: str, body: Any = None
    ) -> Any:
        """One call; the envelope's ``data`` when the partner answered 2xx with status 1xxx.

        Raises:
            ClientApiUnusable: refused URL, network error, redirect, HTTP or OCPI error, bad JSON.
        """
        what = f"{method} {safe_url(url)}"
        try:
            await check_address(url, self._allow_private)
        except CallbackRefused as exc:
            raise ClientApiUnusable(f"{what}: {exc.reason}") from None
        content = json.dumps(body).encode() if body is not None else None
        headers = _headers(token)
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with self._client.stream(
                method, url, content=content, headers=headers, follow_redirects=False
            ) as response:
                raw = bytearray()
                async for chunk in response.aiter_bytes():
                    raw += chunk
                    if len(raw) > MAX_ANSWER_BYTES:
                        raise ClientApiUnusable(f"{what}: answer larger than {MAX_ANSWER_BYTES} bytes")
                status = response.status_code
        except httpx.HTTPError as exc:
            raise ClientApiUnusable(f"{what}: {type(exc).__name__}") from None
        if not 200 <= status < 300:
            raise ClientApiUnusable(f"{what}: HTTP {status}")
        try:
            envelope = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ClientApiUnusable(f"{what}: answer is not JSON") from None
        code = envelope.get("status_code") if isinstance(envelope, dict) else None
        if not isinstance(code, int) or not 1000 <= code < 2000:
            raise ClientApiUnusable(f"{what}: OCPI status {code}")
        return envelope.get("data")

    async def discover(
        self,
        versions_url: str,
        token: str,
        required: tuple[tuple[str, str | None], ...] = REQUIRED_ENDPOINTS,
    ) -> tuple[Endpoint, ...]:
        """Their 2.2.1 endpoints, read from ``versions_url`` with ``token``.

        ``required``: the endpoints without which the answer is refused (the handshake needs
        ``credentials`` and ``chargingprofiles``; a re-read of a known partner needs none).

        Raises:
            ClientApiUnusable: 3001, a call failed.
            UnsupportedVersion: 3002, they do not offer 2.2.1.
            NoMatchingEndpoints: 3003, a required endpoint is missing.
        """
        versions = await self._call("GET", versions_url, token)
        if not isinstance(versions, list):
            raise ClientApiUnusable("versions: data is not a list")
        details_url = next(
            (v.get("url") for v in versions if isinstance(v, dict) and v.get("version") == VERSION), None
        )
        if not isinstance(details_url, str):
            offered = sorted(str(v.get("version")) for v in versions if isinstance(v, dict))
            raise UnsupportedVersion(f"no OCPI {VERSION} among the partner's versions {offered}")
        details = await self._call("GET", details_url, token)
        try:
            endpoints = tuple(Endpoint.model_validate(e) for e in details["endpoints"])
        except (KeyError, TypeError, ValidationError):
            raise ClientApiUnusable(f"{VERSION} details: no valid endpoints list") from None
        for identifier, role in required:
            if not any(e.identifier == identifier and role in (None, e.role.upper()) for e in endpoints):
                named = f"{identifier} {role}" if role else identifier
                raise NoMatchingEndpoints(f"the partner's {VERSION} details lack the {named} endpoint")
        return endpoints

    async def get_credentials(self, credentials_url: str, token: str) -> Credentials:
        """GET their credentials object (who they are), e.g. with their token A."""
        return self._credentials(await self._call("GET", credentials_url, token))

    async def send_credentials(
        self, method: Literal["POST", "PUT"], credentials_url: str, token: str, ours: dict[str, Any]
    ) -> Credentials:
        """POST (register) or PUT (update) our credentials; returns theirs from the answer."""
        return self._credentials(await self._call(method, credentials_url, token, ours))

    async def delete_credentials(self, credentials_url: str, token: str) -> None:
        """DELETE: unregister with them."""
        await self._call("DELETE", credentials_url, token)

    @staticmethod
    def _credentials(data: Any) -> Credentials:
        try:
            return Credentials.model_validate(data)
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"]) or "(data)" for e in exc.errors()})
            raise ClientApiUnusable(f"the partner's credentials are invalid: {', '.join(fields)}") from None


async def register_with(
    client: httpx.AsyncClient,
    directory: PartyDirectory,
    settings: Settings,
    versions_url: str,
    token_a: str,
    *,
    ownership: OwnershipPolicy = DEFAULT_POLICY,
    response_url_hosts: tuple[str, ...] = (),
    allow_private_callbacks: bool = False,
) -> PartyRecord:
    """Run the handshake from our side with the token A a partner gave us; returns the record.

    We read their versions, details and credentials (who they are) with token A, store them
    as ``invited`` holding our new token B (they may call our versions with it while handling
    our POST), POST our credentials, and store their token C. A failure restores what was
    stored before.

    Raises:
        MethodNotAllowed: that partner is already registered (remove it first).
        ClientApiUnusable / UnsupportedVersion / NoMatchingEndpoints: 3001 / 3002 / 3003.
    """
    partner = HandshakeClient(client, allow_private=allow_private_callbacks)
    endpoints = await partner.discover(versions_url, token_a)
    credentials_url = next(e.url for e in endpoints if e.identifier == "credentials")
    who = (await partner.get_credentials(credentials_url, token_a)).role_for(None)
    key = f"{who.country_code}*{who.party_id}".upper()
    previous = await directory.get(key)
    if previous is not None and previous.registered:
        raise MethodNotAllowed(f"{key} is already registered; remove it first")
    token_b = new_token()
    pending = PartyRecord(
        country_code=who.country_code.upper(),
        party_id=who.party_id.upper(),
        role=who.role.upper(),
        token_digest=token_digest(token_b),
        versions_url=versions_url,
        endpoints=endpoints,
        response_url_hosts=response_url_hosts,
        allow_private_callbacks=allow_private_callbacks,
        ownership=ownership,
        status="invited",
        source="admin",
    )
    await directory.put(pending)
    try:
        theirs = await partner.send_credentials(
            "POST", credentials_url, token_a, our_credentials(settings, token_b)
        )
    except BaseException:
        if previous is not None:
            await directory.put(previous)
        else:
            await directory.remove(key)
        raise
    record = registered_record(pending, theirs, endpoints, token_b)
    await directory.put(record)
    return record


async def unregister_with(client: httpx.AsyncClient, party: PartyRecord) -> bool:
    """DELETE our registration at the partner; False when it failed or was not possible."""
    url = party.endpoint("credentials")
    if not party.registered or party.their_token is None or url is None:
        return False
    try:
        await HandshakeClient(client, allow_private=party.allow_private_callbacks).delete_credentials(
            url, party.their_token
        )
    except OcpiError:
        return False
    return True
