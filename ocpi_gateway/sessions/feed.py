"""OCPI Sessions pushes (CPO as Sender): partners learn of every session they may steer.

SCSPs such as Jedlix steer only sessions they were told about through the Sessions module.
Every partner with a ``sessions`` RECEIVER endpoint that may steer a session
(``ownership.may_steer``) gets, at ``{sessions_url}/{our country}/{our party}/{session_id}``:

* **PUT** the whole Session when it starts (or, later, when the partner first qualifies);
* **PATCH** with ``kwh``, a new charging period and ``last_updated`` when the meter moves,
  at most once per ``ocpi.session_patch_interval`` seconds per session (a later PATCH
  carries everything measured meanwhile);
* **PATCH** with ``status: COMPLETED``, ``end_date_time`` and the final period at the end.

Calls go through ``ResultDelivery.send`` (auth and routing headers, retries with back-off
for ``ocpi.result_timeout`` seconds, 4xx final, no redirects). They run in background tasks
chained per session, so a station's message is never held up by a partner and one session's
PUT, PATCHes and COMPLETED arrive in order. The chain lives on the node that saw the
station's message; a node that dies loses its unsent pushes (the pull ``GET`` still has them).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import structlog

from ocpi_gateway.config import Settings
from ocpi_gateway.delivery.client import ResultDelivery
from ocpi_gateway.domain import Session
from ocpi_gateway.errors import BackendError
from ocpi_gateway.partners.ownership import may_steer
from ocpi_gateway.partners.parties import Party, PartyDirectory
from ocpi_gateway.sessions.objects import new_period, patch_body, to_ocpi_session
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.timeutil import utcnow

log = structlog.get_logger(__name__)


def session_url(base: str, settings: Settings, session_id: str) -> str:
    """``{sessions_url}/{country_code}/{party_id}/{session_id}`` (the Receiver's object URL)."""
    ours = settings.ocpi
    parts = (ours.country_code.upper(), ours.party_id.upper(), session_id)
    return base.rstrip("/") + "".join("/" + quote(p, safe="") for p in parts)


class SessionFeed:
    """Turns session lifecycle events into ordered PUT/PATCH calls to partners."""

    def __init__(
        self,
        settings: Settings,
        sessions: SessionRegistry,
        parties: PartyDirectory,
        delivery: ResultDelivery,
        clock: Callable[[], float] = time.time,
        on_unreachable: Callable[[str, str], None] | None = None,
    ) -> None:
        """``on_unreachable(party_key, reason)``: a partner's sessions endpoint is missing or failed
        (the app passes ``PartnerEndpoints.stale``, which reads their version details again)."""
        self._on_unreachable = on_unreachable
        self._settings = settings
        self._sessions = sessions
        self._parties = parties
        self._delivery = delivery
        self._clock = clock
        self._chains: dict[str, asyncio.Task[None]] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}

    async def on_session_event(self, session: Session, event: str) -> None:
        """``SessionRegistry`` listener: ``started``, ``updated`` (meter) or ``ended``."""
        sid = session.session_id
        if event == "updated":
            if sid in self._timers:
                return  # a PATCH is already due; it will carry this reading too
            wait = self._patch_wait(session)
            if wait > 0:
                self._timers[sid] = asyncio.create_task(self._later(sid, wait), name=f"session-patch:{sid}")
                return
        elif event == "ended":
            timer = self._timers.pop(sid, None)
            if timer is not None:
                timer.cancel()
        self._chain(sid, lambda: self._push(sid))

    def _patch_wait(self, session: Session) -> float:
        reported = session.usage.reported_at
        if reported is None:
            return 0.0
        due = reported.timestamp() + self._settings.ocpi.session_patch_interval
        return due - self._clock()

    async def _later(self, session_id: str, wait: float) -> None:
        await asyncio.sleep(wait)
        self._timers.pop(session_id, None)
        self._chain(session_id, lambda: self._push(session_id))

    def _chain(self, session_id: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` after the session's previous push, in the background."""
        previous = self._chains.get(session_id)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])  # its failure is its own; our cancel still ends us
            try:
                await work()
            except Exception:
                log.exception("session_push_crashed", session_id=session_id)
            finally:
                if self._chains.get(session_id) is task:
                    del self._chains[session_id]

        task = asyncio.create_task(run(), name=f"session-push:{session_id}")
        self._chains[session_id] = task

    async def _targets(self, session: Session) -> list[Party]:
        token_owners = self._settings.ocpi.token_owners
        parties = await self._parties.all()
        if self._on_unreachable is not None:
            for party in parties:
                if party.registered and party.versions_url and party.their_token and not party.sessions_url:
                    self._on_unreachable(party.key, "no sessions endpoint")
        return [
            party
            for party in parties
            if party.registered and party.sessions_url and may_steer(party, session, token_owners)
        ]

    async def _push(self, session_id: str) -> None:
        """Send the session as it is now: PUT to partners not yet told, PATCH to the others."""
        try:
            session = await self._sessions.get(session_id)
            if session is None:
                return
            targets = await self._targets(session)
            if not targets:
                return
            now = utcnow()
            period = new_period(session, now) if session.usage.told else None
            if period is not None:
                session.usage.periods = [*session.usage.periods, period.to_json_dict()]
            full = to_ocpi_session(session, self._settings).to_json_dict()
            patch = patch_body(session, period)
            told = set(session.usage.told)
            session.usage.reported_wh = session.usage.meter_wh
            session.usage.reported_at = now
            session.usage.told = sorted(told | {p.key for p in targets})
            await self._sessions.save(session)
        except BackendError as exc:
            log.warning("session_push_skipped", session_id=session_id, error=str(exc))
            return
        deadline = self._clock() + self._settings.ocpi.result_timeout
        for party in targets:
            method, body = ("PATCH", patch) if party.key in told else ("PUT", full)
            if method == "PATCH" and period is None and session.active:
                continue  # the meter did not move: nothing new to tell
            delivered = await self._delivery.send(
                party,
                method,
                session_url(party.sessions_url or "", self._settings, session_id),
                body,
                correlation_id=str(uuid.uuid4()),
                deadline=deadline,
                endpoint=True,
            )
            if not delivered and self._on_unreachable is not None:
                self._on_unreachable(party.key, "session push failed")
            log.info(
                "session_pushed" if delivered else "session_push_failed",
                session_id=session_id,
                party=party.key,
                method=method,
                status=session.status.value,
            )

    async def close(self) -> None:
        """Stop: cancel due PATCHes and pushes still in flight (the gateway is shutting down)."""
        tasks = [*self._timers.values(), *self._chains.values()]
        self._timers.clear()
        self._chains.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
