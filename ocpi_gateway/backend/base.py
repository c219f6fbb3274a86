"""The backend interface: sessions, jobs and id allocation, the same for embedded and Redis.

Every ``await`` here may raise :class:`~ocpi_gateway.errors.BackendError`; OCPI views turn
that into ``BackendUnavailable`` so nothing is answered ACCEPTED that was not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ocpi_gateway.backend.parties import PartyStore
from ocpi_gateway.domain import Job, Session, StationInfo

# Sessions' gateway profile ids count up from here, per station (the CPO's station limit has its
# own, ``ocpp.station_limit_profile_id``, 999 by default); other senders' profiles keep clear of them.
FIRST_PROFILE_ID = 1000


class SessionStore(Protocol):
    async def get(self, session_id: str) -> Session | None:
        """The session by OCPI id (ended sessions included, until they expire)."""
        ...

    async def find_by_transaction(self, station_id: str, transaction_id: str) -> Session | None:
        """The session of a station's OCPP transaction id."""
        ...

    async def put(self, session: Session) -> None:
        """Insert or replace."""
        ...

    async def swap(self, old: Session, new: Session) -> bool:
        """Store ``new`` only if the stored session still equals ``old`` (compare and set).

        Lets a writer that already holds the session change it in one round trip; on
        ``False`` it re-reads and tries again (``SessionRegistry.update``).
        """
        ...

    async def delete(self, session_id: str) -> None: ...

    async def list(self, station_id: str | None = None) -> list[Session]:
        """All known sessions (of one station when given), oldest first."""
        ...


class JobQueue(Protocol):
    async def put(self, job: Job, node: str | None = None) -> None:
        """Store the job durably; only after this returns may ACCEPTED be answered.

        ``node`` is the node holding the station when the caller already looked it up.
        """
        ...

    async def get(self) -> Job:
        """Wait for the next job to run on this node."""
        ...

    async def released(self, job: Job) -> bool:
        """Whether the job may run: False when it was withdrawn and must never run (it is acked).

        With ``redis.wait_replicas`` a job is stored before its replicas confirmed it and is
        *held* until its accepting node releases it (WAIT confirmed) or withdraws it (WAIT fell
        short: the request was answered 503). This waits while it is held; it is called in the
        job's own station lane, so a held job never holds up another station's jobs.
        """
        ...

    async def ack(self, job: Job) -> None:
        """The job reached its terminal state (result delivered or given up)."""
        ...

    async def pending(self, station_id: str) -> int:
        """Jobs stored and not yet acknowledged for one station (for the announced timeout)."""
        ...

    async def forward(self, job: Job, node: str) -> None:
        """Hand an unfinished job to the node that now holds its station (atomically with our ack).

        Only an entry this node still holds is forwarded: one already moved with its station
        (``Backend.adopt``) is not sent a second time.
        """
        ...

    async def claim_result(self, job: Job, answer: str | None) -> Claim:
        """Decide who delivers the job's result, so one job never reaches its SCSP twice.

        A job can run in two places: moved with its station while its old node was still at it,
        or reclaimed from a node that died after the station answered. The first process to
        claim with an ``answer`` (OCPI result JSON) delivers it; a later claim gets that answer to
        deliver when its owner has died, and ``elsewhere`` when the owner lives (this waits, bounded
        by the job's deadline, while a live owner is still delivering) or the job was acked.
        With ``answer`` None it only looks: an empty :class:`Claim` means nobody has an answer
        yet and the station must be called.
        """
        ...


@dataclass(frozen=True, slots=True)
class Claim:
    """What :meth:`JobQueue.claim_result` decided for a job's result."""

    # This process delivers this answer (OCPI result JSON): its own, or a dead owner's.
    deliver: str | None = None
    # The result was delivered, or another live process delivers it: only ack.
    elsewhere: bool = False


class StationRegistry(Protocol):
    """Which node holds which station's websocket, with the station's protocol and capabilities."""

    async def up(self, info: StationInfo) -> str | None:
        """The station is connected to ``info.node`` (called again when its capabilities are known).

        Returns the node it was connected to before, when that was another one.
        """
        ...

    async def down(self, station_id: str, node: str) -> None:
        """The station left ``node`` (ignored if it already reconnected elsewhere)."""
        ...

    async def lookup(self, station_id: str) -> StationInfo | None:
        """Where the station is connected now; ``None`` if nowhere or its node is dead."""
        ...


class Guards(Protocol):
    """Idempotency and rate limiting, shared by every node."""

    async def claim(self, key: str, ttl: int) -> str | None:
        """Claim an idempotency key: ``None`` if it is ours now, else the stored answer (or "")."""
        ...

    async def settle(self, key: str, answer: str, ttl: int) -> None:
        """Store the answer for a claimed idempotency key."""
        ...

    async def release(self, key: str) -> None:
        """Give a claimed key up without an answer (the request failed before answering)."""
        ...

    async def hit(self, key: str, window: int) -> int:
        """Count one request in the current ``window``-second bucket of ``key``; returns the count."""
        ...


@dataclass(frozen=True, slots=True)
class AdmissionRequest:
    """What one OCPI ChargingProfiles request claims and reads before it is decided."""

    idempotency_key: str
    idempotency_ttl: int
    session_id: str
    # (bucket key, limit per window), checked in order; the first over its limit stops the rest.
    rate_limits: tuple[tuple[str, int], ...] = ()
    rate_window: int = 60


@dataclass(frozen=True, slots=True)
class Admitted:
    """The answer to :meth:`Admission.admit`; the reads happened only when ``claimed``."""

    # None: the idempotency key is ours now; else the stored answer ("" while still being answered).
    previous: str | None
    # The first rate bucket over its limit (the request is TOO_OFTEN), else None.
    over_limit: str | None = None
    session: Session | None = None
    # Where the session's station is connected now (None if nowhere, its node is dead, or no session).
    station: StationInfo | None = None
    # Jobs stored and not yet acknowledged for the session's station.
    pending: int = 0

    @property
    def claimed(self) -> bool:
        return self.previous is None


class Admission(Protocol):
    """The synchronous path of a ChargingProfiles request in as few backend round trips as possible.

    Same meaning as the separate calls it replaces (``Guards.claim`` + ``Guards.hit`` +
    ``SessionStore.get`` + ``StationRegistry.lookup`` + ``JobQueue.pending``, then
    ``JobQueue.put`` + ``Guards.settle``); Redis does each half in one script.
    """

    async def admit(self, request: AdmissionRequest) -> Admitted:
        """Claim the idempotency key; if ours, count the rate buckets and read session, station, pending."""
        ...

    async def accept(self, job: Job, node: str | None, idempotency_key: str, answer: str, ttl: int) -> None:
        """Store the job (as ``JobQueue.put``) and the request's answer together, or neither.

        Only after this returns may ACCEPTED be answered.
        """
        ...


class OutcomeStore(Protocol):
    """Job outcomes (JSON text) kept for a while for callers that poll (``core/outcomes.py``)."""

    async def put(self, job_id: str, outcome: str, ttl: int) -> None:
        """Store or replace a job's outcome for ``ttl`` seconds."""
        ...

    async def get(self, job_id: str) -> str | None:
        """The stored outcome, or ``None`` when unknown or expired."""
        ...


class Backend(Protocol):
    @property
    def sessions(self) -> SessionStore: ...

    @property
    def jobs(self) -> JobQueue: ...

    @property
    def stations(self) -> StationRegistry: ...

    @property
    def parties(self) -> PartyStore:
        """OCPI partners (see ``backend/parties.py``), shared by every node like sessions are."""
        ...

    @property
    def guards(self) -> Guards: ...

    @property
    def admission(self) -> Admission: ...

    @property
    def outcomes(self) -> OutcomeStore: ...

    @property
    def node_id(self) -> str:
        """This process's name among the nodes sharing the backend."""
        ...

    async def adopt(self, node: str, station_id: str) -> int:
        """Station ``station_id`` came here from ``node``: its open jobs follow it now.

        The station's own jobs move at once whether ``node`` lives or not (a live node's copy
        finds its entry gone and neither forwards nor acks it twice; ``claim_result`` keeps the
        result single). If ``node`` is known dead, the rest of its jobs are reclaimed too,
        without waiting for ``redis.node_ttl``. Returns the number of jobs moved.
        """
        ...

    async def start(self) -> None:
        """Before serving (Redis: hold this node id's lease, resume what a previous process left).

        Raises:
            ocpi_gateway.errors.NodeIdInUse: another live process has this node id.
        """
        ...

    async def maintain(self) -> None:
        """Background upkeep for as long as the node runs (Redis: heartbeat, reclaim dead nodes)."""
        ...

    async def leave(self) -> None:
        """Graceful stop: let other nodes take over our unfinished jobs at once."""
        ...

    async def next_transaction_id(self) -> int:
        """A fresh OCPP 1.6 transaction id, unique across every node sharing the backend."""
        ...

    async def next_profile_id(self, station_id: str) -> int:
        """A fresh chargingProfileId, unique per station: ``FIRST_PROFILE_ID`` and up."""
        ...

    async def ping(self) -> bool:
        """True when the backend is reachable (``GET /ready``)."""
        ...

    async def close(self) -> None: ...
