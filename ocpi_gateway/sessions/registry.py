"""The session registry: OCPP transactions in, OCPI session ids out, and back again.

Station handlers report transactions starting and ending; the steering service and the
admin API look sessions up. OCPI ``session_id`` rules (documented in the README):

* OCPP 1.6: the gateway assigns the integer transactionId; the session id is its decimal text.
* OCPP 2.0.1: the station's transactionId string. If another station already has a session
  with that id, the later one becomes ``<first 27 chars of the tx id>-<8 hex of sha256(station_id)>``
  (at most 36 characters, stable for the same station and transaction).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from ocpi_gateway.backend.base import Backend
from ocpi_gateway.config import TokenOwnerSettings
from ocpi_gateway.domain import OcppVersion, Session, SessionStatus
from ocpi_gateway.partners.ownership import emsp_for_id_tag
from ocpi_gateway.timeutil import utcnow
from ocpi_gateway.translate.meter import MeterReading

MAX_PROFILE_EVENTS = 20

ProfileEventListener = Callable[[Session, str], Awaitable[None]]
# Told "started", "updated" (meter) or "ended" for each session (the OCPI Sessions feed).
SessionListener = Callable[[Session, str], Awaitable[None]]


def clash_session_id(transaction_id: str, station_id: str) -> str:
    """The documented unique form for a transaction id another station already uses."""
    suffix = hashlib.sha256(station_id.encode()).hexdigest()[:8]
    return f"{transaction_id[:27]}-{suffix}"


class SessionRegistry:
    """Keeps sessions in the backend; the only writer of :class:`Session` records."""

    def __init__(self, backend: Backend, token_owners: Sequence[TokenOwnerSettings] = ()) -> None:
        self._backend = backend
        self._token_owners = tuple(token_owners)
        self._listeners: list[ProfileEventListener] = []
        self._session_listeners: list[SessionListener] = []

    def add_profile_listener(self, listener: ProfileEventListener) -> None:
        """Be told of every "active profile may have changed" event (issue: SCSP pushes)."""
        self._listeners.append(listener)

    def add_session_listener(self, listener: SessionListener) -> None:
        """Be told when a session starts, its meter moves, or it ends (OCPI Sessions pushes)."""
        self._session_listeners.append(listener)

    async def _tell(self, session: Session, event: str) -> None:
        for listener in self._session_listeners:
            await listener(session, event)

    async def get(self, session_id: str) -> Session | None:
        return await self._backend.sessions.get(session_id)

    async def list_sessions(self, station_id: str | None = None) -> list[Session]:
        return await self._backend.sessions.list(station_id)

    async def active_for_station(self, station_id: str) -> list[Session]:
        return [s for s in await self._backend.sessions.list(station_id) if s.active]

    async def save(self, session: Session) -> None:
        await self._backend.sessions.put(session)

    async def start_v16(
        self,
        station_id: str,
        connector_id: int,
        id_tag: str | None,
        started_at: datetime | None = None,
        meter_start_wh: float | None = None,
    ) -> Session:
        """A 1.6 StartTransaction: allocate the transactionId and open the session."""
        transaction_id = str(await self._backend.next_transaction_id())
        return await self._open_v16(
            transaction_id, station_id, connector_id, transaction_id, id_tag, started_at, meter_start_wh
        )

    async def open_v16(
        self,
        station_id: str,
        connector_id: int,
        transaction_id: int,
        id_tag: str | None = None,
        started_at: datetime | None = None,
        meter_start_wh: float | None = None,
    ) -> Session:
        """A 1.6 transaction whose id a CSMS assigned (proxy mode); idempotent for repeats.

        The session id is the id's decimal text, or the clash form when another station's
        session already has it (a proxy may front several CSMSs).
        """
        tx_id = str(transaction_id)
        existing = await self._backend.sessions.find_by_transaction(station_id, tx_id)
        if existing is not None:
            return existing
        session_id = await self._unclashed_id(tx_id, station_id)
        return await self._open_v16(
            session_id, station_id, connector_id, tx_id, id_tag, started_at, meter_start_wh
        )

    async def _unclashed_id(self, transaction_id: str, station_id: str) -> str:
        """The transaction id as session id, unless another station's session already has it."""
        other = await self._backend.sessions.get(transaction_id)
        if other is not None and other.station_id != station_id:
            return clash_session_id(transaction_id, station_id)
        return transaction_id

    async def _open_v16(
        self,
        session_id: str,
        station_id: str,
        connector_id: int,
        transaction_id: str,
        id_tag: str | None,
        started_at: datetime | None,
        meter_start_wh: float | None,
    ) -> Session:
        when = started_at or utcnow()
        session = Session(
            session_id=session_id,
            station_id=station_id,
            connector_id=connector_id,
            evse_id=connector_id,
            transaction_id=transaction_id,
            ocpp_version=OcppVersion.V16,
            started_at=when,
            id_tag=id_tag,
            emsp=emsp_for_id_tag(id_tag, self._token_owners),
        )
        session.usage.meter_start_wh = meter_start_wh
        session.usage.meter_wh = meter_start_wh
        session.usage.last_updated = when
        await self._backend.sessions.put(session)
        await self._tell(session, "started")
        return session

    async def start_v201(
        self,
        station_id: str,
        transaction_id: str,
        evse_id: int,
        connector_id: int = 1,
        id_tag: str | None = None,
        started_at: datetime | None = None,
    ) -> Session:
        """A 2.0.1 transaction seen for the first time (idempotent for repeats)."""
        existing = await self._backend.sessions.find_by_transaction(station_id, transaction_id)
        if existing is not None:
            return existing
        session_id = await self._unclashed_id(transaction_id, station_id)
        session = Session(
            session_id=session_id,
            station_id=station_id,
            connector_id=connector_id,
            evse_id=evse_id,
            transaction_id=transaction_id,
            ocpp_version=OcppVersion.V201,
            started_at=started_at or utcnow(),
            id_tag=id_tag,
            emsp=emsp_for_id_tag(id_tag, self._token_owners),
        )
        session.usage.last_updated = session.started_at
        await self._backend.sessions.put(session)
        await self._tell(session, "started")
        return session

    async def find_by_transaction(self, station_id: str, transaction_id: str) -> Session | None:
        return await self._backend.sessions.find_by_transaction(station_id, transaction_id)

    async def end(
        self, station_id: str, transaction_id: str, ended_at: datetime | None = None
    ) -> Session | None:
        """StopTransaction / TransactionEvent Ended: the session becomes COMPLETED."""
        session = await self._backend.sessions.find_by_transaction(station_id, transaction_id)
        if session is None or not session.active:
            return session
        session.status = SessionStatus.COMPLETED
        session.ended_at = ended_at or utcnow()
        session.usage.last_updated = max(session.ended_at, session.usage.last_updated or session.ended_at)
        await self._backend.sessions.put(session)
        await self._tell(session, "ended")
        return session

    async def register_external(
        self,
        session_id: str,
        station_id: str,
        connector_id: int,
        transaction_id: str,
        ocpp_version: OcppVersion,
        evse_id: int | None = None,
        owner: str | None = None,
        emsp: str | None = None,
    ) -> Session:
        """Admin API: a session the gateway did not see start (an external CSMS ran it)."""
        session = Session(
            session_id=session_id,
            station_id=station_id,
            connector_id=connector_id,
            evse_id=evse_id if evse_id is not None else connector_id,
            transaction_id=transaction_id,
            ocpp_version=ocpp_version,
            started_at=utcnow(),
            source="admin",
            owner=owner,
            emsp=emsp,
        )
        session.usage.last_updated = session.started_at
        await self._backend.sessions.put(session)
        await self._tell(session, "started")
        return session

    async def end_by_id(self, session_id: str) -> Session | None:
        """Admin API DELETE: end a session; later OCPI calls answer UNKNOWN_SESSION."""
        session = await self._backend.sessions.get(session_id)
        if session is None:
            return None
        if session.active:
            session.status = SessionStatus.COMPLETED
            session.ended_at = session.usage.last_updated = utcnow()
            await self._backend.sessions.put(session)
            await self._tell(session, "ended")
        return session

    async def update(
        self, session_id: str, change: Callable[[Session], None], *, known: Session | None = None
    ) -> Session | None:
        """Change a session and store it, so a write never carries stale fields back.

        Jobs hold a session for the length of a station call; meanwhile meter values or a
        StopTransaction may have changed it. With ``known`` (the session as the caller read
        it) the change is stored only if the session is still exactly that (one round trip,
        and nothing in between is overwritten); otherwise, and without ``known``, it is
        re-read, changed and stored. ``known`` itself is never modified.
        """
        if known is not None:
            changed = known.clone()
            change(changed)
            if await self._backend.sessions.swap(known, changed):
                return changed
        session = await self._backend.sessions.get(session_id)
        if session is None:
            return None
        change(session)
        await self._backend.sessions.put(session)
        return session

    async def mark_steered(self, session_id: str, party: str, *, known: Session | None = None) -> None:
        """``party`` successfully PUT a profile: from now on it is told of active-profile changes."""

        def add(session: Session) -> None:
            if party not in session.steered_by:
                session.steered_by = [*session.steered_by, party]

        await self.update(session_id, add, known=known)

    async def record_meter(
        self,
        station_id: str,
        reading: MeterReading,
        *,
        transaction_id: str | None = None,
        evse_id: int | None = None,
        notify: bool = True,
    ) -> Session | None:
        """Keep a meter reading on the session of ``transaction_id`` (else the one on ``evse_id``).

        The first energy reading of a session without a known meter start becomes its start
        (OCPP 2.0.1 has no meterStart). ``notify=False`` when the session is about to end
        anyway (StopTransaction's meterStop), so no update is pushed just before COMPLETED.
        """
        if reading.empty:
            return None
        if transaction_id is not None:
            session = await self._backend.sessions.find_by_transaction(station_id, transaction_id)
        else:
            found = [s for s in await self.active_for_station(station_id) if s.evse_id == evse_id]
            session = found[0] if found else None
        if session is None or not session.active:
            return None
        usage = session.usage
        if reading.energy_wh is not None:
            if usage.meter_start_wh is None:
                usage.meter_start_wh = reading.energy_wh
            usage.meter_wh = reading.energy_wh
        usage.power_w = reading.power_w if reading.power_w is not None else usage.power_w
        usage.current_a = reading.current_a if reading.current_a is not None else usage.current_a
        usage.last_updated = utcnow()
        await self._backend.sessions.put(session)
        if notify:
            await self._tell(session, "updated")
        return session

    async def record_profile_event(
        self,
        station_id: str,
        reason: str,
        *,
        evse_id: int | None = None,
        transaction_id: str | None = None,
    ) -> list[Session]:
        """Note that the active profile of a station's sessions may have changed.

        Narrowed by ``transaction_id`` or ``evse_id`` when the station says which; returns
        the sessions touched so callers can log them.
        """
        touched: list[Session] = []
        for session in await self.active_for_station(station_id):
            if transaction_id is not None and session.transaction_id != transaction_id:
                continue
            if evse_id is not None and evse_id != 0 and session.evse_id != evse_id:
                continue
            session.profile_events = [*session.profile_events, reason][-MAX_PROFILE_EVENTS:]
            await self._backend.sessions.put(session)
            touched.append(session)
        for session in touched:
            for listener in self._listeners:
                await listener(session, reason)
        return touched
