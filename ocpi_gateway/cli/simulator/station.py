"""One simulated charging station over a real websocket, for OCPP 1.6J or 2.0.1.

The station dials ``{url}/{station_id}``, boots, heartbeats at the interval the CSMS
gives, reports its connectors, and starts and stops transactions on request. What the
CSMS sends is answered by :mod:`.v16` / :mod:`.v201` from the shared :class:`StationState`.
Many stations can share one ``aiohttp.ClientSession`` (pass ``session=``); a station
costs two tasks (receive loop and heartbeat, see :mod:`.link`) and no thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

import aiohttp

from ocpi_gateway.cli.simulator import messages
from ocpi_gateway.cli.simulator.base import SimulatedChargePoint
from ocpi_gateway.cli.simulator.link import Link, StationLinkClosed
from ocpi_gateway.cli.simulator.profiles import StationConfig
from ocpi_gateway.cli.simulator.state import EventSink, StationState, Transaction
from ocpi_gateway.cli.simulator.v16 import SimulatedChargePointV16
from ocpi_gateway.cli.simulator.v201 import SimulatedChargePointV201
from ocpi_gateway.stations.direct.auth import basic_authorization
from ocpi_gateway.stations.direct.connection import WebSocketConnection
from ocpi_gateway.timeutil import utcnow
from ocpi_gateway.translate.composite import StoredProfile

PROTOCOLS = ("ocpp1.6", "ocpp2.0.1")


class SimulatedStation:
    """A real OCPP charge point (client side) whose smart-charging answers tests can steer.

    ``behaviour`` (settable at any time): ``accept`` (normal), ``reject`` (Set and
    GetComposite answer Rejected), ``silent`` (Set/Clear/GetComposite never answered),
    ``disconnect`` (the socket is closed when one arrives), ``callerror`` (CALLERROR).
    ``received`` lists every CALL received as ``(action, camelCase payload)``.
    """

    def __init__(
        self,
        station_id: str,
        url: str,
        *,
        protocol: str = "ocpp1.6",
        allowed_units: frozenset[str] = frozenset({"A", "W"}),
        max_periods: int = 24,
        max_stack_level: int = 10,
        max_limit_amps: float = 32.0,
        phases: int = 3,
        voltage: float = 230.0,
        password: str | None = None,
        behaviour: str = "accept",
        connectors: int = 1,
        max_profiles: int = 32,
        call_timeout: float = 30.0,
        session: aiohttp.ClientSession | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
        self.station_id = station_id
        self.url = f"{url.rstrip('/')}/{quote(station_id, safe='')}"
        self.protocol = protocol
        self.password = password
        self.call_timeout = call_timeout
        config = StationConfig(
            allowed_units=allowed_units,
            max_periods=max_periods,
            max_stack_level=max_stack_level,
            max_profiles=max_profiles,
            max_limit_amps=max_limit_amps,
            phases=phases,
            voltage=voltage,
            connectors=connectors,
        )
        self.state = StationState(station_id, config, behaviour, on_event)
        self.heartbeat_interval: int | None = None
        self._session = session
        self._own_session = session is None
        self._link: Link | None = None

    # --- what tests read and set ---------------------------------------------------------

    @property
    def behaviour(self) -> str:
        return self.state.behaviour

    @behaviour.setter
    def behaviour(self, value: str) -> None:
        self.state.behaviour = value

    @property
    def answer_delay(self) -> float:
        """Seconds the station takes to answer a steering call (0: at once)."""
        return self.state.answer_delay

    @answer_delay.setter
    def answer_delay(self, seconds: float) -> None:
        self.state.answer_delay = seconds

    @property
    def received(self) -> list[tuple[str, dict[str, Any]]]:
        return self.state.log.received

    @property
    def profiles(self) -> list[StoredProfile]:
        """The installed profiles (a snapshot, in installation order)."""
        return list(self.state.store.profiles.values())

    @property
    def transactions(self) -> dict[int, str]:
        """Connector (EVSE) -> running transaction id."""
        return self.state.running()

    @property
    def connected(self) -> bool:
        return self._link is not None and self._link.is_open

    async def wait_for_call(self, action: str, timeout: float = 5.0) -> dict[str, Any]:  # API
        """The next received call of ``action`` not yet returned by this method.

        Raises:
            TimeoutError: none arrived within ``timeout`` seconds.
        """
        return await self.state.log.next(action, timeout)

    async def wait_disconnected(self, timeout: float | None = 5.0) -> None:  # API
        """Return once the websocket is gone (after a ``disconnect`` behaviour, say)."""
        if self._link is not None:
            await self._link.wait_closed(timeout)

    # --- connection ------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the websocket and boot; returns once the CSMS accepted the BootNotification.

        Raises:
            aiohttp.ClientError: the handshake failed (refused, 401, 404 ...).
            StationLinkClosed: the CSMS did not agree on the subprotocol or dropped the link.
        """
        if self.connected:
            return
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        # Built by hand: aiohttp.BasicAuth is deprecated (and the user is always the station id).
        auth = basic_authorization(self.station_id, self.password) if self.password is not None else None
        self._link = await Link.open(
            self._session,
            self.url,
            self.protocol,
            auth,
            self._charge_point,
            lambda: self.state.event("disconnected"),
        )
        interval = await self._boot()
        self.state.event(f"booted ({self.protocol}, heartbeat {interval}s)")
        await self._report_connectors()
        if interval > 0:
            self._link.spawn(self._heartbeat(interval))

    def _charge_point(self, connection: WebSocketConnection) -> SimulatedChargePoint:
        kind = SimulatedChargePointV16 if self.protocol == messages.V16 else SimulatedChargePointV201
        return kind(self.station_id, connection, self.state, response_timeout=self.call_timeout)

    async def _call(self, payload: Any, *, unique_id: str | None = None) -> Any:
        if self._link is None:
            raise StationLinkClosed(f"{self.station_id}: not connected")
        return await self._link.call(payload, unique_id=unique_id)

    async def _boot(self) -> int:
        """BootNotification until Accepted (Pending/Rejected: retry after the given interval)."""
        while True:
            result = await self._call(messages.boot(self.protocol))
            if result.status == "Accepted":
                self.heartbeat_interval = int(result.interval)
                return self.heartbeat_interval
            await asyncio.sleep(max(1, int(result.interval)))

    async def _report_connectors(self) -> None:
        now = utcnow()
        for connector in range(self.state.config.connectors + 1):
            charging = connector in self.state.transactions
            payload = messages.connector_status(self.protocol, connector, charging, now)
            if payload is not None:
                await self._call(payload)

    async def _heartbeat(self, interval: int) -> None:
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(TimeoutError):
                await self._call(messages.heartbeat(self.protocol))

    # --- transactions ---------------------------------------------------------------

    async def start_transaction(self, connector_id: int = 1, id_tag: str = "TAG1") -> str:
        """Start a transaction; returns its id as text (1.6: the CSMS's integer).

        Raises:
            ValueError: the connector does not exist or already has a transaction.
        """
        if not 1 <= connector_id <= self.state.config.connectors or connector_id in self.state.transactions:
            raise ValueError(f"connector {connector_id} is unknown or busy")
        started = utcnow().replace(microsecond=0)
        if self.protocol == messages.V16:
            tx_id = await self._start_v16(connector_id, id_tag, started)
        else:
            tx = self.state.begin(uuid.uuid4().hex, connector_id, started)
            tx_id = tx.transaction_id
            begin = [messages.meter_value(self.protocol, 0, None, started)]  # Transaction.Begin
            await self._transaction_event(
                tx,
                "Started",
                "Authorized",
                "EVConnected",
                evse_id=connector_id,
                id_tag=id_tag,
                meter_value=begin,
            )
            await self._transaction_event(tx, "Updated", "ChargingStateChanged", "Charging")
        self.state.event(f"transaction {tx_id} started on connector {connector_id}")
        return tx_id

    async def _start_v16(self, connector_id: int, id_tag: str, started: datetime) -> str:
        unique_id = str(uuid.uuid4())

        def register(answer: dict[str, Any]) -> None:
            # Runs the moment the answer frame is read, before the CSMS's next frame
            # (often a SetChargingProfile for this very transaction) is handled.
            self.state.begin(str(answer["transactionId"]), connector_id, started)

        if self._link is not None:
            self._link.expect_result(unique_id, register)
        payload = messages.start_transaction_v16(connector_id, id_tag, started)
        tx_id = str((await self._call(payload, unique_id=unique_id)).transaction_id)
        if connector_id not in self.state.transactions:
            self.state.begin(tx_id, connector_id, started)
        await self._call(messages.connector_status(self.protocol, connector_id, True, utcnow()))
        return tx_id

    async def _transaction_event(
        self, tx: Transaction, event_type: str, trigger: str, charging_state: str, **extra: Any
    ) -> None:
        seq_no, tx.seq_no = tx.seq_no, tx.seq_no + 1
        await self._call(
            messages.transaction_event(
                event_type,
                tx.transaction_id,
                trigger,
                seq_no=seq_no,
                charging_state=charging_state,
                now=utcnow(),
                **extra,
            )
        )

    async def transaction_updated(
        self, transaction_id: str, trigger_reason: str = "ChargingRateChanged"
    ) -> None:
        """2.0.1: send a TransactionEvent Updated (``ChargingRateChanged`` signals a new limit).

        Raises:
            ValueError: no such running transaction.
        """
        await self._transaction_event(self._running(transaction_id), "Updated", trigger_reason, "Charging")

    def _running(self, transaction_id: str) -> Transaction:
        tx = self.state.transaction(transaction_id)
        if tx is None:
            raise ValueError(f"no running transaction {transaction_id}")
        return tx

    async def stop_transaction(self, transaction_id: str) -> None:
        """Stop a running transaction; its TxProfiles go with it, as on a real station.

        Raises:
            ValueError: no such running transaction.
        """
        tx = self._running(transaction_id)
        if self.protocol == messages.V16:
            self.state.end(transaction_id)
            now = utcnow()
            await self._call(messages.stop_transaction_v16(transaction_id, tx.started, now, tx.meter_wh))
            await self._call(messages.connector_status(self.protocol, tx.connector_id, False, now))
        else:
            final = (
                None
                if tx.meter_wh is None
                else [messages.meter_value(self.protocol, tx.meter_wh, None, utcnow())]
            )
            await self._transaction_event(
                tx, "Ended", "StopAuthorized", "EVConnected", stopped_reason="Local", meter_value=final
            )
            self.state.end(transaction_id)
        self.state.event(f"transaction {transaction_id} stopped")

    async def notify_charging_limit(
        self, evse_id: int, limit: float, unit: str = "A", source: str = "EMS", duration: int | None = None
    ) -> None:
        """2.0.1: report a local limit (NotifyChargingLimit with a one-period schedule).

        Raises:
            ValueError: the station speaks 1.6, which has no such message.
        """
        if self.protocol == messages.V16:
            raise ValueError("NotifyChargingLimit exists only in OCPP 2.0.1")
        await self._call(messages.notify_charging_limit(evse_id, limit, unit, source, duration, utcnow()))
        self.state.event(f"NotifyChargingLimit evse {evse_id}: {limit:g}{unit} from {source}")

    async def send_meter_values(
        self, transaction_id: str, energy_wh: float, power_w: float | None = None
    ) -> None:
        """Report the energy register (Wh) of a running transaction: 1.6 MeterValues, 2.0.1
        TransactionEvent Updated (MeterValuePeriodic). StopTransaction then reports it too.

        Raises:
            ValueError: no such running transaction.
        """
        tx = self._running(transaction_id)
        tx.meter_wh = energy_wh
        value = messages.meter_value(self.protocol, energy_wh, power_w, utcnow())
        if self.protocol == messages.V16:
            await self._call(messages.meter_values_v16(tx.connector_id, transaction_id, value))
        else:
            await self._transaction_event(
                tx, "Updated", "MeterValuePeriodic", "Charging", meter_value=[value]
            )

    async def cleared_charging_limit(self, evse_id: int, source: str = "EMS") -> None:
        """2.0.1: report that a local limit is gone (ClearedChargingLimit).

        Raises:
            ValueError: the station speaks 1.6, which has no such message.
        """
        if self.protocol == messages.V16:
            raise ValueError("ClearedChargingLimit exists only in OCPP 2.0.1")
        await self._call(messages.cleared_charging_limit(evse_id, source))

    # --- shutdown -------------------------------------------------------------------

    async def reconnect(self) -> None:
        """Drop the websocket and connect again, keeping transactions and profiles.

        Profiles survive a reboot (1.6 errata 3.37), so this is what a CSMS sees when a
        station's network blips.
        """
        await self._disconnect()
        await self.connect()

    async def _disconnect(self) -> None:
        if self._link is not None:
            await self._link.close()

    async def close(self) -> None:
        """Close the websocket (code 1000) and, if this station made it, its HTTP session."""
        await self._disconnect()
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None
