"""The CPO's levers over steering: a station-wide maximum, and clearing a session's profile.

``PUT /admin/stations/{station_id}/limit`` is what a CPO's own load management uses to cap
a whole station (a grid connection, a building's fuse). It becomes a stored ``JobKind.LIMIT``
job, so it runs on the node that holds the station, in order with the SCSPs' calls to it.
The job sends the gateway's ChargePointMaxProfile / ChargingStationMaxProfile
(``translate/station_limit.py``) or clears exactly that profile, and then records a
``StationLimit`` profile event on the station's active sessions, which makes
``pushes.py`` tell their steering partners what they may draw now.

``DELETE /admin/sessions/{session_id}/profile`` clears the gateway's profile of a session
(a CLEAR job with no partner and no callback); its steering partners are then told too.
Both answer with the stored job; its outcome stays readable through ``core/outcomes.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from ocpi_gateway.backend.base import Backend
from ocpi_gateway.config import Settings
from ocpi_gateway.core import outcomes
from ocpi_gateway.core.jobs import StationCall
from ocpi_gateway.core.pushes import STATION_LIMIT
from ocpi_gateway.domain import Electrical, Job, JobKind, Session
from ocpi_gateway.errors import NotSupportedByStation, TranslationError
from ocpi_gateway.models.ocpi import (
    AnyResult,
    ChargingProfile,
    ChargingProfilePeriod,
    ChargingProfileResult,
    ChargingProfileResultType,
    ChargingRateUnit,
)
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.driver import StationLink
from ocpi_gateway.timeutil import utcnow
from ocpi_gateway.translate.results import clear_result, set_result
from ocpi_gateway.translate.station_limit import to_clear_station_limit, to_set_station_limit

log = structlog.get_logger(__name__)

# How long the job's outcome stays readable (``outcomes.read``) after it ran.
OUTCOME_TTL = 3600


class CpoLevers:
    """Queues the CPO's jobs (station limit, session clear) and runs the station-limit ones."""

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

    async def request(
        self, station_id: str, limit: float | None, unit: ChargingRateUnit, correlation_id: str
    ) -> Job | None:
        """Store a job that sets (``limit``) or clears (``None``) the station's maximum.

        Returns ``None`` when the station is connected to no node (nothing is stored).

        Raises:
            BackendError: the job could not be stored.
        """
        station = await self._backend.stations.lookup(station_id)
        if station is None:
            return None
        profile = None
        if limit is not None:
            profile = ChargingProfile(
                charging_rate_unit=unit,
                charging_profile_period=[ChargingProfilePeriod(start_period=0, limit=limit)],
            )
        now = self._clock()
        job = Job(
            kind=JobKind.LIMIT,
            session_id="",
            station_id=station_id,
            created=now,
            deadline=now + self._settings.ocpi.result_timeout,
            correlation_id=correlation_id,
            profile=profile,
            outcome_ttl=OUTCOME_TTL,
        )
        await outcomes.announce(self._backend, job)
        await self._backend.jobs.put(job, station.node)
        log.info(
            "station_limit_queued", station_id=station_id, limit=limit, unit=unit.value, job_id=job.job_id
        )
        return job

    async def clear_session_profile(self, session: Session, correlation_id: str) -> Job:
        """Store a CLEAR job for the session's gateway profile on behalf of the CPO (no partner).

        Raises:
            BackendError: the job could not be stored.
        """
        now = self._clock()
        job = Job(
            kind=JobKind.CLEAR,
            session_id=session.session_id,
            station_id=session.station_id,
            created=now,
            deadline=now + self._settings.ocpi.result_timeout,
            correlation_id=correlation_id,
            outcome_ttl=OUTCOME_TTL,
        )
        await outcomes.announce(self._backend, job)
        await self._backend.jobs.put(job)
        log.info("session_profile_clear_queued", session_id=session.session_id, job_id=job.job_id)
        return job

    async def run_limit(
        self, job: Job, session: Session | None, link: StationLink, call: StationCall
    ) -> AnyResult:
        """Send the maximum (or its clear) to the station; on success, tell the steering partners.

        Station failures propagate to ``JobRunner`` (the job then ends REJECTED).
        """
        ocpp = self._settings.ocpp
        try:
            if job.profile is None:
                payload = to_clear_station_limit(link.protocol, profile_id=ocpp.station_limit_profile_id)
                result = clear_result(link.protocol, await call(payload))
            else:
                payload = to_set_station_limit(
                    link.protocol,
                    limit=job.profile.charging_profile_period[0].limit,
                    unit=job.profile.charging_rate_unit.value,
                    profile_id=ocpp.station_limit_profile_id,
                    stack_level=ocpp.station_limit_stack_level,
                    capabilities=link.capabilities,
                    electrical=Electrical(voltage=ocpp.voltage, phases=ocpp.default_phases),
                    now=utcnow(),
                )
                result = set_result(link.protocol, await call(payload))
        except (NotSupportedByStation, TranslationError) as exc:
            log.info("station_limit_untranslatable", reason=str(exc))
            return ChargingProfileResult(result=ChargingProfileResultType.REJECTED)
        log.info("station_limit_applied", cleared=job.profile is None, result=result.value)
        if result is ChargingProfileResultType.ACCEPTED:
            await self._sessions.record_profile_event(job.station_id, STATION_LIMIT)
        return ChargingProfileResult(result=result)
