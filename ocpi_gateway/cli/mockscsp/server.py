"""A real SCSP stand-in over HTTP: records what the gateway sends it and answers like an SCSP.

It receives result POSTs (any path, typically ``/results/<tag>``), ActiveChargingProfile
PUTs on ``/ocpi/2.2.1/chargingprofiles/{session_id}`` and Sessions PUT/PATCH, each checked
against the token the gateway must use (Base64 or raw), recorded, printed, and answered
with the OCPI envelope ``{"status_code": 1000, "timestamp": ...}`` (no ``data``).
It publishes its own versions and version details so the gateway can discover it, and
fails on request (HTTP 500 or a dropped connection) to exercise the gateway's retries.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web
from multidict import CIMultiDict

from ocpi_gateway.cli.mockscsp import client
from ocpi_gateway.cli.mockscsp.control import SendControl
from ocpi_gateway.cli.mockscsp.credentials import VERSION, MockCredentials, envelope
from ocpi_gateway.partners.parties import token_candidates

DROP = 0  # a failure "status" meaning: close the connection without an answer

# The development tokens of config/gateway.toml, so `make run` + `mock-scsp` talk at once.
DEV_GATEWAY_TOKEN = "dev-gateway-token-b"  # noqa: S105  # public development value
DEV_SCSP_TOKEN = "dev-scsp-token-c"  # noqa: S105  # public development value


@dataclass(slots=True)
class Received:
    """One message the mock SCSP got; ``status`` is the HTTP status it answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: Any
    at: float
    status: int = 200

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": dict(self.headers),
            "body": self.body,
            "at": self.at,
            "status": self.status,
        }


@dataclass(slots=True)
class _Waiters:
    """Futures woken whenever a message is recorded."""

    futures: list[asyncio.Future[None]] = field(default_factory=list)

    def wake(self) -> None:
        for future in self.futures:
            if not future.done():
                future.set_result(None)
        self.futures.clear()

    def add(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return future


class MockScsp:
    """An aiohttp SCSP on a real socket; ``received`` holds every recorded message."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEV_GATEWAY_TOKEN,
        our_token: str = DEV_SCSP_TOKEN,
        country_code: str = "NL",
        party_id: str = "SCS",
        quiet: bool = False,
        gateway_url: str = "http://127.0.0.1:8080",
    ) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.our_token = our_token
        self.country_code = country_code
        self.party_id = party_id
        self.quiet = quiet
        self.gateway_url = gateway_url
        self.base_url = ""
        self.received: list[Received] = []
        self._failures: deque[int] = deque()
        self._failing_methods: frozenset[str] = frozenset({"POST"})
        self._waiters = _Waiters()
        self._runner: web.AppRunner | None = None
        self._client: httpx.AsyncClient | None = None
        self._tag = 0
        # Handshake state and failure knobs (see mockscsp/credentials.py).
        self.credentials = MockCredentials(self)
        self.unregistered = False
        self.versions_status = 200
        self.published_versions: list[str] = [VERSION]
        self.omitted_endpoints: set[str] = set()

    # --- lifecycle ------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        self.credentials.routes(app)
        app.router.add_get("/_received", self._dump)
        SendControl(self).routes(app)
        app.router.add_route("*", "/{tail:.*}", self._record)
        return app

    async def start(self) -> None:
        """Listen (``port=0`` picks a free one) and set ``base_url``."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.base_url = f"http://{self.host}:{self.port}"
        self._client = httpx.AsyncClient(timeout=30.0)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- what tests use --------------------------------------------------------------

    def result_url(self, tag: str | None = None) -> str:
        """A callback URL ``{base_url}/results/{tag}``; a numbered tag when none is given."""
        if tag is None:
            self._tag += 1
            tag = f"r{self._tag}"
        return f"{self.base_url}/results/{tag}"

    def fail_next(self, count: int, status: int = 500, methods: tuple[str, ...] = ("POST",)) -> None:
        """Answer the next ``count`` POSTs (or ``methods``, e.g. pushed PUTs) with HTTP ``status``
        (0 = drop the connection)."""
        self._failures.extend([status] * count)
        self._failing_methods = frozenset(m.upper() for m in methods)

    def drop_next(self, count: int) -> None:
        """Close the connection, without an answer, on the next ``count`` POSTs."""
        self.fail_next(count, DROP)

    async def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 10.0) -> Received:  # API
        """The first *accepted* (HTTP 2xx) message matching ``predicate``, waiting if needed.

        Failed ones (injected failures, bad tokens) stay in ``received`` with their status
        but are skipped here: a test waits for what was delivered.

        Raises:
            TimeoutError: nothing matched within ``timeout`` seconds.
        """
        checked = 0
        async with asyncio.timeout(timeout):
            while True:
                for item in self.received[checked:]:
                    if item.status < 300 and predicate(item):
                        return item
                checked = len(self.received)
                await self._waiters.add()

    # --- OCPI client side -------------------------------------------------------------

    def http(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("MockScsp.start() first: the HTTP client is made there")
        return self._client

    def _route(self) -> client.Route:
        return client.Route(from_country_code=self.country_code, from_party_id=self.party_id)

    async def put_profile(
        self, gateway_base: str, token: str, session_id: str, profile: dict[str, Any], response_url: str
    ) -> dict[str, Any]:
        """PUT a profile on the gateway; returns its JSON answer."""
        return await client.put_profile(
            self.http(), gateway_base, token, session_id, profile, response_url, self._route()
        )

    async def get_profile(
        self, gateway_base: str, token: str, session_id: str, duration: int, response_url: str
    ) -> dict[str, Any]:
        """GET the active profile from the gateway; returns its JSON answer."""
        return await client.get_profile(
            self.http(), gateway_base, token, session_id, duration, response_url, self._route()
        )

    async def delete_profile(
        self, gateway_base: str, token: str, session_id: str, response_url: str
    ) -> dict[str, Any]:
        """DELETE the profile on the gateway; returns its JSON answer."""
        return await client.delete_profile(
            self.http(), gateway_base, token, session_id, response_url, self._route()
        )

    # --- HTTP handlers ---------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        return self.token in token_candidates(request.headers.get("Authorization"))

    async def _dump(self, request: web.Request) -> web.Response:
        """Every record, or those from index ``?since=N`` on (a poller fetches only what is new)."""
        try:
            since = max(0, int(request.query.get("since", "0")))
        except ValueError:
            raise web.HTTPBadRequest(text="since must be an integer") from None
        return web.json_response([item.as_json() for item in self.received[since:]])

    async def _record(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", errors="replace")
        status = 200
        if not self._authorised(request):
            status = 401
        elif request.method in self._failing_methods and self._failures:
            status = self._failures.popleft()
        item = Received(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=CIMultiDict(request.headers),
            body=body,
            at=time.time(),
            status=status,
        )
        self.received.append(item)
        self._print(item)
        self._waiters.wake()
        if status == DROP:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)  # never sent: the connection is gone
        headers = {k: v for k in ("X-Request-ID", "X-Correlation-ID") if (v := request.headers.get(k))}
        if status >= 300:
            failed = envelope(
                status_code=3000 if status >= 500 else 2000, message=f"mock SCSP answered {status}"
            )
            return web.json_response(failed, status=status, headers=headers)
        return web.json_response(envelope(), headers=headers)

    def _print(self, item: Received) -> None:
        if self.quiet:
            return
        query = "?" + "&".join(f"{k}={v}" for k, v in item.query.items()) if item.query else ""
        body = json.dumps(item.body, separators=(",", ":")) if item.body is not None else ""
        stamp = time.strftime("%H:%M:%S", time.localtime(item.at))
        print(f"{stamp} {item.method} {item.path}{query} -> {item.status} {body}", flush=True)
