"""What the 1.6 and 2.0.1 simulated charge points share: routing with test behaviours.

``route_message`` is taken over from the ``ocpp`` package (same steps: unpack, answer a
CALL, hand a CALLRESULT/CALLERROR to the waiting ``call()``) so that:

* every CALL is recorded before anything else happens;
* the test behaviours act *before* a handler runs: ``silent`` must not answer at all, and
  a handler that never returned would stall the station's whole receive loop;
* a CALLRESULT can be seen as it arrives (``expect_result``), before the next frame is
  read. A 1.6 station must know the transactionId the CSMS assigned before it reads the
  SetChargingProfile that may follow straight after the StartTransaction answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from ocpp.charge_point import ChargePoint
from ocpp.exceptions import InternalError, OCPPError
from ocpp.messages import MessageType, unpack
from ocpp.routing import on as _ocpp_on

from ocpi_gateway.cli.simulator.state import STEERING_ACTIONS, StationState

Handler = TypeVar("Handler", bound=Callable[..., Any])

# The package logs every frame at INFO; a simulation of thousands of stations must not.
PACKAGE_LOGGER = logging.getLogger("ocpi_gateway.cli.simulator.ocpp")
PACKAGE_LOGGER.setLevel(logging.WARNING)

ResultHook = Callable[[dict[str, Any]], None]


def on(action: str) -> Callable[[Handler], Handler]:
    """``ocpp.routing.on`` with the handler's type kept for mypy."""
    return cast(Callable[[Handler], Handler], _ocpp_on(action))


class SimulatedChargePoint(ChargePoint):  # type: ignore[misc]  # ocpp ships no type information
    """Station-side ChargePoint whose answers follow ``state.behaviour``."""

    def __init__(
        self, station_id: str, connection: Any, state: StationState, *, response_timeout: float
    ) -> None:
        super().__init__(station_id, connection, response_timeout=response_timeout, logger=PACKAGE_LOGGER)
        self.state = state
        self._result_hooks: dict[str, ResultHook] = {}

    def expect_result(self, unique_id: str, hook: ResultHook) -> None:
        """Run ``hook(payload)`` as soon as the CALLRESULT for ``unique_id`` arrives."""
        self._result_hooks[unique_id] = hook

    async def route_message(self, raw_msg: str) -> None:
        try:
            msg = unpack(raw_msg)
        except OCPPError:
            PACKAGE_LOGGER.warning("%s: dropped an unreadable frame", self.id)
            return
        if msg.message_type_id == MessageType.Call:
            await self._answer(msg)
            return
        if msg.message_type_id == MessageType.CallResult:
            hook = self._result_hooks.pop(msg.unique_id, None)
            if hook is not None:
                hook(msg.payload)
        elif msg.message_type_id == MessageType.CallError:
            self._result_hooks.pop(msg.unique_id, None)
        else:
            return
        self._response_queue.put_nowait(msg)

    async def _answer(self, msg: Any) -> None:
        """Record the CALL, apply the behaviour, else let the package run the handler."""
        action = str(msg.action)
        self.state.log.record(action, msg.payload if isinstance(msg.payload, dict) else {})
        behaviour = self.state.behaviour
        if action in STEERING_ACTIONS and behaviour in ("silent", "disconnect", "callerror"):
            self.state.event(f"{action} received: behaviour {behaviour}")
            if behaviour == "disconnect":
                await self._connection.close(reason="simulated disconnect")
            elif behaviour == "callerror":
                error = InternalError(description="simulated failure")
                await self._send(msg.create_call_error(error).to_json())
            return
        if action in STEERING_ACTIONS and self.state.answer_delay > 0:
            await asyncio.sleep(self.state.answer_delay)
        try:
            await self._handle_call(msg)
        except OCPPError as error:
            await self._send(msg.create_call_error(error).to_json())
