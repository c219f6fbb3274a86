"""Job outcomes: stored with a TTL in both backends, waited for and polled; the API on Redis."""

from __future__ import annotations

from typing import Any

import pytest

from ocpi_gateway.backend.base import Backend
from ocpi_gateway.backend.memory import MemoryBackend
from ocpi_gateway.backend.redis.backend import RedisBackend
from ocpi_gateway.config import RedisSettings
from ocpi_gateway.core import outcomes
from ocpi_gateway.domain import Job, JobKind
from ocpi_gateway.models.ocpi import ChargingProfileResult, ChargingProfileResultType
from tests.api.support import AXLE_BODY, api
from tests.conftest import SCSP_TOKEN, GatewayFactory, StationFactory
from tests.e2e.test_flows import started


@pytest.fixture(params=["embedded", "redis"])
async def backend(request: pytest.FixtureRequest) -> Any:
    if request.param == "embedded":
        yield MemoryBackend("n1")
        return
    settings: dict[str, Any] = request.getfixturevalue("redis_settings")
    redis_backend = RedisBackend(RedisSettings(**settings), "n1")
    yield redis_backend
    await redis_backend.close()


def job(ttl: int | None = 60) -> Job:
    return Job(kind=JobKind.OCPP_STATION, party="NL*SCS", session_id="", station_id="CS-1", created=1.0,
               deadline=2.0, outcome_ttl=ttl)  # fmt: skip


class TestOutcomes:
    async def test_pending_then_done(self, backend: Backend) -> None:
        """announce stores pending; record replaces it with done and the result."""
        made = job()
        await outcomes.announce(backend, made)
        pending = await outcomes.read(backend, made.job_id)
        assert pending is not None
        assert pending.state == "pending"
        await outcomes.record(backend, made, ChargingProfileResult(result=ChargingProfileResultType.ACCEPTED))
        done = await outcomes.wait(backend, made.job_id, 1.0)
        assert done is not None
        assert done.done
        assert done.result == {"result": "ACCEPTED"}

    async def test_wait_gives_up_with_the_pending_outcome(self, backend: Backend) -> None:
        """A job not done within the wait comes back pending rather than blocking."""
        made = job()
        await outcomes.announce(backend, made)
        seen = await outcomes.wait(backend, made.job_id, 0.1)
        assert seen is not None
        assert seen.state == "pending"

    async def test_jobs_without_ttl_keep_no_outcome(self, backend: Backend) -> None:
        """Ordinary OCPI jobs (no outcome_ttl) store nothing."""
        made = job(ttl=None)
        await outcomes.announce(backend, made)
        assert await outcomes.read(backend, made.job_id) is None


async def test_memory_outcomes_expire() -> None:
    """An outcome past its TTL is gone."""
    backend = MemoryBackend()
    await backend.outcomes.put("j", "{}", ttl=0)
    assert await backend.outcomes.get("j") is None


async def test_api_answers_on_the_redis_backend(
    gateway_factory: GatewayFactory, station_factory: StationFactory, redis_settings: dict[str, Any]
) -> None:
    """With Redis the job goes through the node's stream and its outcome through Redis."""
    gateway = await gateway_factory(redis=redis_settings)
    _, session_id = await started(station_factory, gateway, "ocpp2.0.1", max_stack_level=2000)
    response = await api(
        "PUT", gateway.base_url, f"/api/v1/sessions/{session_id}/charging-profile", SCSP_TOKEN, json=AXLE_BODY
    )
    assert response.status_code == 200
    assert response.json()["status"] == "Accepted"
    polled = await api("GET", gateway.base_url, response.json()["jobUrl"], SCSP_TOKEN)
    assert polled.json()["status"] == "Accepted"
