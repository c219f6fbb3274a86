"""Learning a partner's endpoints, however it joined: the one place their version details are read.

A partner steered through the handshake told us its endpoints then; one configured in
``[[ocpi.parties]]`` (tokens exchanged by e-mail, as most CPOs set up Jedlix) or through the
admin API never did. Without its ``sessions`` RECEIVER and ``chargingprofiles`` SENDER URLs it
gets no Sessions and no ActiveChargingProfile pushes, so every registered partner with a
``versions_url`` has them read here, with ``their_token``:

* at start, in the background, for every partner whose endpoints are missing, retried with a
  growing pause (1 s … 60 s) until they answer, so a partner that was down at start is picked
  up soon after it comes back;
* when a push finds them missing or fails (404, connection error…): read again, at most once
  per :data:`MIN_REREAD_SECONDS` per partner, so a broken partner cannot make us hammer it;
* on demand (``POST /admin/parties/{key}/endpoints``).

The reads go through :class:`~ocpi_gateway.core.handshake.HandshakeClient`, so the rules of the
handshake apply unchanged: the partner's private-address setting, no redirects, bounded answers.
What was read, when, and the last error are stored on the partner record (``GET /admin/parties``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import structlog

from ocpi_gateway.backend.parties import Endpoint, PartyRecord
from ocpi_gateway.core.handshake import HandshakeClient
from ocpi_gateway.errors import BackendError, OcpiError
from ocpi_gateway.partners.parties import PartyDirectory
from ocpi_gateway.timeutil import utcnow

log = structlog.get_logger(__name__)

RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
MIN_REREAD_SECONDS = 60.0


def wants_endpoints(party: PartyRecord) -> bool:
    """A partner whose version details we can and should read: registered, with a versions URL."""
    return party.registered and bool(party.versions_url) and bool(party.their_token)


class PartnerEndpoints:
    """Reads partners' version details and keeps them on their records."""

    def __init__(
        self,
        parties: PartyDirectory,
        client: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        retry_seconds: tuple[float, ...] = RETRY_SECONDS,
    ) -> None:
        self._parties = parties
        self._client = client
        self._clock = clock
        self._retry = retry_seconds
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._last_read: dict[str, float] = {}

    async def refresh(self, key: str, *, only_if_missing: bool = False) -> PartyRecord | None:
        """Read one partner's endpoints now and store the outcome; the record as stored.

        ``None`` when the partner is unknown. A failed read keeps the endpoints already known
        (a partner's brief outage must not stop its pushes) and records the error.
        ``only_if_missing``: the start-up read, which leaves alone endpoints that arrived while
        it ran (a handshake, or another node's read).
        """
        party = await self._parties.get(key)
        if party is None or not party.versions_url or not party.their_token:
            return party
        self._last_read[party.key] = self._clock()
        reader = HandshakeClient(self._client, allow_private=party.allow_private_callbacks)
        try:
            endpoints = await reader.discover(party.versions_url, party.their_token, required=())
        except OcpiError as exc:
            update: dict[str, Any] = {"endpoints_error": exc.message}
            log.warning("partner_endpoints_unread", party=party.key, error=exc.message)
        else:
            update = {"endpoints": endpoints, "endpoints_read_at": utcnow(), "endpoints_error": None}
            log.info(
                "partner_endpoints_read",
                party=party.key,
                sessions=bool(_with(endpoints, "sessions", "RECEIVER")),
                chargingprofiles=bool(_with(endpoints, "chargingprofiles", "SENDER")),
            )
        current = await self._parties.get(party.key) or party  # a handshake may have run meanwhile
        if current.versions_url != party.versions_url or (only_if_missing and current.endpoints):
            return current
        stored = current.model_copy(update=update)
        await self._parties.put(stored)
        return stored

    def start(self) -> None:
        """Read, in the background, the endpoints of every partner that lacks them."""
        self._spawn("all", self._read_missing())

    def stale(self, key: str, reason: str) -> None:
        """A push found the endpoints missing or failed: read them again, unless that was just done."""
        last = self._last_read.get(key.upper())
        if last is not None and self._clock() - last < MIN_REREAD_SECONDS:
            return
        self._last_read[key.upper()] = self._clock()
        log.info("partner_endpoints_stale", party=key, reason=reason)
        self._spawn(key.upper(), self._until_read(key.upper()))

    async def close(self) -> None:
        """Stop every background read (app shutdown)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def _spawn(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` unless a read under ``name`` is already running (then drop it)."""
        running = self._tasks.get(name)
        if running is not None and not running.done():
            work.close()
            return
        task = asyncio.create_task(work, name=f"partner-endpoints:{name}")
        self._tasks[name] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._tasks.get(name) is done:
                del self._tasks[name]

        task.add_done_callback(forget)

    async def _read_missing(self) -> None:
        try:
            parties = await self._parties.all()
        except BackendError as exc:
            log.warning("partner_endpoints_unlisted", error=str(exc))
            return
        missing = [p.key for p in parties if wants_endpoints(p) and not p.endpoints]
        await asyncio.gather(*(self._until_read(key, only_if_missing=True) for key in missing))

    async def _until_read(self, key: str, *, only_if_missing: bool = False) -> None:
        """Read until it works, pausing longer each time (the last pause repeats)."""
        for attempt in range(10_000):
            try:
                party = await self.refresh(key, only_if_missing=only_if_missing)
            except BackendError as exc:
                log.warning("partner_endpoints_not_stored", party=key, error=str(exc))
                party = None
            if party is None or not wants_endpoints(party) or party.endpoints_error is None:
                return
            if only_if_missing and party.endpoints:
                return  # somebody else provided them meanwhile
            await asyncio.sleep(self._retry[min(attempt, len(self._retry) - 1)])


def _with(endpoints: tuple[Endpoint, ...], identifier: str, role: str) -> bool:
    return any(e.identifier == identifier and e.role.upper() == role for e in endpoints)
