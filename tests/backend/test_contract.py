"""The backend contract, run against the embedded backend and real Redis alike."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from ocpi_gateway.backend.base import Backend, Claim
from ocpi_gateway.backend.parties import PartyRecord
from ocpi_gateway.domain import Capabilities, Job, JobKind, OcppVersion, Session, SessionStatus, StationInfo
from tests.backend.conftest import BackendFactory


def session(session_id: str = "S1", station_id: str = "CS-1", tx: str = "42") -> Session:
    return Session(
        session_id=session_id,
        station_id=station_id,
        transaction_id=tx,
        ocpp_version=OcppVersion.V16,
        started_at=datetime(2030, 1, 1, tzinfo=UTC),
    )


def job(station_id: str = "CS-1", session_id: str = "S1") -> Job:
    now = time.time()
    return Job(kind=JobKind.SET, session_id=session_id, station_id=station_id, created=now, deadline=now + 30)


def station(station_id: str, node: str) -> StationInfo:
    return StationInfo(
        station_id=station_id,
        protocol=OcppVersion.V201,
        node=node,
        connected_at=datetime(2030, 1, 1, tzinfo=UTC),
        capabilities=Capabilities(allowed_units=frozenset({"A"}), max_periods=5, reported=True),
    )


class TestSessions:
    async def test_put_get_and_find_by_transaction(self, backend: Backend) -> None:
        """A stored session is found by id and by (station, transaction)."""
        await backend.sessions.put(session())
        assert (await backend.sessions.get("S1")) == session()
        found = await backend.sessions.find_by_transaction("CS-1", "42")
        assert found is not None
        assert found.session_id == "S1"
        assert await backend.sessions.get("nope") is None

    async def test_list_by_station_and_delete(self, backend: Backend) -> None:
        """Listing filters by station; a deleted session is gone everywhere."""
        await backend.sessions.put(session("S1", "CS-1", "1"))
        await backend.sessions.put(session("S2", "CS-2", "2"))
        assert [s.session_id for s in await backend.sessions.list("CS-2")] == ["S2"]
        assert {s.session_id for s in await backend.sessions.list()} == {"S1", "S2"}
        await backend.sessions.delete("S1")
        assert await backend.sessions.get("S1") is None
        assert await backend.sessions.find_by_transaction("CS-1", "1") is None

    async def test_a_read_session_is_a_copy(self, backend: Backend) -> None:
        """Editing what get/find/list returned changes nothing stored until it is put back."""
        await backend.sessions.put(session())
        for read in (
            await backend.sessions.get("S1"),
            await backend.sessions.find_by_transaction("CS-1", "42"),
            (await backend.sessions.list())[0],
        ):
            assert read is not None
            read.status = SessionStatus.COMPLETED
            read.steered_by.append("NL*SCS")
            read.usage.meter_wh = 5.0
        assert (await backend.sessions.get("S1")) == session()

    async def test_update_is_visible_to_other_nodes(self, make_backend: BackendFactory) -> None:
        """A session completed on one node is completed for every node."""
        a, b = make_backend("node-a"), make_backend("node-b")
        await a.sessions.put(session())
        ended = session()
        ended.status = SessionStatus.COMPLETED
        await a.sessions.put(ended)
        seen = await b.sessions.get("S1")
        assert seen is not None
        assert seen.status is SessionStatus.COMPLETED


class TestJobs:
    async def test_put_get_ack_and_pending(self, backend: Backend) -> None:
        """A stored job comes back from get, counts as pending until acked."""
        stored = job()
        await backend.jobs.put(stored)
        assert await backend.jobs.pending("CS-1") == 1
        taken = await asyncio.wait_for(backend.jobs.get(), 5)
        assert taken.job_id == stored.job_id
        assert taken.model_dump() == stored.model_dump()
        await backend.jobs.ack(taken)
        assert await backend.jobs.pending("CS-1") == 0

    async def test_the_first_claimed_answer_is_the_one_delivered(self, backend: Backend) -> None:
        """Nobody answered yet: an empty claim. Then the first answer claimed is kept for delivery."""
        stored = job()
        await backend.jobs.put(stored)
        taken = await asyncio.wait_for(backend.jobs.get(), 5)
        assert await backend.jobs.claim_result(taken, None) == Claim()
        first = await backend.jobs.claim_result(taken, '{"result":"ACCEPTED"}')
        assert first == Claim(deliver='{"result":"ACCEPTED"}')
        again = await backend.jobs.claim_result(taken, '{"result":"REJECTED"}')
        assert again == Claim(deliver='{"result":"ACCEPTED"}')  # the station's first answer stands
        assert await backend.jobs.claim_result(taken, None) == first
        await backend.jobs.ack(taken)


class TestIds:
    async def test_transaction_ids_are_unique_across_nodes(self, make_backend: BackendFactory) -> None:
        """Concurrent allocations on two nodes never give the same 1.6 transaction id."""
        a, b = make_backend("node-a"), make_backend("node-b")
        ids = await asyncio.gather(*(n.next_transaction_id() for n in [a, b] * 50))
        assert len(set(ids)) == 100
        assert all(0 < i < 2**31 for i in ids)

    async def test_profile_ids_are_unique_per_station(self, make_backend: BackendFactory) -> None:
        """Profile ids never repeat for one station, whichever node allocates them."""
        a, b = make_backend("node-a"), make_backend("node-b")
        ids = await asyncio.gather(*(n.next_profile_id("CS-1") for n in [a, b] * 20))
        assert len(set(ids)) == 40


class TestGuards:
    async def test_idempotency_claim_settle_release(self, backend: Backend) -> None:
        """The first claim wins; twins see "" until settled, then the answer; release frees the key."""
        guards = backend.guards
        assert await guards.claim("k", 60) is None
        assert await guards.claim("k", 60) == ""
        await guards.settle("k", "answer", 60)
        assert await guards.claim("k", 60) == "answer"
        await guards.release("k")
        assert await guards.claim("k", 60) is None

    async def test_rate_buckets_count(self, backend: Backend) -> None:
        """Each hit in a window counts once; keys are independent."""
        counts = [await backend.guards.hit("party:X", 60) for _ in range(3)]
        assert counts == [1, 2, 3]
        assert await backend.guards.hit("party:Y", 60) == 1


class TestStationRegistry:
    async def test_up_lookup_down(self, make_backend: BackendFactory) -> None:
        """Presence published by one node is seen by another; only the holder's 'down' removes it."""
        a, b = make_backend("node-a"), make_backend("node-b")
        await a.stations.up(station("CS-1", a.node_id))
        await heartbeat(a)
        seen = await b.stations.lookup("CS-1")
        assert seen is not None
        assert seen.node == a.node_id
        assert seen.capabilities.allowed_units == frozenset({"A"})
        assert seen.capabilities.max_periods == 5
        await b.stations.down("CS-1", "some-other-node")
        assert await b.stations.lookup("CS-1") is not None
        await a.stations.down("CS-1", a.node_id)
        assert await b.stations.lookup("CS-1") is None


class TestParties:
    async def test_put_reindexes_the_token_digest(self, make_backend: BackendFactory) -> None:
        """A new token digest replaces the old one: the old token finds nobody, on any node."""
        a, b = make_backend("node-a"), make_backend("node-b")
        record = PartyRecord(country_code="NL", party_id="JDX", token_digest="d1")
        await a.parties.put(record)
        assert (await b.parties.get_by_digest("d1")) == record
        rotated = record.model_copy(update={"token_digest": "d2", "status": "registered"})
        await a.parties.put(rotated)
        assert await b.parties.get_by_digest("d1") is None
        found = await b.parties.get("nl*jdx")
        assert found is not None
        assert found.status == "registered"
        assert [p.key for p in await b.parties.list_all()] == ["NL*JDX"]
        await b.parties.delete("NL*JDX")
        assert await a.parties.get("NL*JDX") is None
        assert await a.parties.get_by_digest("d2") is None


async def heartbeat(backend: Backend) -> None:
    """Mark a node alive now (the Redis maintenance loop does this in production)."""
    jobs = backend.jobs
    if hasattr(jobs, "heartbeat"):
        await jobs.heartbeat()
