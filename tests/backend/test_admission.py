"""The combined calls of the backend contract (admission, compare-and-set), on embedded and Redis."""

from __future__ import annotations

import asyncio

from ocpi_gateway.backend.base import AdmissionRequest, Backend
from ocpi_gateway.domain import SessionStatus
from tests.backend.conftest import BackendFactory
from tests.backend.test_contract import heartbeat, job, session, station


def request(
    key: str = "idem:1", session_id: str = "S1", rate_limits: tuple[tuple[str, int], ...] = ()
) -> AdmissionRequest:
    return AdmissionRequest(key, 60, session_id, rate_limits)


class TestAdmit:
    async def test_claims_then_reads_session_station_and_pending(self, make_backend: BackendFactory) -> None:
        """The first admit claims the key and reads all the decision needs, on any node."""
        a, b = make_backend("node-a"), make_backend("node-b")
        await a.sessions.put(session())
        await a.stations.up(station("CS-1", a.node_id))
        await heartbeat(a)
        await a.jobs.put(job())
        admitted = await b.admission.admit(request())
        assert admitted.claimed
        assert admitted.over_limit is None
        assert admitted.session == session()
        assert admitted.station is not None
        assert admitted.station.node == a.node_id
        assert admitted.station.capabilities.max_periods == 5
        assert admitted.pending == 1

    async def test_unknown_session_and_offline_station(self, backend: Backend) -> None:
        """No session: nothing read; a session whose station is nowhere: no station, no pending."""
        nothing = await backend.admission.admit(request("idem:1", "nope"))
        assert nothing.claimed
        assert nothing.session is None
        assert nothing.station is None
        await backend.sessions.put(session())
        offline = await backend.admission.admit(request("idem:2"))
        assert offline.session == session()
        assert offline.station is None
        assert offline.pending == 0

    async def test_twin_sees_in_progress_then_the_stored_answer(self, backend: Backend) -> None:
        """A repeated key is not claimed: "" while being answered, the answer once accepted with its job."""
        await backend.sessions.put(session())
        assert (await backend.admission.admit(request())).claimed
        twin = await backend.admission.admit(request())
        assert twin.previous == ""
        assert twin.session is None  # nothing read for a twin
        await backend.admission.accept(job(), None, "idem:1", '{"result":"ACCEPTED"}', 60)
        assert (await backend.admission.admit(request())).previous == '{"result":"ACCEPTED"}'
        assert await backend.guards.claim("idem:1", 60) == '{"result":"ACCEPTED"}'

    async def test_rate_limits_stop_at_the_first_bucket_over_its_limit(self, backend: Backend) -> None:
        """Buckets count per admitted request; the first over its limit is named, later ones untouched."""
        limits = (("party:P", 2), ("session:P:S1", 5))
        results = [await backend.admission.admit(request(f"idem:{i}", rate_limits=limits)) for i in range(3)]
        assert [r.over_limit for r in results] == [None, None, "party:P"]
        assert await backend.guards.hit("session:P:S1", 60) == 3  # the third request stopped before it

    async def test_accept_stores_the_job_for_its_node(self, backend: Backend) -> None:
        """An accepted job is pending and comes out of the queue like a put one."""
        stored = job()
        await backend.admission.accept(stored, backend.node_id, "idem:1", "{}", 60)
        assert await backend.jobs.pending("CS-1") == 1
        taken = await asyncio.wait_for(backend.jobs.get(), 5)
        assert taken.job_id == stored.job_id
        await backend.jobs.ack(taken)
        assert await backend.jobs.pending("CS-1") == 0


class TestSwap:
    async def test_swap_writes_only_over_the_session_it_expects(self, make_backend: BackendFactory) -> None:
        """Compare and set: a session changed by another node meanwhile is not overwritten."""
        a, b = make_backend("node-a"), make_backend("node-b")
        original = session()
        await a.sessions.put(original)
        read = await b.sessions.get("S1")
        assert read is not None
        changed = read.model_copy(update={"charging_profile_id": 1000})
        assert await b.sessions.swap(read, changed)
        assert await a.sessions.get("S1") == changed
        ended = changed.model_copy(update={"status": SessionStatus.COMPLETED})
        await a.sessions.put(ended)
        stale = changed.model_copy(update={"applied_by": "NL*SCS"})
        assert not await b.sessions.swap(changed, stale)
        assert await b.sessions.get("S1") == ended
        assert not await b.sessions.swap(session("gone"), session("gone"))
        assert await b.sessions.get("gone") is None
