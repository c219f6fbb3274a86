"""A :class:`~ocpi_gateway.stations.driver.StationLink` over one live OCPP-J websocket.

The ``ocpp`` package serialises calls with a lock whose waiting time is *outside* its
response timeout, returns ``None`` on CALLERROR by default, and notices a dropped socket
only when its timeout runs out. The link fixes all three for the job worker: its own lock
is waited for inside the caller's deadline, CALLERRORs become
:class:`~ocpi_gateway.errors.StationCallError`, and closing the link fails every waiting
call at once with :class:`~ocpi_gateway.errors.StationDisconnected`.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from ocpp.exceptions import OCPPError, UnknownCallErrorCodeError

from ocpi_gateway.domain import Capabilities, OcppVersion, StationInfo
from ocpi_gateway.errors import (
    StationCallError,
    StationDisconnected,
    StationError,
    StationOffline,
    StationTimeout,
)
from ocpi_gateway.metrics import station_call
from ocpi_gateway.stations.direct.central import GatewayChargePoint
from ocpi_gateway.stations.direct.connection import WebSocketConnection
from ocpi_gateway.timeutil import utcnow

log = structlog.get_logger(__name__)

_UNKNOWN_CODE = re.compile(r"Error code '([^']*)'")


class DirectLink:
    """One connected station: its ChargePoint, its socket and what we know about it."""

    def __init__(
        self,
        charge_point: GatewayChargePoint,
        connection: WebSocketConnection,
        protocol: OcppVersion,
        *,
        node_id: str,
        turn: asyncio.Lock | None = None,
        message_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        """``turn`` is the lock a call holds while open (a proxy shares it with the CSMS's
        calls); ``message_id`` makes each CALL's id (a proxy marks its own)."""
        self._cp = charge_point
        self._connection = connection
        self._protocol = protocol
        self._node_id = node_id
        self._connected_at: datetime = utcnow()
        self._capabilities = Capabilities()
        self._lock = turn if turn is not None else asyncio.Lock()
        self._message_id = message_id
        self._closed = False  # set once by mark_closed; open calls are failed there

    @property
    def station_id(self) -> str:
        return str(self._cp.station_id)

    @property
    def protocol(self) -> OcppVersion:
        return self._protocol

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    @capabilities.setter
    def capabilities(self, value: Capabilities) -> None:
        self._capabilities = value

    @property
    def charge_point(self) -> GatewayChargePoint:
        return self._cp

    @property
    def closed(self) -> bool:
        return self._closed

    def info(self) -> StationInfo:
        """What ``GET /admin/stations`` shows for this station."""
        return StationInfo(
            station_id=self.station_id,
            protocol=self._protocol,
            node=self._node_id,
            connected_at=self._connected_at,
            capabilities=self._capabilities,
            vendor=self._cp.vendor,
            model=self._cp.model,
            extra=dict(self._cp.details),
        )

    async def run(self) -> None:
        """Serve the station's frames until its socket closes; then fail open calls."""
        try:
            await self._cp.start()
        except StationDisconnected:
            pass
        finally:
            self.mark_closed()

    def mark_closed(self) -> None:
        """From now on calls raise StationOffline; calls in flight raise StationDisconnected."""
        if not self._closed:
            self._closed = True
            self._cp.fail_waiting(StationDisconnected(f"station {self.station_id} disconnected"))

    async def close(self, code: int, reason: str) -> None:
        """Fail open calls and close the socket (replacement by a newer connection, shutdown)."""
        self.mark_closed()
        await self._connection.close(code, reason)

    async def call(self, payload: Any, *, timeout: float) -> Any:  # StationLink's signature
        """Send one OCPP CALL and return its ``call_result`` dataclass (see ``StationLink.call``).

        The CALL's message id is made here and bound as ``ocpp_message_id`` in the *caller's*
        log context on purpose: the job's later lines (the answer, the callback) belong to
        this call too; ``JobRunner.run`` unbinds it with the job's other ids.
        """
        message_id = self._message_id()
        structlog.contextvars.bind_contextvars(ocpp_message_id=message_id)
        with station_call(type(payload).__name__):
            return await self._call(payload, message_id, timeout)

    async def _call(self, payload: Any, message_id: str, timeout: float) -> Any:
        if self.closed:
            raise StationOffline(f"station {self.station_id} is not connected")
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                return await self._call_in_turn(payload, message_id)
        except TimeoutError:
            if not deadline.expired():
                raise
            action = type(payload).__name__
            log.info("station_call_timeout", station_id=self.station_id, action=action, timeout=timeout)
            raise StationTimeout(
                f"station {self.station_id} did not answer {action} within {timeout}s"
            ) from None

    async def _call_in_turn(self, payload: Any, message_id: str) -> Any:
        """Wait for this station's previous call, then make this one; map the package's errors."""
        async with self._lock:
            if self.closed:
                raise StationDisconnected(f"station {self.station_id} disconnected")
            try:
                return await self._cp.call(payload, suppress=False, unique_id=message_id)
            except StationDisconnected:
                log.info(
                    "station_call_disconnected", station_id=self.station_id, action=type(payload).__name__
                )
                raise
            except StationError:
                raise
            except OCPPError as exc:
                raise StationCallError(exc.code, str(exc.description or "")) from exc
            except UnknownCallErrorCodeError as exc:
                match = _UNKNOWN_CODE.search(str(exc))
                raise StationCallError(match.group(1) if match else "Unknown", str(exc)) from exc
