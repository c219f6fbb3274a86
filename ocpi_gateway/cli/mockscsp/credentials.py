"""The mock SCSP's discovery and credentials: it can take part in the OCPI handshake both ways.

* Registered *by* the gateway (``ocpi-gateway parties register``): :meth:`MockCredentials.invite`
  makes a token A; the gateway reads our versions and details with it and POSTs its
  credentials (its token B, which we then call it with). We read the gateway's versions and
  details with B, as a real SCSP would, and answer our credentials with a new token C, which
  the gateway must use from then on (token A is dead). PUT rotates, DELETE unregisters.
* Registering *with* the gateway (``ocpi-gateway parties invite``): :meth:`register_with` reads
  the gateway's versions and details with the token A it issued, POSTs our credentials (our new
  token B) and keeps the gateway's token C; :meth:`update_with` rotates with PUT and
  :meth:`unregister_with` sends DELETE.

Failure knobs on the owning :class:`~ocpi_gateway.cli.mockscsp.server.MockScsp`:
``versions_status`` (answer GET versions with that HTTP status), ``published_versions`` and
``omitted_endpoints`` (what discovery shows).
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol

import httpx
from aiohttp import web

from ocpi_gateway.partners.parties import encode_token, token_candidates
from ocpi_gateway.timeutil import format_utc, utcnow


class Owner(Protocol):
    """What the credentials side needs of its mock SCSP (a Protocol, so no import cycle with ``server``)."""

    token: str
    our_token: str
    country_code: str
    party_id: str
    base_url: str
    unregistered: bool
    versions_status: int
    published_versions: list[str]
    omitted_endpoints: set[str]

    def http(self) -> httpx.AsyncClient: ...


VERSION = "2.2.1"


def envelope(data: Any = None, status_code: int = 1000, message: str | None = None) -> dict[str, Any]:
    """An OCPI envelope; ``data`` left out when ``None``."""
    body: dict[str, Any] = {"status_code": status_code, "timestamp": format_utc(utcnow())}
    if data is not None:
        body["data"] = data
    if message is not None:
        body["status_message"] = message
    return body


def _unknown_token() -> web.Response:
    return web.json_response(envelope(status_code=2000, message="unknown token"), status=401)


def _data(response: httpx.Response) -> Any:
    """The ``data`` of a 2xx, status-1000 envelope, else an error naming what came back."""
    body = response.json() if response.content else {}
    if response.status_code >= 300 or body.get("status_code") != 1000:
        raise RuntimeError(f"the gateway answered HTTP {response.status_code}: {body}")
    return body.get("data")


class MockCredentials:
    """Versions, details and credentials of one :class:`MockScsp`, server and client side."""

    def __init__(self, scsp: Owner) -> None:
        self._scsp = scsp
        self.token_a: str | None = None
        self.gateway_endpoints: dict[str, str] = {}
        self.gateway_credentials_url: str | None = None

    def routes(self, app: web.Application) -> None:
        """Add versions, details and the credentials methods (with and without trailing slash)."""
        for suffix in ("", "/"):
            app.router.add_get(f"/ocpi/versions{suffix}", self.versions)
            app.router.add_get(f"/ocpi/{VERSION}{suffix}", self.details)
            credentials = app.router.add_resource(f"/ocpi/{VERSION}/credentials{suffix}")
            credentials.add_route("GET", self.get)
            credentials.add_route("POST", self.post)
            credentials.add_route("PUT", self.put)
            credentials.add_route("DELETE", self.delete)

    # --- server side ------------------------------------------------------------------

    def invite(self) -> str:
        """A fresh token A for the gateway to register with us (versions and credentials only)."""
        self.token_a = secrets.token_urlsafe(24)
        return self.token_a

    def _presented(self, request: web.Request) -> str | None:
        """Which of our tokens the request carries: ``"A"``, ``"current"`` or ``None``."""
        candidates = token_candidates(request.headers.get("Authorization"))
        if self._scsp.token in candidates:
            return "current"
        if self.token_a is not None and self.token_a in candidates:
            return "A"
        return None

    def our_credentials(self, token: str) -> dict[str, Any]:
        scsp = self._scsp
        role = {
            "role": "SCSP",
            "party_id": scsp.party_id,
            "country_code": scsp.country_code,
            "business_details": {"name": "ocpi-gateway mock SCSP"},
        }
        return {"token": token, "url": f"{scsp.base_url}/ocpi/versions", "roles": [role]}

    async def versions(self, request: web.Request) -> web.Response:
        if self._presented(request) is None:
            return _unknown_token()
        scsp = self._scsp
        if scsp.versions_status != 200:
            return web.json_response(
                envelope(status_code=3000, message="failing on purpose"), status=scsp.versions_status
            )
        data = [{"version": v, "url": f"{scsp.base_url}/ocpi/{v}"} for v in scsp.published_versions]
        return web.json_response(envelope(data))

    async def details(self, request: web.Request) -> web.Response:
        if self._presented(request) is None:
            return _unknown_token()
        base = f"{self._scsp.base_url}/ocpi/{VERSION}"
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": f"{base}/credentials"},
            {"identifier": "chargingprofiles", "role": "SENDER", "url": f"{base}/chargingprofiles"},
            {"identifier": "sessions", "role": "RECEIVER", "url": f"{base}/sessions"},
        ]
        shown = [e for e in endpoints if e["identifier"] not in self._scsp.omitted_endpoints]
        return web.json_response(envelope({"version": VERSION, "endpoints": shown}))

    async def get(self, request: web.Request) -> web.Response:
        presented = self._presented(request)
        if presented is None:
            return _unknown_token()
        token = self.token_a if presented == "A" and self.token_a else self._scsp.token
        return web.json_response(envelope(self.our_credentials(token)))

    async def post(self, request: web.Request) -> web.Response:
        """The gateway registers with us (token A): learn its endpoints, answer a new token C."""
        presented = self._presented(request)
        if presented is None:
            return _unknown_token()
        if presented == "current":
            return web.json_response(envelope(status_code=2000, message="already registered"), status=405)
        return await self._accept(request)

    async def put(self, request: web.Request) -> web.Response:
        """The gateway updates its credentials (token C): learn them again, rotate C."""
        if self._presented(request) != "current":
            return web.json_response(envelope(status_code=2000, message="not registered"), status=405)
        return await self._accept(request)

    async def delete(self, request: web.Request) -> web.Response:
        """The gateway unregisters: our token C for it stops working."""
        if self._presented(request) != "current":
            return web.json_response(envelope(status_code=2000, message="not registered"), status=405)
        self._scsp.token = secrets.token_urlsafe(24)  # nobody knows it: the old C is dead
        self._scsp.unregistered = True
        return web.json_response(envelope())

    async def _accept(self, request: web.Request) -> web.Response:
        body = await request.json()
        scsp = self._scsp
        scsp.our_token = body["token"]  # the gateway's token B: we call it with this
        await self._learn_gateway(body["url"], scsp.our_token)
        scsp.token = secrets.token_urlsafe(24)  # token C: the gateway calls us with this
        self.token_a = None
        scsp.unregistered = False
        return web.json_response(envelope(self.our_credentials(scsp.token)))

    async def _learn_gateway(self, versions_url: str, token: str) -> None:
        """GET the gateway's versions and 2.2.1 details with ``token``; keep its endpoints."""
        client = self._scsp.http()
        headers = {"Authorization": encode_token(token)}
        versions = _data(await client.get(versions_url, headers=headers))
        details_url = next(v["url"] for v in versions if v["version"] == VERSION)
        details = _data(await client.get(details_url, headers=headers))
        self.gateway_endpoints = {e["identifier"]: e["url"] for e in details["endpoints"]}
        self.gateway_credentials_url = self.gateway_endpoints["credentials"]

    # --- client side ------------------------------------------------------------------

    async def register_with(self, versions_url: str, token_a: str) -> dict[str, Any]:
        """Register with the gateway using the token A it issued; returns its credentials.

        Raises:
            RuntimeError: the gateway refused (its envelope is in the message).
        """
        await self._learn_gateway(versions_url, token_a)
        return await self._send("POST", token_a)

    async def update_with(self) -> dict[str, Any]:
        """PUT new credentials (a new token B for the gateway to use); keep its new token C."""
        return await self._send("PUT", self._scsp.our_token)

    async def unregister_with(self) -> httpx.Response:
        """DELETE our registration at the gateway (with our current token C)."""
        if self.gateway_credentials_url is None:
            raise RuntimeError("register_with() first: the gateway's credentials URL is learned there")
        headers = {"Authorization": encode_token(self._scsp.our_token)}
        return await self._scsp.http().delete(self.gateway_credentials_url, headers=headers)

    async def _send(self, method: str, token: str) -> dict[str, Any]:
        scsp = self._scsp
        if self.gateway_credentials_url is None:
            raise RuntimeError("register_with() first: the gateway's credentials URL is learned there")
        previous, scsp.token = scsp.token, secrets.token_urlsafe(24)  # our new token B
        try:
            response = await scsp.http().request(
                method,
                self.gateway_credentials_url,
                json=self.our_credentials(scsp.token),
                headers={"Authorization": encode_token(token)},
            )
            theirs: dict[str, Any] = _data(response)
        except BaseException:
            scsp.token = previous
            raise
        scsp.our_token = theirs["token"]
        return theirs
