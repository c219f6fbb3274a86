"""The synchronous half of a ChargingProfiles request: decide the answer, store the job.

Views parse HTTP and call one method here. The answer is ACCEPTED only after the job is
stored in the backend; every cheaper refusal (unknown session, foreign session, callback
host not allowed, station offline, a profile the station cannot take) is decided first,
so a refused request changes nothing. Knows OCPI and the translation's dry run, never a
socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from ocpi_gateway.backend.base import AdmissionRequest, Admitted, Backend
from ocpi_gateway.config import Settings
from ocpi_gateway.domain import Capabilities, Electrical, Job, JobKind, Session, StationInfo
from ocpi_gateway.errors import (
    BackendError,
    BackendUnavailable,
    CallbackRefused,
    NotSupportedByStation,
    TranslationError,
)
from ocpi_gateway.models.ocpi import (
    ChargingProfile,
    ChargingProfileResponse,
    ChargingProfileResponseType,
    SetChargingProfile,
)
from ocpi_gateway.partners.callbacks import check_callback_url
from ocpi_gateway.partners.ownership import may_steer
from ocpi_gateway.partners.parties import Party
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.driver import StationLink
from ocpi_gateway.translate.profiles import ProfileTarget, to_set_charging_profile

log = structlog.get_logger(__name__)

# Seconds kept free after the station call for posting the result before the deadline.
DELIVERY_RESERVE = 10.0
# A request repeating an X-Request-ID still being answered waits this long for that answer.
REPLAY_POLLS = 30
REPLAY_POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Ids that travel with one OCPI request into its job, logs and callback."""

    request_id: str
    correlation_id: str


@dataclass(slots=True)
class Claimed:
    """One request past its idempotency claim: what the backend read for it, and whether its
    answer is already stored (ACCEPTED is stored together with the job, in one round trip)."""

    key: str
    ttl: int
    admitted: Admitted
    settled: bool = False


async def claim(backend: Backend, request: AdmissionRequest) -> Claimed | str | None:
    """Claim a request's X-Request-ID (``Admission.admit``: the claim, the rate buckets and the reads).

    Returns the claim when the id is new; the answer stored for it when a request with the same
    id was answered before (a retry: answer it the same, never call the station twice); ``None``
    when that first request is still being answered after ``REPLAY_POLLS`` short waits.
    Every way in (OCPI, the OCPP-format API) claims its requests here.

    Raises:
        BackendError: the claim could not be made; whether Redis kept it is unknown, so the
            caller releases the key.
    """
    for _ in range(REPLAY_POLLS):
        admitted = await backend.admission.admit(request)
        if admitted.previous is None:
            return Claimed(request.idempotency_key, request.idempotency_ttl, admitted)
        if admitted.previous:
            return admitted.previous
        await asyncio.sleep(REPLAY_POLL_SECONDS)
    return None


async def give_back(backend: Backend, key: str) -> None:
    """Release a claimed X-Request-ID whose request ends without a stored answer (best effort:
    with the backend away the claim expires with its ttl)."""
    with contextlib.suppress(BackendError):
        await backend.guards.release(key)


def _answer(result: ChargingProfileResponseType, timeout: int = 0) -> ChargingProfileResponse:
    return ChargingProfileResponse(result=result, timeout=timeout)


def profile_target(
    session: Session, capabilities: Capabilities, settings: Settings, profile_id: int
) -> ProfileTarget:
    """Where a session's profile goes on its station, and with which conversion settings."""
    return ProfileTarget(
        connector_id=session.evse_id,
        transaction_id=session.transaction_id,
        profile_id=profile_id,
        stack_level=settings.ocpp.stack_level,
        capabilities=capabilities,
        electrical=Electrical(voltage=settings.ocpp.voltage, phases=settings.ocpp.default_phases),
    )


class Steering:
    """PUT / GET / DELETE use cases of the ChargingProfiles Receiver interface."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        sessions: SessionRegistry,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._backend = backend
        self._sessions = sessions
        self._clock = clock

    async def set_profile(
        self, party: Party, session_id: str, request: SetChargingProfile, ctx: RequestContext
    ) -> ChargingProfileResponse:
        """PUT: UNKNOWN_SESSION, REJECTED, NOT_SUPPORTED, TOO_OFTEN or ACCEPTED once the job is stored.

        Raises:
            BackendUnavailable: the session could not be read or the job not stored.
        """

        async def decide(claimed: Claimed) -> ChargingProfileResponse:
            admitted = await self._admit(party, session_id, request.response_url, claimed.admitted)
            if isinstance(admitted, ChargingProfileResponse):
                return admitted
            session, station = admitted
            refusal = self._dry_run(session, station, request.charging_profile)
            if refusal is not None:
                return refusal
            if self._settings.ocpi.push_after == "sync" and party.key not in session.steered_by:
                # The literal reading of "successfully PUT": this ACCEPTED. Marked before the
                # job is stored, so the job never saves a session read without the mark.
                await self._sessions.mark_steered(session.session_id, party.key, known=session)
            return await self._enqueue(
                JobKind.SET,
                party,
                claimed,
                session,
                station,
                request.response_url,
                ctx,
                profile=request.charging_profile,
            )

        return await self._once(party, "PUT", session_id, ctx, decide)

    async def get_profile(
        self, party: Party, session_id: str, duration: int, response_url: str, ctx: RequestContext
    ) -> ChargingProfileResponse:
        """GET: ask the station for its composite schedule over ``duration`` seconds."""

        async def decide(claimed: Claimed) -> ChargingProfileResponse:
            admitted = await self._admit(party, session_id, response_url, claimed.admitted)
            if isinstance(admitted, ChargingProfileResponse):
                return admitted
            session, station = admitted
            return await self._enqueue(
                JobKind.GET, party, claimed, session, station, response_url, ctx, duration=duration
            )

        return await self._once(party, "GET", session_id, ctx, decide)

    async def clear_profile(
        self, party: Party, session_id: str, response_url: str, ctx: RequestContext
    ) -> ChargingProfileResponse:
        """DELETE: clear the gateway's profile for the session (never other profiles)."""

        async def decide(claimed: Claimed) -> ChargingProfileResponse:
            admitted = await self._admit(party, session_id, response_url, claimed.admitted)
            if isinstance(admitted, ChargingProfileResponse):
                return admitted
            session, station = admitted
            return await self._enqueue(JobKind.CLEAR, party, claimed, session, station, response_url, ctx)

        return await self._once(party, "DELETE", session_id, ctx, decide)

    async def _once(
        self,
        party: Party,
        method: str,
        session_id: str,
        ctx: RequestContext,
        decide: Callable[[Claimed], Awaitable[ChargingProfileResponse]],
    ) -> ChargingProfileResponse:
        """Answer a repeated X-Request-ID with the first answer, and apply the rate limits.

        The first request with an id claims it; a twin arriving meanwhile waits briefly for
        the first answer, so a retried request never queues a second station call. The claim,
        the rate buckets and every read the decision needs are one backend call
        (``Admission.admit``).
        """
        key = f"idem:{party.key}:{method}:{session_id}:{ctx.request_id}"
        ttl = self._settings.ocpi.idempotency_ttl
        request = AdmissionRequest(key, ttl, session_id, self.rate_limits(party, session_id))
        claimed: Claimed | None = None
        try:
            found = await claim(self._backend, request)
            if isinstance(found, str):
                log.info("profile_request_replayed", session_id=session_id, party=party.key)
                return ChargingProfileResponse.model_validate_json(found)
            if found is None:
                return _answer(ChargingProfileResponseType.TOO_OFTEN)
            claimed = found
            answer = self._too_often(party, session_id, claimed.admitted) or await decide(claimed)
        except BaseException as exc:
            # Also when the claim itself failed: whether Redis kept it is unknown.
            if claimed is None or not claimed.settled:
                await give_back(self._backend, key)
            if isinstance(exc, BackendError):
                raise BackendUnavailable() from exc
            raise
        if not claimed.settled:
            try:
                await self._backend.guards.settle(key, answer.model_dump_json(), ttl)
            except BackendError as exc:  # the answer stands: nothing was stored for it
                log.warning("idempotency_not_recorded", error=str(exc))
        return answer

    @staticmethod
    def _too_often(party: Party, session_id: str, admitted: Admitted) -> ChargingProfileResponse | None:
        """TOO_OFTEN when ``admit`` counted this request into a bucket already over its limit."""
        if admitted.over_limit is None:
            return None
        log.info(
            "profile_request_too_often", session_id=session_id, party=party.key, limit=admitted.over_limit
        )
        return _answer(ChargingProfileResponseType.TOO_OFTEN)

    def rate_limits(self, party: Party, session_id: str | None) -> tuple[tuple[str, int], ...]:
        """The per-party and per-session requests-per-minute buckets in force (0 = no limit).

        Every way in counts into the same buckets; a request for no session (a station-level
        profile) counts for the party only.
        """
        limits = self._settings.ocpi
        checks = (
            (f"party:{party.key}", limits.rate_limit_party_per_minute),
            (f"session:{party.key}:{session_id}", limits.rate_limit_session_per_minute if session_id else 0),
        )
        return tuple((key, limit) for key, limit in checks if limit)

    async def _admit(
        self, party: Party, session_id: str, response_url: str, admitted: Admitted
    ) -> tuple[Session, StationInfo] | ChargingProfileResponse:
        structlog.contextvars.bind_contextvars(session_id=session_id)  # the request's later lines too
        session = admitted.session
        if session is None or not session.active:
            log.info("profile_request_unknown_session", session_id=session_id, party=party.key)
            return _answer(ChargingProfileResponseType.UNKNOWN_SESSION)
        structlog.contextvars.bind_contextvars(station_id=session.station_id)
        if not may_steer(party, session, self._settings.ocpi.token_owners):
            log.info("profile_request_not_owner", session_id=session_id, party=party.key)
            return _answer(ChargingProfileResponseType.REJECTED)
        try:
            await check_callback_url(party, response_url)
        except CallbackRefused as exc:
            log.info("profile_request_callback_refused", session_id=session_id, reason=exc.reason)
            return _answer(ChargingProfileResponseType.REJECTED)
        station = admitted.station
        if station is None:
            log.info("profile_request_station_offline", session_id=session_id, station_id=session.station_id)
            return _answer(ChargingProfileResponseType.REJECTED)
        return session, station

    def _dry_run(
        self, session: Session, station: StationInfo, profile: ChargingProfile
    ) -> ChargingProfileResponse | None:
        """Translate once now so a profile the station cannot take is refused synchronously."""
        target = profile_target(
            session, station.capabilities, self._settings, session.charging_profile_id or 1
        )
        try:
            to_set_charging_profile(station.protocol, profile, target)
        except NotSupportedByStation as exc:
            log.info("profile_request_not_supported", session_id=session.session_id, reason=exc.reason)
            return _answer(ChargingProfileResponseType.NOT_SUPPORTED)
        except TranslationError as exc:
            log.info("profile_request_untranslatable", session_id=session.session_id, reason=exc.reason)
            return _answer(ChargingProfileResponseType.REJECTED)
        return None

    async def _enqueue(
        self,
        kind: JobKind,
        party: Party,
        claimed: Claimed,
        session: Session,
        station: StationInfo,
        response_url: str,
        ctx: RequestContext,
        *,
        profile: ChargingProfile | None = None,
        duration: int | None = None,
    ) -> ChargingProfileResponse:
        """Store the job and the ACCEPTED answer for its X-Request-ID together, then answer."""
        now = self._clock()
        timeout = self.announced_timeout(claimed.admitted.pending)
        job = Job(
            kind=kind,
            party=party.key,
            session_id=session.session_id,
            station_id=session.station_id,
            response_url=response_url,
            created=now,
            deadline=now + timeout,
            request_id=ctx.request_id,
            correlation_id=ctx.correlation_id,
            profile=profile,
            duration=duration,
        )
        answer = _answer(ChargingProfileResponseType.ACCEPTED, timeout)
        try:
            await self._backend.admission.accept(
                job, station.node, claimed.key, answer.model_dump_json(), claimed.ttl
            )
        except BackendError:
            log.error("profile_request_not_stored", session_id=session.session_id)
            raise
        claimed.settled = True
        log.info(
            "profile_request_accepted",
            job_id=job.job_id,
            kind=kind.value,
            session_id=session.session_id,
            station_id=session.station_id,
            party=party.key,
            timeout=timeout,
        )
        return answer

    def announced_timeout(self, pending: int) -> int:
        """``ocpi.result_timeout``, stretched when calls already queue for the station.

        Each queued call may take up to ``ocpp.call_timeout``; the result then still needs
        time to reach the SCSP.
        """
        needed = self._settings.ocpp.call_timeout * (pending + 1) + DELIVERY_RESERVE
        return max(self._settings.ocpi.result_timeout, math.ceil(needed))

    async def reapply_after_reconnect(self, link: StationLink) -> int:
        """Queue the SCSP profiles of a station's active sessions again after it reconnected.

        A reboot or a dropped link must not silently drop an SCSP's limit. The re-applied
        profile reuses the session's profile id, so it replaces rather than stacks.
        """
        now = self._clock()
        count = 0
        for session in await self._sessions.active_for_station(link.station_id):
            if session.applied_profile is None:
                continue
            job = Job(
                kind=JobKind.REAPPLY,
                party=session.applied_by,
                session_id=session.session_id,
                station_id=session.station_id,
                created=now,
                deadline=now + self._settings.ocpi.result_timeout,
            )
            await self._backend.jobs.put(job)
            count += 1
        if count:
            log.info("profiles_reapply_queued", station_id=link.station_id, count=count)
        return count
