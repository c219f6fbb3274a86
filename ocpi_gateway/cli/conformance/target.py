"""The CPO under test, as an SCSP sees it: its endpoints, and every call made to it, kept as evidence.

Each call carries what a real SCSP sends (``Authorization: Token <base64>``, fresh
X-Request-ID and X-Correlation-ID, OCPI routing headers) unless a check asks otherwise, and is
recorded as an :class:`Exchange` (what was sent, what came back, how long it took), which the
checks judge and the reports show.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from ocpi_gateway.models.ocpi import VERSION
from ocpi_gateway.partners.parties import encode_token


class Unreachable(Exception):
    """The CPO's versions endpoint cannot be reached at all (exit 2, not a failed check)."""


@dataclass(slots=True)
class Exchange:
    """One request to the CPO and its answer."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any
    status: int | None = None
    answer: Any = None
    seconds: float = 0.0
    error: str | None = None

    def evidence(self) -> dict[str, Any]:
        return {
            "request": {"method": self.method, "url": self.url, "headers": self.headers, "body": self.body},
            "answer": {"status": self.status, "body": self.answer, "error": self.error},
            "seconds": round(self.seconds, 3),
        }

    @property
    def data(self) -> Any:
        return self.answer.get("data") if isinstance(self.answer, dict) else None


@dataclass(slots=True)
class Party:
    """``CC*PID`` split for the routing headers."""

    country_code: str
    party_id: str

    @classmethod
    def parse(cls, key: str) -> Party:
        country, _, party = key.partition("*")
        if len(country) != 2 or len(party) != 3:
            raise ValueError(f"a party is CC*PID (e.g. NL*SCS), got {key!r}")
        return cls(country.upper(), party.upper())


@dataclass(slots=True)
class Cpo:
    """Calls to one CPO with token C; ``exchanges`` keeps them all, in order."""

    client: httpx.AsyncClient
    token: str
    us: Party
    them: Party | None = None
    profiles_url: str = ""
    exchanges: list[Exchange] = field(default_factory=list)

    def headers(self, token: str | None = "", **extra: str) -> dict[str, str]:
        """The headers of an SCSP request; ``token=None`` sends no Authorization at all."""
        out = {"X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
        if token is not None:
            out["Authorization"] = encode_token(token or self.token)
        out["OCPI-from-country-code"], out["OCPI-from-party-id"] = self.us.country_code, self.us.party_id
        if self.them is not None:
            out["OCPI-to-country-code"], out["OCPI-to-party-id"] = self.them.country_code, self.them.party_id
        out.update(extra)
        return out

    async def call(
        self, method: str, url: str, body: Any = None, *, headers: dict[str, str] | None = None, raw: str = ""
    ) -> Exchange:
        """One request; network errors are recorded on the exchange, never raised."""
        sent = headers if headers is not None else self.headers()
        exchange = Exchange(method, url, dict(sent), raw or body)
        content = raw.encode() if raw else (json.dumps(body).encode() if body is not None else None)
        if content is not None:
            sent = {**sent, "Content-Type": "application/json"}
        started = time.monotonic()
        try:
            response = await self.client.request(method, url, content=content, headers=sent)
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
        else:
            exchange.status = response.status_code
            try:
                exchange.answer = response.json()
            except ValueError:
                exchange.answer = response.text[:500]
        exchange.seconds = time.monotonic() - started
        self.exchanges.append(exchange)
        return exchange

    async def discover(self, versions_url: str) -> tuple[Exchange, Exchange | None]:
        """Versions, then the 2.2.1 details; ``profiles_url`` set when a chargingprofiles RECEIVER is listed.

        Raises:
            Unreachable: the versions endpoint gave no HTTP answer at all.
        """
        versions = await self.call("GET", versions_url)
        if versions.status is None:
            raise Unreachable(f"{versions_url}: {versions.error}")
        entries = versions.data if isinstance(versions.data, list) else []
        url = next(
            (v.get("url") for v in entries if isinstance(v, dict) and v.get("version") == VERSION), None
        )
        if not isinstance(url, str):
            return versions, None
        details = await self.call("GET", url)
        endpoints = details.data.get("endpoints", []) if isinstance(details.data, dict) else []
        for endpoint in endpoints if isinstance(endpoints, list) else []:
            if (
                isinstance(endpoint, dict)
                and endpoint.get("identifier") == "chargingprofiles"
                and str(endpoint.get("role", "")).upper() == "RECEIVER"
            ):
                self.profiles_url = str(endpoint.get("url", "")).rstrip("/")
        return versions, details

    def profile_url(self, session_id: str, **query: str) -> str:
        """``{chargingprofiles}/{session_id}`` with a query (``response_url``, ``duration``)."""
        url = httpx.URL(f"{self.profiles_url}/{session_id}")
        return str(url.copy_merge_params(query)) if query else str(url)
