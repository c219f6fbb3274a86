"""The use cases behind the OCPP-format profile API: admit a partner's request, store its job.

The same rules as OCPI steering, in the same order of cheapness: a body with problems (400);
the request's X-Request-ID claimed and the partner's rate buckets counted, as for OCPI
(``steering.claim``: a retry with the same id gets the first request's job, never a second
station call; over a limit is 429); unknown or ended session (404), not the partner's to steer
(403), station not reachable (409); only then is the job stored, together with the claim's
answer, and only after its pending outcome is. The job runs
through the ordinary queue and worker (per-station lane, the station's own link), and its
result lands in the backend as a job outcome that the view waits for (``core/outcomes.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web

from ocpi_gateway.api.validation import Problem, Scope, problems, session_problems
from ocpi_gateway.backend.base import FIRST_PROFILE_ID, AdmissionRequest, Backend
from ocpi_gateway.config import Settings
from ocpi_gateway.core import outcomes
from ocpi_gateway.core.ocpp_jobs import ocpp_call_plan
from ocpi_gateway.core.steering import Claimed, RequestContext, Steering, claim, give_back
from ocpi_gateway.domain import Electrical, Job, JobKind, Session, StationInfo
from ocpi_gateway.errors import ApiError, TranslationError
from ocpi_gateway.partners.ownership import may_steer
from ocpi_gateway.partners.parties import Party
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.timeutil import utcnow
from ocpi_gateway.translate.ocpp_format import plain_json, substitute_unlimited
from ocpi_gateway.translate.profiles import to_set_charging_profile

log = structlog.get_logger(__name__)


def refuse_problems(found: list[Problem]) -> None:
    """Raise 400 listing every problem, if there are any."""
    if found:
        raise ApiError(400, "the request is not a valid OCPP 1.6 SetChargingProfile request",
                       [p.to_json() for p in found])  # fmt: skip


class ProfileApi:
    """Admission and job submission for ``PUT /api/v1/{sessions,stations}/{id}/charging-profile``."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        sessions: SessionRegistry,
        steering: Steering,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._backend = backend
        self._sessions = sessions
        self._steering = steering
        self._clock = clock

    def problems(self, request: Any, scope: Scope) -> list[Problem]:
        """Every problem of the request (``api/validation.py``), "no limit" values as configured."""
        return problems(request, scope, self._settings.api.unlimited_threshold)

    def effective(self, request: dict[str, Any], station_id: str | None = None) -> dict[str, Any]:
        """The request as it will be sent: plain floats, "no limit" values as the EVSE maximum."""
        ocpp = self._settings.ocpp
        return substitute_unlimited(
            plain_json(request),
            threshold=self._settings.api.unlimited_threshold,
            max_current=ocpp.evse_max_current_for(station_id),
            electrical=Electrical(voltage=ocpp.voltage, phases=ocpp.default_phases),
        )

    async def for_session(
        self, party: Party, session_id: str, request: Any, ctx: RequestContext
    ) -> outcomes.JobOutcome:
        """Admit and store a session-level request; wait (bounded) for the station's answer."""
        refuse_problems(self.problems(request, "session"))

        async def decide(claimed: Claimed) -> outcomes.JobOutcome:
            session = claimed.admitted.session  # read with the claim, in the same backend call
            if session is None or not session.active:
                raise ApiError(404, f"unknown session {session_id}")
            if not may_steer(party, session, self._settings.ocpi.token_owners):
                raise ApiError(403, f"session {session_id} is not yours to steer")
            refuse_problems(session_problems(request, session.transaction_id))
            station = self._usable(session.station_id, claimed.admitted.station)
            return await self._submit(JobKind.OCPP_SESSION, party, session, station, request, ctx, claimed)

        return await self._once(party, f"session:{session_id}", session_id, ctx, decide)

    async def for_station(
        self, party: Party, station_id: str, request: Any, ctx: RequestContext
    ) -> outcomes.JobOutcome:
        """Admit and store a station-level request; wait (bounded) for the station's answer.

        A station-level profile limits every session on the station, so only a partner
        trusted with all sessions (``steer = "all"``) that may steer each active session
        there may send one.
        """
        refuse_problems(self.problems(request, "station"))
        refuse_problems(self._own_ids(request))

        async def decide(claimed: Claimed) -> outcomes.JobOutcome:
            active = await self._sessions.active_for_station(station_id)
            token_owners = self._settings.ocpi.token_owners
            if party.ownership.steer != "all" or not all(may_steer(party, s, token_owners) for s in active):
                raise ApiError(403, f"station {station_id} is not yours to steer")
            station = await self._reachable(station_id)
            return await self._submit(JobKind.OCPP_STATION, party, None, station, request, ctx, claimed)

        return await self._once(party, f"station:{station_id}", None, ctx, decide)

    async def _once(
        self,
        party: Party,
        target: str,
        session_id: str | None,
        ctx: RequestContext,
        decide: Callable[[Claimed], Awaitable[outcomes.JobOutcome]],
    ) -> outcomes.JobOutcome:
        """Claim the X-Request-ID and count the rate buckets as OCPI does, then ``decide``.

        A retry of an answered request gets that request's job; a refusal (4xx) gives the claim
        back, so the same id may be sent again once the cause is gone.
        """
        key = f"idem:{party.key}:API:{target}:{ctx.request_id}"
        limits = self._steering.rate_limits(party, session_id)
        request = AdmissionRequest(key, self._settings.ocpi.idempotency_ttl, session_id or "", limits)
        try:
            found = await claim(self._backend, request)
        except BaseException:
            await give_back(self._backend, key)  # whether Redis kept the claim is unknown
            raise
        if isinstance(found, str):
            log.info("ocpp_profile_replayed", target=target, party=party.key)
            return await self.job(party, json.loads(found)["job_id"])
        if found is None:
            raise ApiError(409, "a request with this X-Request-ID is still being answered")
        try:
            if found.admitted.over_limit is not None:
                log.info(
                    "ocpp_profile_too_often", target=target, party=party.key, limit=found.admitted.over_limit
                )
                raise ApiError(
                    429, "too many requests: over the per-minute limit for this session or partner"
                )
            return await decide(found)
        except BaseException:
            if not found.settled:
                await give_back(self._backend, key)
            raise

    def _own_ids(self, request: dict[str, Any]) -> list[Problem]:
        """A station-level body may not take a profile id the gateway gives out: the CPO's
        station limit (``ocpp.station_limit_profile_id``) or a session's (``FIRST_PROFILE_ID``
        and up); it would replace that profile at the station."""
        given = request["csChargingProfiles"]["chargingProfileId"]
        if given == self._settings.ocpp.station_limit_profile_id or given >= FIRST_PROFILE_ID:
            ours = f"{self._settings.ocpp.station_limit_profile_id} and {FIRST_PROFILE_ID} and up"
            return [
                Problem("csChargingProfiles.chargingProfileId", f"the gateway's own ids ({ours}) are taken")
            ]
        return []

    async def _reachable(self, station_id: str) -> StationInfo:
        return self._usable(station_id, await self._backend.stations.lookup(station_id))

    @staticmethod
    def _usable(station_id: str, station: StationInfo | None) -> StationInfo:
        """The station where it is connected, or 409: not connected, or no smart charging."""
        if station is None:
            raise ApiError(409, f"station {station_id} is not connected")
        if not station.capabilities.smart_charging:
            raise ApiError(409, f"station {station_id} does not support smart charging")
        return station

    async def _submit(
        self,
        kind: JobKind,
        party: Party,
        session: Session | None,
        station: StationInfo,
        request: dict[str, Any],
        ctx: RequestContext,
        claimed: Claimed,
    ) -> outcomes.JobOutcome:
        effective = self.effective(request, station.station_id)
        self._dry_run(effective, session, station)
        now = self._clock()
        pending = await self._backend.jobs.pending(station.station_id)
        timeout = self._steering.announced_timeout(pending)
        job = Job(
            kind=kind,
            party=party.key,
            session_id=session.session_id if session is not None else "",
            station_id=station.station_id,
            created=now,
            deadline=now + timeout,
            request_id=ctx.request_id,
            correlation_id=ctx.correlation_id,
            ocpp_request=effective,
            outcome_ttl=self._settings.api.outcome_ttl,
        )
        await outcomes.announce(self._backend, job)
        # The job and the claim's answer together (as OCPI's ACCEPTED): a retry finds this job.
        answer = json.dumps({"job_id": job.job_id})
        await self._backend.admission.accept(job, station.node, claimed.key, answer, claimed.ttl)
        claimed.settled = True
        log.info(
            "ocpp_profile_accepted",
            job_id=job.job_id,
            kind=kind.value,
            station_id=station.station_id,
            session_id=job.session_id or None,
            party=party.key,
        )
        found = await outcomes.wait(self._backend, job.job_id, self._settings.api.wait_seconds)
        return found or outcomes.JobOutcome(
            job_id=job.job_id,
            kind=kind.value,
            party=party.key,
            session_id=job.session_id or None,
            station_id=station.station_id,
            state="pending",
            created=now,
        )

    def _dry_run(self, request: dict[str, Any], session: Session | None, station: StationInfo) -> None:
        """Translate once against the station's capabilities, as the job will: what the station
        cannot take (too many periods, no smart charging, a transaction id its version cannot
        carry) is refused now with the reason (409), and no job is stored."""
        profile_id = (session.charging_profile_id if session is not None else None) or 1
        try:
            spec, target = ocpp_call_plan(
                request, session, station.capabilities, self._settings, profile_id=profile_id, now=utcnow()
            )
            to_set_charging_profile(station.protocol, spec, target)
        except (TranslationError, ValueError, KeyError) as exc:
            raise ApiError(409, f"station {station.station_id} cannot take this profile: {exc}") from None

    async def job(self, party: Party, job_id: str) -> outcomes.JobOutcome:
        """A job's outcome for the partner that made it (404 for anyone else, or once expired)."""
        found = await outcomes.read(self._backend, job_id)
        if found is None or found.party != party.key:
            raise ApiError(404, f"unknown job {job_id}")
        return found


PROFILE_API = web.AppKey("profile_api", ProfileApi)


def station_scope(value: str | None) -> Scope:
    """The ``target`` of ``POST /api/v1/validate/charging-profile``: session (default) or station."""
    if value in (None, "", "session"):
        return "session"
    if value == "station":
        return "station"
    raise ApiError(
        400, "target must be session or station", [{"field": "target", "message": "unknown value"}]
    )
