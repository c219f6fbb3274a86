"""Calls to partners: async results to ``response_url``, and pushes to their module endpoints.

OCPI itself does not retry, but the gateway promises exactly one terminal result before the
announced ``timeout``: transient failures (network, timeouts, 5xx) are retried with
exponential back-off, never past the deadline. A 3xx or 4xx is the sender's final word and
ends delivery at once; redirects are not followed, so a result never goes to a host the
sender did not name. The same rules carry ActiveChargingProfile PUTs and Sessions PUT/PATCH
(:meth:`ResultDelivery.send`).

The POSTs go through one ``aiohttp.ClientSession`` that this class owns (opened on first use,
closed by :meth:`ResultDelivery.close`), not through the shared ``httpx`` client the handshake
uses: a callback is the one HTTP request of every flow, and measured on the same POST httpx
with httpcore costs about 3 ms of CPU where aiohttp's client costs about 0.25 ms
(``docs/benchmarks.md``). Library errors are turned into ours (:class:`CallbackUrlInvalid`,
:class:`CallbackTransportError`) here, so nothing else depends on the client library.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import ssl
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import certifi
import structlog

from ocpi_gateway.config import Settings
from ocpi_gateway.errors import (
    CallbackHostUnresolved,
    CallbackRefused,
    CallbackTransportError,
    CallbackUrlInvalid,
)
from ocpi_gateway.metrics import counted_callback, timed_callback_attempt
from ocpi_gateway.partners.callbacks import CallbackCheck
from ocpi_gateway.partners.parties import Party, encode_token

log = structlog.get_logger(__name__)

JITTER = 0.1


def safe_url(url: str) -> str:
    """The URL for logs: scheme, host, port and path; no user info, query or fragment."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(invalid url)"
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Verify partners against certifi's CA bundle, the one the httpx client (handshake) uses,
    so every call to a partner trusts the same authorities, whatever the host's store holds."""
    return ssl.create_default_context(cafile=certifi.where())


class ResultDelivery:
    """POSTs result objects to partners' response URLs on one shared HTTP client."""

    def __init__(
        self,
        settings: Settings,
        guard: CallbackCheck | None = None,
        endpoint_guard: CallbackCheck | None = None,
    ) -> None:
        """``guard`` (``callbacks.check_callback_url`` in the app) vets a ``response_url`` before
        each attempt; ``endpoint_guard`` (``callbacks.check_endpoint_url``) vets a URL from the
        partner's own version details (their host need not be a callback host)."""
        self._settings = settings
        self._guard = guard
        self._endpoint_guard = endpoint_guard
        self._session: aiohttp.ClientSession | None = None
        # Thousands of results may be due at once (a station fleet reconnecting); a bounded
        # number in flight keeps sockets, memory and the partner's load in check.
        self._in_flight = asyncio.Semaphore(settings.delivery.max_in_flight)

    def _http(self) -> aiohttp.ClientSession:
        """The shared session, opened inside the running loop on first use."""
        if self._session is None or self._session.closed:
            limit = self._settings.delivery.max_in_flight
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=limit, limit_per_host=limit, ssl=_tls_context()),
                # No cookies between partners, no proxy settings read from the environment.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                auto_decompress=True,
            )
        return self._session

    async def close(self) -> None:
        """Close the HTTP session (on app cleanup)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _headers(self, party: Party, correlation_id: str) -> dict[str, str]:
        ours = self._settings.ocpi
        return {
            "Authorization": encode_token(party.their_token or ""),
            "Content-Type": "application/json",
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": correlation_id,
            "OCPI-from-country-code": ours.country_code.upper(),
            "OCPI-from-party-id": ours.party_id.upper(),
            "OCPI-to-country-code": party.country_code,
            "OCPI-to-party-id": party.party_id,
        }

    @timed_callback_attempt
    async def _attempt(
        self, method: str, url: str, content: bytes, headers: dict[str, str], time_limit: float
    ) -> tuple[int, bytes]:
        """One request; returns the status and at most ``max_response_bytes`` of the answer.

        Raises:
            CallbackUrlInvalid: the URL cannot be requested at all (retrying cannot help).
            CallbackTransportError: connect, send, receive or the time limit failed.
        """
        limit = self._settings.delivery.max_response_bytes
        try:
            async with self._http().request(
                method,
                url,
                data=content,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=time_limit),
                allow_redirects=False,
            ) as response:
                body = bytearray()
                async for chunk in response.content.iter_any():
                    body += chunk
                    if len(body) >= limit:
                        break
                return response.status, bytes(body[:limit])
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as exc:
            raise CallbackUrlInvalid(type(exc).__name__) from exc
        except TimeoutError as exc:
            raise CallbackTransportError("timeout") from exc
        except aiohttp.ClientError as exc:
            raise CallbackTransportError(type(exc).__name__) from exc

    @counted_callback
    async def post_result(
        self,
        party: Party,
        url: str,
        body: dict[str, Any],
        *,
        correlation_id: str,
        deadline: float,
        request_id: str | None = None,
    ) -> bool:
        """POST ``body`` to ``url`` until a 2xx, a final refusal, or ``deadline`` (epoch seconds).

        Args:
            party: the partner; its ``their_token`` authorises the call.
            url: the request's ``response_url``.
            body: the result object (``ChargingProfileResult`` & co.) as a JSON dict.
            correlation_id: the originating request's X-Correlation-ID, kept across the chain.
            deadline: no attempt starts, and no back-off sleeps, past this time.
            request_id: the originating request's X-Request-ID, for the logs only: each POST
                is a new request and gets a fresh X-Request-ID.

        Returns:
            True when the sender answered 2xx (whatever OCPI status its body holds).
        """
        return await self.send(
            party, "POST", url, body, correlation_id=correlation_id, deadline=deadline, request_id=request_id
        )

    async def send(
        self,
        party: Party,
        method: str,
        url: str,
        body: dict[str, Any],
        *,
        correlation_id: str,
        deadline: float,
        request_id: str | None = None,
        endpoint: bool = False,
    ) -> bool:
        """``method`` (POST, PUT, PATCH) ``body`` to ``url`` with the result rules above.

        Args:
            endpoint: ``url`` comes from the partner's version details (a push), not from
                a request's ``response_url``: vetted by the endpoint guard instead.

        Returns:
            True when the partner answered 2xx.
        """
        settings = self._settings.delivery
        content = json.dumps(body).encode()
        guard = self._endpoint_guard if endpoint else self._guard
        logged = {
            "url": safe_url(url),
            "party": party.key,
            "origin_request_id": request_id,
            "method": method,
        }
        if party.their_token is None:
            log.warning("callback_failed", **logged, attempt=0, reason="party has no token for us to use")
            return False
        backoff = settings.backoff_initial
        attempt = 0
        while True:
            left = deadline - time.time()
            if left <= 0:
                log.warning("callback_failed", **logged, attempt=attempt, reason="deadline passed")
                return False
            attempt += 1
            headers = self._headers(party, correlation_id)
            try:
                if guard is not None:  # again before every attempt: DNS may have changed
                    await guard(party, url)
                async with self._in_flight:
                    left = deadline - time.time()
                    status, answer = await self._attempt(
                        method, url, content, headers, max(0.1, min(settings.request_timeout, left))
                    )
            except CallbackHostUnresolved:
                status, reason = 0, "host unresolved"
            except CallbackRefused as exc:
                log.warning("callback_failed", **logged, attempt=attempt, reason=exc.reason)
                return False
            except CallbackUrlInvalid as exc:
                # Retrying cannot fix the URL itself.
                log.warning("callback_failed", **logged, attempt=attempt, reason=exc.reason)
                return False
            except CallbackTransportError as exc:
                status, reason = 0, exc.reason
            else:
                if 200 <= status < 300:
                    self._log_delivered(logged, attempt, status, answer)
                    return True
                if status < 500:
                    log.warning("callback_failed", **logged, attempt=attempt, status=status, reason="refused")
                    return False
                reason = "server error"
            pause = min(backoff, settings.backoff_max) * (1 + random.uniform(0, JITTER))
            if time.time() + pause >= deadline:
                log.warning("callback_failed", **logged, attempt=attempt, status=status, reason=reason)
                return False
            log.info("callback_retry", **logged, attempt=attempt, status=status, reason=reason, pause=pause)
            await asyncio.sleep(pause)
            backoff = min(backoff * 2, settings.backoff_max)

    @staticmethod
    def _log_delivered(logged: dict[str, Any], attempt: int, status: int, answer: bytes) -> None:
        """Delivered; an OCPI error status in the sender's envelope is noted, not retried."""
        ocpi_status: int | None = None
        try:
            parsed = json.loads(answer)
        except (ValueError, UnicodeDecodeError):
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("status_code"), int):
            ocpi_status = parsed["status_code"]
        if ocpi_status is not None and not 1000 <= ocpi_status < 2000:
            log.warning(
                "callback_delivered", **logged, attempt=attempt, status=status, ocpi_status=ocpi_status
            )
        else:
            log.info("callback_delivered", **logged, attempt=attempt, status=status, ocpi_status=ocpi_status)
