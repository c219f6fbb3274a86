"""A bounded in-process record of recent jobs and learnt composite schedules, for the status page.

The backend keeps what the gateway *must* not lose (sessions, queued jobs); this keeps
what an operator wants to *look at*: which jobs ran lately and how they ended, and the
last composite schedule each session's station reported. It lives in memory, bounded, and
per process: in a multi-node deployment each node shows the jobs it ran itself (a job runs
on the node that holds its station's websocket) and forgets them on restart.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ocpi_gateway.domain import Job
from ocpi_gateway.models.ocpi import ActiveChargingProfile, ActiveChargingProfileResult, AnyResult
from ocpi_gateway.timeutil import utcnow

MAX_JOBS = 200
MAX_COMPOSITES = 500

CompositeSource = Literal["get_job", "live"]


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One finished job: what was asked, by whom, and how it ended.

    ``delivered`` is None for jobs the gateway made itself (no ``response_url``).
    """

    job_id: str
    kind: str
    session_id: str
    station_id: str
    party: str | None
    request_id: str
    correlation_id: str
    created: float
    finished: float
    result: str
    delivered: bool | None


@dataclass(frozen=True, slots=True)
class CompositeRecord:
    """The composite schedule a station reported for a session, and when we learnt it."""

    session_id: str
    station_id: str
    learned_at: datetime
    profile: ActiveChargingProfile
    source: CompositeSource


class History:
    """Recent jobs (newest last, at most ``max_jobs``) and the latest composite per session."""

    def __init__(self, max_jobs: int = MAX_JOBS, max_composites: int = MAX_COMPOSITES) -> None:
        self._jobs: deque[JobRecord] = deque(maxlen=max_jobs)
        self._composites: OrderedDict[str, CompositeRecord] = OrderedDict()
        self._max_composites = max_composites

    def record_job(
        self, job: Job, result: AnyResult, delivered: bool, *, finished: float | None = None
    ) -> None:
        """Keep a finished job; a GET's composite schedule is kept for the session's chart."""
        self._jobs.append(
            JobRecord(
                job_id=job.job_id,
                kind=job.kind.value,
                session_id=job.session_id,
                station_id=job.station_id,
                party=job.party,
                request_id=job.request_id,
                correlation_id=job.correlation_id,
                created=job.created,
                finished=time.time() if finished is None else finished,
                result=result.result.value,
                delivered=delivered if job.response_url is not None else None,
            )
        )
        if isinstance(result, ActiveChargingProfileResult) and result.profile is not None:
            self.record_composite(job.session_id, job.station_id, result.profile, "get_job")

    def record_composite(
        self, session_id: str, station_id: str, profile: ActiveChargingProfile, source: CompositeSource
    ) -> None:
        """Remember the latest composite schedule of a session (oldest sessions drop out first)."""
        self._composites.pop(session_id, None)
        self._composites[session_id] = CompositeRecord(session_id, station_id, utcnow(), profile, source)
        while len(self._composites) > self._max_composites:
            self._composites.popitem(last=False)

    def recent_jobs(self, *, session_id: str | None = None, limit: int | None = None) -> list[JobRecord]:
        """Finished jobs, newest first (of one session when given)."""
        jobs = [j for j in reversed(self._jobs) if session_id is None or j.session_id == session_id]
        return jobs if limit is None else jobs[:limit]

    def composite(self, session_id: str) -> CompositeRecord | None:
        """The latest composite schedule learnt for the session, if any."""
        return self._composites.get(session_id)
