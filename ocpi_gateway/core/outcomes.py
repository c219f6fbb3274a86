"""Job outcomes: the result of a job nobody POSTs anywhere, kept for a caller that waits or polls.

OCPI jobs report to the SCSP's ``response_url``. Some callers have no callback URL: the
OCPP-format API (``/api/v1``) answers with the station's answer after a bounded wait, or
202 with a job URL to poll; an admin endpoint may do the same. Such a job carries
``outcome_ttl``; the caller marks it *pending* before storing the job
(:func:`announce`), the job runner records *done* with the result (:func:`record`), and
the caller :func:`wait`\\ s or reads it (:func:`read`). Outcomes live in the backend with
that TTL, so with Redis any node can answer the poll.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ocpi_gateway.backend.base import Backend
from ocpi_gateway.domain import Job
from ocpi_gateway.models.ocpi import AnyResult

# Polling starts fast (a station usually answers in tens of milliseconds) and slows down.
POLL_FIRST_SECONDS = 0.02
POLL_MAX_SECONDS = 0.25


class JobOutcome(BaseModel):
    """A job as a polling caller sees it: who asked, and its result once it is done."""

    model_config = ConfigDict(extra="ignore")

    job_id: str
    kind: str
    party: str | None = None
    session_id: str | None = None
    station_id: str
    state: Literal["pending", "done"]
    created: float
    finished: float | None = None
    # The job's result as JSON: an OCPI result object, or a richer one for the ocpp_* kinds.
    result: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return self.state == "done"


def _outcome(job: Job, state: Literal["pending", "done"], result: dict[str, Any] | None) -> JobOutcome:
    return JobOutcome(
        job_id=job.job_id,
        kind=job.kind.value,
        party=job.party,
        session_id=job.session_id or None,
        station_id=job.station_id,
        state=state,
        created=job.created,
        finished=time.time() if state == "done" else None,
        result=result,
    )


async def announce(backend: Backend, job: Job) -> None:
    """Mark the job pending; call it *before* the job is stored so "done" can never be overwritten.

    Raises:
        BackendError: the outcome could not be stored (then do not store the job either).
    """
    if job.outcome_ttl:
        await backend.outcomes.put(
            job.job_id, _outcome(job, "pending", None).model_dump_json(), job.outcome_ttl
        )


async def record(backend: Backend, job: Job, result: AnyResult) -> None:
    """Store the job's terminal result (the job runner calls this for jobs with ``outcome_ttl``)."""
    if job.outcome_ttl:
        done = _outcome(job, "done", result.to_json_dict())
        await backend.outcomes.put(job.job_id, done.model_dump_json(), job.outcome_ttl)


async def read(backend: Backend, job_id: str) -> JobOutcome | None:
    """The outcome as stored now; ``None`` when the job is unknown or its outcome expired."""
    raw = await backend.outcomes.get(job_id)
    return None if raw is None else JobOutcome.model_validate_json(raw)


async def wait(backend: Backend, job_id: str, timeout: float) -> JobOutcome | None:
    """Poll until the job is done or ``timeout`` seconds passed; the last outcome seen.

    Polling (rather than a notification) works the same for the embedded backend and for a
    job that runs on another node with Redis.
    """
    loop = asyncio.get_running_loop()
    until = loop.time() + timeout
    pause = POLL_FIRST_SECONDS
    while True:
        outcome = await read(backend, job_id)
        remaining = until - loop.time()
        if (outcome is not None and outcome.done) or remaining <= 0:
            return outcome
        await asyncio.sleep(min(pause, remaining))
        pause = min(pause * 2, POLL_MAX_SECONDS)
