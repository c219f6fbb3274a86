"""A job follows its station when the station reconnects to another node before the deadline."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from structlog.testing import capture_logs

from ocpi_gateway.appkeys import BACKEND
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.domain import Job, JobKind
from tests.conftest import SCSP_TOKEN, GatewayFactory, StationFactory
from tests.e2e.helpers import PROFILE_A, put_profile
from tests.e2e.test_flows import result_at, started


async def test_queued_jobs_follow_the_station_to_another_node(
    gateway_factory: GatewayFactory,
    station_factory: StationFactory,
    mock_scsp: MockScsp,
    redis_settings: dict[str, Any],
) -> None:
    """Two jobs wait on node A (one in flight, one queued); the station moves to node B; both finish there."""
    sections: dict[str, Any] = {
        "redis": redis_settings,
        "ocpp": {"call_timeout": 4},
        "ocpi": {"result_timeout": 20},
    }
    node_a = await gateway_factory(node_id="node-a", **sections)
    node_b = await gateway_factory(node_id="node-b", **sections)
    station, session_id = await started(station_factory, node_a, "ocpp2.0.1", behaviour="silent")
    first, second = mock_scsp.result_url("move-1"), mock_scsp.result_url("move-2")
    for url in (first, second):
        resp = await put_profile(node_b.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        assert resp.json()["data"]["result"] == "ACCEPTED"
    await station.wait_for_call("SetChargingProfile", timeout=10)  # the first call is open on node A
    station.behaviour = "accept"
    station.url = f"{node_b.ws_url}/{station.station_id}"
    with capture_logs() as logs:
        await station.reconnect()
        for url in (first, second):
            assert (await result_at(mock_scsp, url, timeout=20)).body == {"result": "ACCEPTED"}
        await asyncio.sleep(1.0)  # room for a second result, were one coming
    # The station left A first (A saw it go), so A forwards its jobs when it finds the station on B.
    forwarded = [e for e in logs if e["event"] == "job_forwarded"]
    assert len(forwarded) == 2
    assert {e["to_node"] for e in forwarded} == {"node-b"}
    for url in (first, second):
        assert len([r for r in mock_scsp.received if r.method == "POST" and url.endswith(r.path)]) == 1
    assert sum(1 for action, _ in station.received if action == "SetChargingProfile") >= 3


async def test_a_saved_result_is_delivered_without_calling_the_station_again(
    gateway_factory: GatewayFactory, mock_scsp: MockScsp, redis_settings: dict[str, Any]
) -> None:
    """A job reclaimed after its node died with the station's answer saved: only the delivery happens."""
    gateway = await gateway_factory(node_id="node-b", redis=redis_settings)
    backend = gateway.app[BACKEND]
    now = time.time()
    url = mock_scsp.result_url("saved")
    job = Job(
        kind=JobKind.SET,
        party="NL*SCS",
        session_id="S-GONE",
        station_id="NOWHERE",  # no session, no station: calling it again would give REJECTED
        response_url=url,
        created=now,
        deadline=now + 10,
        reclaimed=1,
    )
    await backend.jobs.claim_result(job, '{"result":"ACCEPTED"}')
    await backend.jobs.put(job, "node-b")
    assert (await result_at(mock_scsp, url, timeout=10)).body == {"result": "ACCEPTED"}
