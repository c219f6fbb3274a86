"""The backend interface: sessions, jobs and id allocation, the same for embedded and Redis.

Every ``await`` here may raise :class:`~ocpi_gateway.errors.BackendError`; OCPI views turn
that into ``BackendUnavailable`` so nothing is answered ACCEPTED that was not stored.
"""

from __future__ import annotations

from typing import Protocol

from ocpi_gateway.domain import Job, Session


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

    async def delete(self, session_id: str) -> None: ...

    async def list(self, station_id: str | None = None) -> list[Session]:
        """All known sessions (of one station when given), oldest first."""
        ...


class JobQueue(Protocol):
    async def put(self, job: Job) -> None:
        """Store the job durably; only after this returns may ACCEPTED be answered."""
        ...

    async def get(self) -> Job:
        """Wait for the next job to run on this node."""
        ...

    async def ack(self, job: Job) -> None:
        """The job reached its terminal state (result delivered or given up)."""
        ...

    async def pending(self, station_id: str) -> int:
        """Jobs stored and not yet acknowledged for one station (for the announced timeout)."""
        ...


class Backend(Protocol):
    @property
    def sessions(self) -> SessionStore: ...

    @property
    def jobs(self) -> JobQueue: ...

    async def next_transaction_id(self) -> int:
        """A fresh OCPP 1.6 transaction id, unique across every node sharing the backend."""
        ...

    async def next_profile_id(self, station_id: str) -> int:
        """A fresh chargingProfileId, unique per station."""
        ...

    async def ping(self) -> bool:
        """True when the backend is reachable (``GET /ready``)."""
        ...

    async def close(self) -> None: ...
