"""What one simulated station knows between messages: calls seen, transactions, profiles.

The OCPP handlers (``v16.py``, ``v201.py``) and the station's own actions (``station.py``)
share this object, so a transaction started by the station is visible to the handler that
checks a TxProfile, and every call received can be awaited by a test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpi_gateway.cli.simulator.profiles import ProfileStore, StationConfig
from ocpi_gateway.domain import Electrical
from ocpi_gateway.timeutil import utcnow
from ocpi_gateway.translate.composite import CompositeSchedule, StoredProfile, compute_composite

BEHAVIOURS = frozenset({"accept", "reject", "silent", "disconnect", "callerror"})

#: The calls whose answer a test behaviour (reject/silent/disconnect/callerror) changes.
STEERING_ACTIONS = frozenset({"SetChargingProfile", "ClearChargingProfile", "GetCompositeSchedule"})

EventSink = Callable[[str], None]


@dataclass(slots=True)
class Transaction:
    """A running transaction; ``seq_no`` is the next 2.0.1 TransactionEvent number."""

    transaction_id: str
    connector_id: int
    started: datetime
    seq_no: int = 0
    meter_wh: float | None = None  # the last register value sent (send_meter_values)


class CallLog:
    """Every CALL the station received, in order, and a way to await the next of an action.

    ``next()`` hands out each received call once per action, oldest first, so a test that
    asks after the call already arrived still gets it.
    """

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self._by_action: dict[str, list[dict[str, Any]]] = {}
        self._taken: dict[str, int] = {}
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}

    def record(self, action: str, payload: dict[str, Any]) -> None:
        self.received.append((action, payload))
        self._by_action.setdefault(action, []).append(payload)
        for waiter in self._waiters.pop(action, []):
            if not waiter.done():
                waiter.set_result(None)

    async def next(self, action: str, timeout: float) -> dict[str, Any]:  # API
        """The oldest not yet handed out call of ``action`` (its camelCase payload).

        Raises:
            TimeoutError: none arrived within ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            while True:
                taken = self._taken.get(action, 0)
                seen = self._by_action.get(action, [])
                if taken < len(seen):
                    self._taken[action] = taken + 1
                    return seen[taken]
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.setdefault(action, []).append(waiter)
                await waiter


def describe(profile: StoredProfile) -> str:
    """One readable line about a profile: purpose, where, and its limits over time."""
    steps = ", ".join(f"{p.start_period}s {p.limit:g}{profile.unit}" for p in profile.periods)
    tx = f" tx {profile.transaction_id}" if profile.transaction_id else ""
    return (
        f"#{profile.profile_id} {profile.purpose} level {profile.stack_level} "
        f"connector {profile.connector_id}{tx}: {steps}"
    )


def describe_composite(schedule: CompositeSchedule) -> str:
    return ", ".join(f"{p.start_period}s {p.limit:g}{schedule.unit}" for p in schedule.periods)


class StationState:
    """Configuration, behaviour, call log, transactions and profiles of one station."""

    def __init__(
        self, station_id: str, config: StationConfig, behaviour: str, on_event: EventSink | None
    ) -> None:
        self.station_id = station_id
        self.config = config
        self.store = ProfileStore(config)
        self.log = CallLog()
        self.transactions: dict[int, Transaction] = {}
        self._on_event = on_event
        self._behaviour = "accept"
        self.behaviour = behaviour
        # Seconds the station takes to answer a steering call (a slow station, for tests).
        self.answer_delay = 0.0

    @property
    def behaviour(self) -> str:
        return self._behaviour

    @behaviour.setter
    def behaviour(self, value: str) -> None:
        if value not in BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {sorted(BEHAVIOURS)}, not {value!r}")
        self._behaviour = value

    @property
    def electrical(self) -> Electrical:
        return Electrical(voltage=self.config.voltage, phases=self.config.phases)

    def event(self, text: str) -> None:
        """Report a notable event (``run_simulation`` prints them)."""
        if self._on_event is not None:
            self._on_event(f"{self.station_id} {text}")

    def running(self) -> dict[int, str]:
        """Connector (1.6) or EVSE (2.0.1) -> id of the transaction running there."""
        return {connector: tx.transaction_id for connector, tx in self.transactions.items()}

    def transaction(self, transaction_id: str) -> Transaction | None:
        return next((t for t in self.transactions.values() if t.transaction_id == transaction_id), None)

    def begin(self, transaction_id: str, connector_id: int, started: datetime) -> Transaction:
        tx = Transaction(transaction_id, connector_id, started)
        self.transactions[connector_id] = tx
        return tx

    def end(self, transaction_id: str) -> Transaction | None:
        """Forget a transaction and the TxProfiles that belonged to it."""
        tx = self.transaction(transaction_id)
        if tx is not None:
            del self.transactions[tx.connector_id]
            self.store.drop_transaction(transaction_id)
        return tx

    def composite(self, connector_id: int, duration: int, unit: str | None) -> CompositeSchedule | None:
        """The composite schedule from now, or ``None`` (answer Rejected) for an unknown
        connector or a unit the station does not use."""
        if not 0 <= connector_id <= self.config.connectors:
            return None
        if unit is not None and unit not in self.config.allowed_units:
            return None
        tx = self.transactions.get(connector_id)
        return compute_composite(
            list(self.store.profiles.values()),
            now=utcnow().replace(microsecond=0),
            duration=duration,
            unit=unit,
            connector_id=connector_id,
            transaction_start=tx.started if tx is not None else None,
            electrical=self.electrical,
            max_limit=self.config.max_limit_amps,
            max_limit_unit="A",
        )
