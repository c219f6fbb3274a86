"""The asynchronous half: run one stored job against its station and report the result.

This is the only module that joins translation, stations and delivery. Each job ends in
exactly one terminal OCPI result: the station's answer, or REJECTED when the session
ended, the station is gone, rejects, errors or stays silent. The result goes to the job's
``response_url`` (jobs the gateway made itself, like re-applying a profile after a
reconnect, have none).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog

from ocpi_gateway.backend.base import Backend
from ocpi_gateway.config import Settings
from ocpi_gateway.core import outcomes
from ocpi_gateway.core.history import History
from ocpi_gateway.core.ocpp_jobs import OCPP_JOB_KINDS, OcppJobResult, run_ocpp_job
from ocpi_gateway.core.steering import DELIVERY_RESERVE, profile_target
from ocpi_gateway.delivery.client import ResultDelivery
from ocpi_gateway.domain import Job, JobKind, Session
from ocpi_gateway.errors import (
    BackendError,
    JobMoved,
    StationDisconnected,
    StationError,
    StationTimeout,
    TranslationError,
)
from ocpi_gateway.metrics import job_finished
from ocpi_gateway.models.ocpi import (
    ActiveChargingProfileResult,
    AnyResult,
    ChargingProfileResult,
    ChargingProfileResultType,
    ClearProfileResult,
)
from ocpi_gateway.partners.parties import PartyDirectory
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.driver import StationDirectory, StationLink
from ocpi_gateway.timeutil import utcnow
from ocpi_gateway.translate.ocpp_format import spec_from_request
from ocpi_gateway.translate.profiles import (
    effective_stack_level,
    ocpi_equivalent,
    to_clear_charging_profile,
    to_get_composite_schedule,
    to_set_charging_profile,
)
from ocpi_gateway.translate.results import clear_result, composite_result, set_result

log = structlog.get_logger(__name__)

REJECTED = ChargingProfileResultType.REJECTED
# What ``JobRunner._settled`` answers when the job's result is delivered by someone else.
ELSEWHERE: AnyResult = ChargingProfileResult(result=ChargingProfileResultType.UNKNOWN)

# How long a job waits for its station to come back before giving up (bounded by the deadline).
RECONNECT_GRACE = 5.0
# A job whose station drops mid-call is tried again on its next connection, this often at most.
MAX_ATTEMPTS = 2
# While waiting for a station, how often to look whether it reconnected to another node.
PRESENCE_POLL_SECONDS = 0.5
# How long past its deadline a job keeps retrying backend writes before leaving itself to reclaim.
BACKEND_PATIENCE = 60.0
BACKEND_RETRY_SECONDS = 0.5

T = TypeVar("T")

# Job kinds run by other modules (pushes.py, station_limits.py), given the link and a call.
# How a job handler calls its station: JobRunner's call, bounded by the job's deadline.
StationCall = Callable[[Any], Awaitable[Any]]
KindHandler = Callable[[Job, Session | None, StationLink, StationCall], Awaitable[AnyResult]]
# Told of every finished job, its result and the session as the job last stored it (None when
# it stored none): pushes.py, "another source changed the profile", without reading it again.
AfterJob = Callable[[Job, AnyResult, Session | None], Awaitable[None]]
# Kinds that concern a whole station, not a session.
STATION_KINDS = frozenset({JobKind.OCPP_STATION, JobKind.LIMIT})

RESULT_MODELS: dict[JobKind, type[AnyResult]] = {
    JobKind.GET: ActiveChargingProfileResult,
    JobKind.CLEAR: ClearProfileResult,
    JobKind.OCPP_SESSION: OcppJobResult,
    JobKind.OCPP_STATION: OcppJobResult,
}


def _rejected(kind: JobKind) -> AnyResult:
    if kind is JobKind.GET:
        return ActiveChargingProfileResult(result=REJECTED)
    if kind is JobKind.CLEAR:
        return ClearProfileResult(result=REJECTED)
    return ChargingProfileResult(result=REJECTED)


class JobRunner:
    """Executes jobs; the worker calls :meth:`run` once per job, one job per station at a time."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        sessions: SessionRegistry,
        stations: StationDirectory,
        parties: PartyDirectory,
        delivery: ResultDelivery,
        clock: Callable[[], float] = time.time,
        history: History | None = None,
    ) -> None:
        self._history = history  # finished jobs for the status page (per node)
        self._settings = settings
        self._backend = backend
        self._sessions = sessions
        self._stations = stations
        self._parties = parties
        self._delivery = delivery
        self._clock = clock
        self.kind_handlers: dict[JobKind, KindHandler] = {}
        self.after_job: list[AfterJob] = []
        self._stored: dict[str, Session] = {}  # job id -> the session as the job last wrote it

    async def run(self, job: Job) -> None:
        """Execute, deliver, acknowledge: the job's whole life after it was stored.

        A job still held for its replicas waits here, in its station's lane, and one withdrawn
        meanwhile ends here without running. A job whose station now lives on another node is
        forwarded there instead. A result the station already gave (saved before delivery) is
        delivered without calling the station again, so a job reclaimed from a dead node never
        steers twice.
        """
        structlog.contextvars.bind_contextvars(
            job_id=job.job_id,
            session_id=job.session_id,
            station_id=job.station_id,
            party=job.party,
            request_id=job.request_id,
            correlation_id=job.correlation_id,
        )
        queue = self._backend.jobs
        try:
            if not await self._persist(job, lambda: queue.released(job)):
                return  # withdrawn: its request was answered 503 (``redis.wait_replicas``)
            result = await self._settled(job, None) if job.reclaimed else None
            if result is None:
                try:
                    executed = await self.execute(job)
                except JobMoved as moved:
                    node = moved.node
                    await self._persist(job, lambda: queue.forward(job, node))
                    return
                log.info("job_executed", kind=job.kind.value, result=executed.result.value)
                result = await self._settled(job, executed)
            if result is None or result is ELSEWHERE:  # (None only narrows the type: executed is never None)
                log.info("job_result_elsewhere")  # delivered already, or a live process delivers it
                await self._persist(job, lambda: queue.ack(job))
                return
            if job.outcome_ttl:
                settled = result
                await self._persist(job, lambda: outcomes.record(self._backend, job, settled))
            delivered = await self.deliver(job, result)
            job_finished(job.kind.value, result.result.value)
            # Acked before the hooks: a crash in a hook must not make another node run the job again.
            await self._persist(job, lambda: queue.ack(job))
            if self._history is not None:
                self._history.record_job(job, result, delivered)
            stored = self._stored.pop(job.job_id, None)
            for hook in self.after_job:
                try:
                    await hook(job, result, stored)
                except Exception:  # a hook's failure is logged; the job is finished
                    log.exception("job_after_hook_failed")
        finally:
            self._stored.pop(job.job_id, None)  # a job moved or failed before its hooks
            structlog.contextvars.unbind_contextvars(
                "job_id",
                "session_id",
                "station_id",
                "party",
                "request_id",
                "correlation_id",
                "ocpp_message_id",
            )

    async def _settled(self, job: Job, executed: AnyResult | None) -> AnyResult | None:
        """The result this process delivers, claimed so that one job reaches its SCSP once.

        Before executing (``executed`` None; only a moved or reclaimed job looks) an answer the
        station gave to a process that died since is returned, to deliver without calling the
        station again, and None means nobody has one: call the station. After executing, the
        first answer claimed wins. :data:`ELSEWHERE` ends the job without a delivery: it was
        delivered already, or a live process delivers it.
        """
        if executed is not None and job.response_url is None and not job.outcome_ttl:
            return executed  # nobody waits for this result: nothing to keep single
        answer = executed.model_dump_json(exclude_none=True) if executed is not None else None
        claim = await self._persist(job, lambda: self._backend.jobs.claim_result(job, answer))
        if claim.elsewhere:
            return ELSEWHERE
        if claim.deliver is None or (executed is not None and claim.deliver == answer):
            return executed
        log.info("job_result_recovered")
        model = RESULT_MODELS.get(job.kind, ChargingProfileResult)
        return model.model_validate_json(claim.deliver)

    async def _persist(self, job: Job, operation: Callable[[], Awaitable[T]]) -> T:
        """Run a backend operation, riding out a backend outage for a while.

        Giving up would lose the job's bookkeeping; after ``BACKEND_PATIENCE`` seconds past
        the deadline the error propagates and the job is left for another node to reclaim.
        """
        give_up = job.deadline + BACKEND_PATIENCE
        while True:
            try:
                return await operation()
            except BackendError as exc:
                if self._clock() > give_up:
                    raise
                log.warning("job_backend_retry", error=str(exc))
                await asyncio.sleep(BACKEND_RETRY_SECONDS)

    async def deliver(self, job: Job, result: AnyResult) -> bool:
        """POST the result to the job's response_url; False when it could not be delivered."""
        if job.response_url is None or job.party is None:
            return True
        party = await self._parties.get(job.party)
        if party is None or party.their_token is None:
            log.warning("job_result_undeliverable", reason="party unknown or not registered")
            return False
        return await self._delivery.post_result(
            party,
            job.response_url,
            result.to_json_dict(),
            correlation_id=job.correlation_id,
            deadline=job.deadline,
            request_id=job.request_id,
        )

    async def execute(self, job: Job) -> AnyResult:
        """Call the station for the job; never raises for station trouble, answers REJECTED."""
        session = await self._sessions.get(job.session_id) if job.session_id else None
        station_wide = job.kind in STATION_KINDS  # no session: a station-level profile
        if not station_wide and (session is None or not session.active):
            log.info("job_session_gone")
            return _rejected(job.kind)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            link = await self._find_link(job)
            if link is None:
                log.info("job_station_offline")
                return _rejected(job.kind)
            try:
                return await self._dispatch(job, session, link)
            except TranslationError as exc:
                log.info("job_untranslatable", reason=exc.reason)
                break
            except StationDisconnected:
                # The station dropped (or a newer connection replaced this one): the job
                # follows the station to its next link while the deadline allows.
                log.info("job_station_dropped", attempt=attempt)
            except StationError as exc:
                log.info("job_station_failed", error=type(exc).__name__, detail=str(exc))
                break
        return _rejected(job.kind)

    async def _find_link(self, job: Job) -> StationLink | None:
        """The station's link here; JobMoved if another node holds it; None if it stays away.

        Waits up to ``RECONNECT_GRACE`` (within the deadline) for the station to come back,
        here or on another node.
        """
        until = self._clock() + min(RECONNECT_GRACE, self._budget(job))
        while True:
            link = self._stations.get(job.station_id)
            if link is not None:
                return link
            where = await self._persist(job, lambda: self._backend.stations.lookup(job.station_id))
            if where is not None and where.node != self._backend.node_id:
                raise JobMoved(where.node)
            remaining = until - self._clock()
            if remaining <= 0:
                return None
            link = await self._stations.wait_for(job.station_id, min(PRESENCE_POLL_SECONDS, remaining))
            if link is not None:
                return link

    async def _dispatch(self, job: Job, session: Session | None, link: StationLink) -> AnyResult:
        if job.kind in OCPP_JOB_KINDS:
            result = await run_ocpp_job(
                job,
                session,
                link,
                lambda payload: self._call(job, link, payload),
                settings=self._settings,
                place_on_session=self._place_on_session,
            )
            if job.kind is JobKind.OCPP_SESSION and session is not None and job.ocpp_request is not None:
                await self._applied_from_api(job, session, result)
            return result
        handler = self.kind_handlers.get(job.kind)
        if handler is not None:
            return await handler(job, session, link, lambda payload: self._call(job, link, payload))
        assert session is not None  # only station-wide OCPP jobs run without one (execute)
        if job.kind is JobKind.GET:
            return await self._get(job, session, link)
        if job.kind is JobKind.CLEAR:
            return await self._clear(job, session, link)
        return await self._set(job, session, link)

    def _budget(self, job: Job) -> float:
        """Seconds the station call may take: call timeout, minus what delivery needs."""
        remaining = job.deadline - self._clock()
        reserve = min(DELIVERY_RESERVE, remaining / 4)
        return max(0.0, min(self._settings.ocpp.call_timeout, remaining - reserve))

    async def _call(self, job: Job, link: StationLink, payload: Any) -> Any:
        budget = self._budget(job)
        if budget <= 0:
            raise StationTimeout("no time left before the announced timeout")
        action = type(payload).__name__
        log.info("station_call", action=action, budget=round(budget, 2))
        response = await link.call(payload, timeout=budget)
        log.info("station_answer", action=action, status=str(getattr(response, "status", "")))
        return response

    async def _set(self, job: Job, session: Session, link: StationLink) -> AnyResult:
        profile = job.profile if job.kind is JobKind.SET else session.applied_profile
        if profile is None:
            return _rejected(job.kind)
        session, profile_id = await self._place_on_session(session)
        target = profile_target(session, link.capabilities, self._settings, profile_id)
        payload = to_set_charging_profile(link.protocol, profile, target)
        result = set_result(link.protocol, await self._call(job, link, payload))
        if result is ChargingProfileResultType.ACCEPTED and job.kind is JobKind.SET:

            def applied(fresh: Session) -> None:
                fresh.charging_profile_id = profile_id
                fresh.applied_profile = profile
                fresh.applied_by = job.party

            # ``known``: one round trip when nothing changed the session during the call.
            self._remember(job, await self._sessions.update(session.session_id, applied, known=session))
        return ChargingProfileResult(result=result)

    async def _applied_from_api(self, job: Job, session: Session, result: OcppJobResult) -> None:
        """An accepted OCPP-format profile is now the session's profile: GET and re-apply use it."""
        if result.result is not ChargingProfileResultType.ACCEPTED or job.ocpp_request is None:
            return
        applied = ocpi_equivalent(spec_from_request(job.ocpp_request))

        def mark(fresh: Session) -> None:
            fresh.applied_profile = applied
            fresh.applied_by = job.party

        self._remember(job, await self._sessions.update(session.session_id, mark))

    async def _place_on_session(self, session: Session) -> tuple[Session, int]:
        """The session's gateway profile id, allocated (and stored) on first use.

        Every way of setting a session's profile (OCPI PUT, the OCPP-format API, reapply)
        uses this one id, so each replaces the last at the station and DELETE clears it.
        """
        profile_id = session.charging_profile_id
        if profile_id is None:
            new_id = profile_id = await self._backend.next_profile_id(session.station_id)
            stored = await self._sessions.update(
                session.session_id, lambda s: setattr(s, "charging_profile_id", new_id), known=session
            )
            session = stored or session.model_copy(update={"charging_profile_id": new_id})
        return session, profile_id

    async def _get(self, job: Job, session: Session, link: StationLink) -> AnyResult:
        requested_at = utcnow()
        payload = to_get_composite_schedule(
            link.protocol, connector_id=session.evse_id, duration=job.duration or 900
        )
        response = await self._call(job, link, payload)
        return composite_result(link.protocol, response, requested_at)

    async def _clear(self, job: Job, session: Session, link: StationLink) -> AnyResult:
        if session.charging_profile_id is None:
            log.info("job_clear_nothing_set")
            return ClearProfileResult(result=ChargingProfileResultType.UNKNOWN)
        payload = to_clear_charging_profile(
            link.protocol,
            profile_id=session.charging_profile_id,
            connector_id=session.evse_id,
            stack_level=effective_stack_level(self._settings.ocpp.stack_level, link.capabilities),
        )
        result = clear_result(link.protocol, await self._call(job, link, payload))
        if result is not REJECTED:

            def cleared(fresh: Session) -> None:
                fresh.applied_profile = None
                fresh.applied_by = None

            self._remember(job, await self._sessions.update(session.session_id, cleared, known=session))
        return ClearProfileResult(result=result)

    def _remember(self, job: Job, stored: Session | None) -> None:
        """Keep the session this job wrote for the after-job hooks (``run`` hands it over)."""
        if stored is not None:
            self._stored[job.job_id] = stored
