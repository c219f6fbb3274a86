"""The synchronous half of a ChargingProfiles request: decide the answer, store the job.

Views parse HTTP and call one method here. The answer is ACCEPTED only after the job is
stored in the backend; every cheaper refusal (unknown session, foreign session, callback
host not allowed, station offline, a profile the station cannot take) is decided first,
so a refused request changes nothing. Knows OCPI and the translation's dry run, never a
socket.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from ocpi_gateway.backend.base import Backend
from ocpi_gateway.config import Settings
from ocpi_gateway.domain import Electrical, Job, JobKind, Session
from ocpi_gateway.errors import BackendError, BackendUnavailable, NotSupportedByStation, TranslationError
from ocpi_gateway.ocpi.models import (
    ChargingProfile,
    ChargingProfileResponse,
    ChargingProfileResponseType,
    SetChargingProfile,
)
from ocpi_gateway.parties import Party
from ocpi_gateway.sessions import SessionRegistry
from ocpi_gateway.stations.driver import StationDirectory, StationLink
from ocpi_gateway.translate.profiles import ProfileTarget, to_set_charging_profile

log = structlog.get_logger(__name__)

# Seconds kept free after the station call for posting the result before the deadline.
DELIVERY_RESERVE = 10.0


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Ids that travel with one OCPI request into its job, logs and callback."""

    request_id: str
    correlation_id: str


def _answer(result: ChargingProfileResponseType, timeout: int = 0) -> ChargingProfileResponse:
    return ChargingProfileResponse(result=result, timeout=timeout)


def profile_target(session: Session, link: StationLink, settings: Settings, profile_id: int) -> ProfileTarget:
    """Where a session's profile goes on its station, and with which conversion settings."""
    return ProfileTarget(
        connector_id=session.evse_id,
        transaction_id=session.transaction_id,
        profile_id=profile_id,
        stack_level=settings.ocpp.stack_level,
        capabilities=link.capabilities,
        electrical=Electrical(voltage=settings.ocpp.voltage, phases=settings.ocpp.default_phases),
    )


class Steering:
    """PUT / GET / DELETE use cases of the ChargingProfiles Receiver interface."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        sessions: SessionRegistry,
        stations: StationDirectory,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._backend = backend
        self._sessions = sessions
        self._stations = stations
        self._clock = clock

    async def set_profile(
        self, party: Party, session_id: str, request: SetChargingProfile, ctx: RequestContext
    ) -> ChargingProfileResponse:
        """PUT: UNKNOWN_SESSION, REJECTED, NOT_SUPPORTED, or ACCEPTED once the job is stored.

        Raises:
            BackendUnavailable: the session could not be read or the job not stored.
        """
        admitted = await self._admit(party, session_id, request.response_url)
        if isinstance(admitted, ChargingProfileResponse):
            return admitted
        session, link = admitted
        refusal = self._dry_run(session, link, request.charging_profile)
        if refusal is not None:
            return refusal
        return await self._enqueue(
            JobKind.SET, party, session, request.response_url, ctx, profile=request.charging_profile
        )

    async def get_profile(
        self, party: Party, session_id: str, duration: int, response_url: str, ctx: RequestContext
    ) -> ChargingProfileResponse:
        """GET: ask the station for its composite schedule over ``duration`` seconds."""
        admitted = await self._admit(party, session_id, response_url)
        if isinstance(admitted, ChargingProfileResponse):
            return admitted
        session, _link = admitted
        return await self._enqueue(JobKind.GET, party, session, response_url, ctx, duration=duration)

    async def clear_profile(
        self, party: Party, session_id: str, response_url: str, ctx: RequestContext
    ) -> ChargingProfileResponse:
        """DELETE: clear the gateway's profile for the session (never other profiles)."""
        admitted = await self._admit(party, session_id, response_url)
        if isinstance(admitted, ChargingProfileResponse):
            return admitted
        session, _link = admitted
        return await self._enqueue(JobKind.CLEAR, party, session, response_url, ctx)

    async def _admit(
        self, party: Party, session_id: str, response_url: str
    ) -> tuple[Session, StationLink] | ChargingProfileResponse:
        try:
            session = await self._sessions.get(session_id)
        except BackendError as exc:
            raise BackendUnavailable() from exc
        if session is None or not session.active:
            log.info("profile_request_unknown_session", session_id=session_id, party=party.key)
            return _answer(ChargingProfileResponseType.UNKNOWN_SESSION)
        if session.owner is not None and session.owner != party.key:
            log.info("profile_request_not_owner", session_id=session_id, party=party.key)
            return _answer(ChargingProfileResponseType.REJECTED)
        if not party.callback_host_allowed(response_url):
            log.info("profile_request_callback_host_refused", session_id=session_id, party=party.key)
            return _answer(ChargingProfileResponseType.REJECTED)
        link = self._stations.get(session.station_id)
        if link is None:
            log.info("profile_request_station_offline", session_id=session_id, station_id=session.station_id)
            return _answer(ChargingProfileResponseType.REJECTED)
        return session, link

    def _dry_run(
        self, session: Session, link: StationLink, profile: ChargingProfile
    ) -> ChargingProfileResponse | None:
        """Translate once now so a profile the station cannot take is refused synchronously."""
        target = profile_target(session, link, self._settings, session.charging_profile_id or 1)
        try:
            to_set_charging_profile(link.protocol, profile, target)
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
        session: Session,
        response_url: str,
        ctx: RequestContext,
        *,
        profile: ChargingProfile | None = None,
        duration: int | None = None,
    ) -> ChargingProfileResponse:
        now = self._clock()
        try:
            pending = await self._backend.jobs.pending(session.station_id)
            timeout = self.announced_timeout(pending)
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
            await self._backend.jobs.put(job)
        except BackendError as exc:
            log.error("profile_request_not_stored", session_id=session.session_id, error=str(exc))
            raise BackendUnavailable() from exc
        log.info(
            "profile_request_accepted",
            job_id=job.job_id,
            kind=kind.value,
            session_id=session.session_id,
            station_id=session.station_id,
            party=party.key,
            timeout=timeout,
        )
        return _answer(ChargingProfileResponseType.ACCEPTED, timeout)

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
