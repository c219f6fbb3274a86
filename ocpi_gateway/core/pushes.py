"""ActiveChargingProfile pushes: tell a steering partner when its session's active profile changed.

OCPI 2.2.1 (ChargingProfiles, Sender interface): the CPO SHALL PUT the new
ActiveChargingProfile to ``{chargingprofiles SENDER url}/{session_id}`` whenever it learns of
a change to an ongoing session's active profile, but only to partners that at least once
successfully PUT a profile for that session (``Session.steered_by``; with
``ocpi.push_after = "sync"`` a synchronous ACCEPTED counts, with ``"async"`` only an
ACCEPTED result from the station).

Triggers (each names the change, so logs say why a push went out):

* station reports (2.0.1 NotifyChargingLimit, ClearedChargingLimit, TransactionEvent
  ChargingRateChanged; a CSMS's own profile seen in proxy mode), through
  ``SessionRegistry.add_profile_listener``;
* the CPO's station-wide limit (``core/cpo_levers.py``), through the same listener;
* job outcomes (:meth:`ProfilePushes.after_job`): another partner's PUT or DELETE on the
  session, the CPO clearing the session's profile, a profile re-applied after a reconnect.

A push is a stored job (``JobKind.PUSH``), so it runs on the node that holds the station:
it waits out ``ocpi.push_coalesce_seconds``, asks the station for a fresh composite schedule
over ``ocpi.push_horizon`` seconds and PUTs it, retried like results until its deadline.
Triggers for the same partner and session while a push is pending fold into it: the first
one claims a backend guard key (shared by every node) that the push job releases just
before it asks the station, so whatever changed before that moment is in the one PUT.
With no usable composite the pushed profile is the EVSE maximum in A.
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

import structlog

from ocpi_gateway.backend.base import Backend
from ocpi_gateway.config import Settings
from ocpi_gateway.core.endpoints import PartnerEndpoints, wants_endpoints
from ocpi_gateway.core.jobs import StationCall
from ocpi_gateway.delivery.client import ResultDelivery
from ocpi_gateway.domain import Job, JobKind, Session
from ocpi_gateway.errors import BackendError
from ocpi_gateway.models.ocpi import (
    ActiveChargingProfile,
    ActiveChargingProfileResult,
    AnyResult,
    ChargingProfile,
    ChargingProfilePeriod,
    ChargingProfileResultType,
    ChargingRateUnit,
)
from ocpi_gateway.partners.ownership import may_steer
from ocpi_gateway.partners.parties import PartyDirectory
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.driver import StationLink
from ocpi_gateway.timeutil import utcnow
from ocpi_gateway.translate.profiles import to_get_composite_schedule
from ocpi_gateway.translate.results import composite_result
from ocpi_gateway.translate.units import floor_tenth

log = structlog.get_logger(__name__)

STATION_LIMIT = "StationLimit"
# Station and CPO events that change what a session may draw. NotifyEVChargingNeeds (the
# EV's wishes) and ReportChargingProfiles (an answer to a query) change no limit.
PUSH_REASONS = frozenset(
    {
        "NotifyChargingLimit",
        "ClearedChargingLimit",
        "ChargingRateChanged",
        "CsmsChargingProfile",
        STATION_LIMIT,
    }
)
ACCEPTED = ChargingProfileResultType.ACCEPTED
REJECTED = ChargingProfileResultType.REJECTED


def push_url(base: str, session_id: str) -> str:
    """``{chargingprofiles_url}/{session_id}``: OCPI writes no separator, every example has one."""
    return f"{base.rstrip('/')}/{quote(session_id, safe='')}"


def guard_key(party: str, session_id: str) -> str:
    return f"push:{party}:{session_id}"


class ProfilePushes:
    """Decides who is told of an active-profile change, queues the pushes and runs them."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        sessions: SessionRegistry,
        parties: PartyDirectory,
        delivery: ResultDelivery,
        clock: Callable[[], float] = time.time,
        endpoints: PartnerEndpoints | None = None,
    ) -> None:
        """``endpoints`` is told when a partner's chargingprofiles endpoint is missing or fails."""
        self._endpoints = endpoints
        self._settings = settings
        self._backend = backend
        self._sessions = sessions
        self._parties = parties
        self._delivery = delivery
        self._clock = clock
        self._released: set[str] = set()  # push jobs on this node past their guard release

    # --- triggers ------------------------------------------------------------------------

    async def on_profile_event(self, session: Session, reason: str) -> None:
        """``SessionRegistry`` listener: station-reported and CPO changes."""
        if reason in PUSH_REASONS:
            await self.changed(session, reason)

    async def after_job(self, job: Job, result: AnyResult, stored: Session | None = None) -> None:
        """``JobRunner`` hook: a partner's or the CPO's own change to a session's profile.

        The partner that made the change is not told about it (it gets its result); every
        other steering partner is. ``stored`` is the session as the job wrote it: with it, no
        second read (a partner that starts steering meanwhile applies its own profile, which
        tells the others in turn).
        """
        if job.kind is JobKind.PUSH:
            # A push that never reached its station call (station offline, session gone)
            # must not keep swallowing triggers until the key expires.
            if job.job_id not in self._released:
                await self._backend.guards.release(guard_key(job.party or "", job.session_id))
            self._released.discard(job.job_id)
            return
        if job.kind not in (JobKind.SET, JobKind.CLEAR, JobKind.REAPPLY):
            return
        steered = job.kind is JobKind.SET and result.result is ACCEPTED and job.party is not None
        if steered and job.party is not None and self._settings.ocpi.push_after == "async":
            await self._sessions.mark_steered(job.session_id, job.party)
        if job.kind is not JobKind.REAPPLY and result.result is REJECTED:
            return  # nothing changed on the station
        session = stored if stored is not None else await self._sessions.get(job.session_id)
        if session is None:
            return
        reason = {JobKind.SET: "ChargingProfile", JobKind.CLEAR: "ProfileCleared"}.get(job.kind, "Reapplied")
        await self.changed(session, reason, exclude=None if job.kind is JobKind.REAPPLY else job.party)

    async def changed(self, session: Session, reason: str, *, exclude: str | None = None) -> int:
        """Queue one push per steering partner of an active session; returns how many were queued.

        A partner whose push is still pending gets none (the pending one will show this change).
        """
        if not session.active:
            return 0
        queued = 0
        for key in session.steered_by:
            if key == exclude:
                continue
            try:
                queued += await self._queue(session, key, reason)
            except BackendError as exc:
                log.warning("push_not_queued", session_id=session.session_id, party=key, error=str(exc))
        return queued

    async def _queue(self, session: Session, key: str, reason: str) -> int:
        party = await self._parties.get(key)
        if party is None or not party.registered or party.chargingprofiles_url is None:
            log.info("push_skipped", session_id=session.session_id, party=key, reason="no chargingprofiles")
            if party is not None and self._endpoints is not None and wants_endpoints(party):
                self._endpoints.stale(party.key, "no chargingprofiles endpoint")
            return 0
        if not may_steer(party, session, self._settings.ocpi.token_owners):
            log.info("push_skipped", session_id=session.session_id, party=key, reason="may not steer")
            return 0
        ocpi = self._settings.ocpi
        window = ocpi.push_coalesce_seconds
        ttl = math.ceil(window + ocpi.result_timeout + self._settings.ocpp.call_timeout)
        if await self._backend.guards.claim(guard_key(key, session.session_id), ttl) is not None:
            log.info("push_coalesced", session_id=session.session_id, party=key, trigger=reason)
            return 0
        now = self._clock()
        job = Job(
            kind=JobKind.PUSH,
            party=key,
            session_id=session.session_id,
            station_id=session.station_id,
            created=now,
            deadline=now + window + ocpi.result_timeout,
            correlation_id=str(uuid.uuid4()),
            duration=ocpi.push_horizon,
            start_after=now + window if window else None,
        )
        await self._backend.jobs.put(job)
        log.info("push_queued", session_id=session.session_id, party=key, trigger=reason, job_id=job.job_id)
        return 1

    # --- the push job --------------------------------------------------------------------

    async def run_push(
        self, job: Job, session: Session | None, link: StationLink, call: StationCall
    ) -> AnyResult:
        """Read the composite schedule, PUT it to the partner.

        The coalescing window is over: the worker starts the job only then (``Job.start_after``).
        ``JobRunner`` found the station's link and checked the session is active; station
        failures propagate to it (the job then ends REJECTED: no push without a composite).
        """
        with contextlib.suppress(BackendError):  # it expires anyway
            await self._backend.guards.release(guard_key(job.party or "", job.session_id))
        self._released.add(job.job_id)
        party = await self._parties.get(job.party or "")
        if session is None or party is None or party.chargingprofiles_url is None:
            log.info("push_dropped", reason="partner gone")
            return ActiveChargingProfileResult(result=REJECTED)
        requested_at = utcnow()
        horizon = job.duration or self._settings.ocpi.push_horizon
        payload = to_get_composite_schedule(link.protocol, connector_id=session.evse_id, duration=horizon)
        answer = composite_result(link.protocol, await call(payload), requested_at)
        active = answer.profile or self.evse_maximum(session, requested_at, horizon)
        delivered = await self._delivery.send(
            party,
            "PUT",
            push_url(party.chargingprofiles_url, session.session_id),
            active.to_json_dict(),
            correlation_id=job.correlation_id,
            deadline=job.deadline,
            endpoint=True,
        )
        log.info("push_sent" if delivered else "push_failed", composite=answer.profile is not None)
        if not delivered and self._endpoints is not None:
            self._endpoints.stale(party.key, "push failed")
        return ActiveChargingProfileResult(result=ACCEPTED if delivered else REJECTED, profile=active)

    def evse_maximum(self, session: Session, at: datetime, duration: int) -> ActiveChargingProfile:
        """What "no profile active" looks like: the EVSE maximum in A per phase.

        ``[[ocpp.stations]] evse_max_current`` for the station, else ``ocpp.evse_max_current``.
        """
        amps = self._settings.ocpp.evse_max_current_for(session.station_id)
        profile = ChargingProfile(
            charging_rate_unit=ChargingRateUnit.A,
            duration=duration,
            charging_profile_period=[ChargingProfilePeriod(start_period=0, limit=floor_tenth(amps))],
        )
        return ActiveChargingProfile(start_date_time=at, charging_profile=profile)
