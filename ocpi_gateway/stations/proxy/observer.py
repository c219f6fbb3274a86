"""Proxy mode: what the gateway learns from the traffic it relays between a station and its CSMS.

The CSMS answers the station; the gateway only listens, so that SCSP profiles can still be
steered onto the CSMS's sessions:

* the station's CALLs go through the same handlers direct mode answers them with
  (:mod:`.v16`, :mod:`.v201`), their answers thrown away: BootNotification, StopTransaction,
  TransactionEvent, MeterValues and the 2.0.1 "active profile may have changed" messages
  are learnt exactly as in direct mode. 1.6 StartTransaction is the exception: the CSMS
  assigns the transactionId, so the session opens when the CSMS's answer passes by;
* the station's answers to the CSMS's GetConfiguration / GetVariables give its
  smart-charging capabilities when they contain them;
* a CSMS SetChargingProfile / ClearChargingProfile the station accepted is recorded as a
  ``CsmsChargingProfile`` event on the steered sessions it may have touched.

Nothing here can stop the relay: a frame the observer cannot make sense of is logged and
passed on all the same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from ocpp.charge_point import camel_to_snake_case

from ocpi_gateway.domain import Capabilities, Session
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.direct.central import GatewayChargePoint
from ocpi_gateway.stations.direct.frames import CALL, CALLRESULT, Frame
from ocpi_gateway.stations.proxy.profiles import touches_gateway_profile
from ocpi_gateway.translate.capabilities import capabilities_from_v16, capabilities_from_v201

log = structlog.get_logger(__name__)

CSMS_PROFILE_EVENT = "CsmsChargingProfile"
# Calls whose answers teach something; other calls are not remembered at all.
_STATION_CALLS_KEPT = frozenset({"StartTransaction"})
_CSMS_CALLS_KEPT = frozenset(
    {"GetConfiguration", "GetVariables", "SetChargingProfile", "ClearChargingProfile"}
)
# OCPP allows one open call per direction; a few spare entries cover a peer that breaks the rule.
_MAX_OPEN_CALLS = 16

OnCapabilities = Callable[[Capabilities], Awaitable[None]]


class TrafficObserver:
    """Learns sessions, capabilities and CSMS profile changes from one relayed connection."""

    def __init__(
        self,
        charge_point: GatewayChargePoint,
        sessions: SessionRegistry,
        *,
        stack_level: Callable[[], int],
        on_capabilities: OnCapabilities,
    ) -> None:
        self._cp = charge_point
        self._sessions = sessions
        self._stack_level = stack_level
        self._on_capabilities = on_capabilities
        self._station_calls: dict[str, Frame] = {}
        self._csms_calls: dict[str, Frame] = {}

    @property
    def station_id(self) -> str:
        return str(self._cp.station_id)

    @property
    def _v16(self) -> bool:
        return str(self._cp._ocpp_version) == "1.6"

    def before_relay(self, frame: Frame, *, from_station: bool) -> None:
        """Note a CALL whose answer will matter, before it is relayed (so no answer overtakes it)."""
        if frame.message_type != CALL:
            return
        kept = _STATION_CALLS_KEPT if from_station else _CSMS_CALLS_KEPT
        calls = self._station_calls if from_station else self._csms_calls
        if frame.action in kept:
            calls[frame.unique_id] = frame
            while len(calls) > _MAX_OPEN_CALLS:
                calls.pop(next(iter(calls)))

    async def after_relay(self, frame: Frame, *, from_station: bool) -> None:
        """Learn from a frame that has been passed on; never raises."""
        try:
            if frame.message_type == CALL:
                if from_station:
                    await self._station_call(frame)
                return
            request = (self._csms_calls if from_station else self._station_calls).pop(frame.unique_id, None)
            if request is not None and frame.message_type == CALLRESULT:
                await self._answer(request, frame.payload)
        except Exception:
            log.exception("proxy_observe_failed", station_id=self.station_id, action=frame.action or None)

    async def _station_call(self, frame: Frame) -> None:
        """Run direct mode's handler for the station's CALL, for what it learns; drop its answer."""
        if self._v16 and frame.action == "StartTransaction":
            return  # the CSMS assigns the id: learnt from its answer
        handler = self._cp.route_map.get(frame.action, {}).get("_on_action")
        if handler is not None:
            await handler(**camel_to_snake_case(frame.payload))

    async def _answer(self, request: Frame, answer: dict[str, Any]) -> None:
        action = request.action
        if action == "StartTransaction":
            await self._transaction_started(request.payload, answer)
        elif action == "GetConfiguration":
            await self._capabilities(capabilities_from_v16(answer.get("configurationKey"), None))
        elif action == "GetVariables":
            await self._capabilities(capabilities_from_v201(answer.get("getVariableResult") or []))
        elif answer.get("status") == "Accepted":  # Set/ClearChargingProfile
            await self._csms_profile(action, request.payload)

    async def _transaction_started(self, request: dict[str, Any], answer: dict[str, Any]) -> None:
        """1.6: the CSMS's StartTransaction.conf names the transaction the station is running."""
        transaction_id = answer.get("transactionId")
        connector_id = request.get("connectorId")
        if not isinstance(transaction_id, int) or not isinstance(connector_id, int):
            return
        session = await self._sessions.open_v16(
            self.station_id,
            connector_id,
            transaction_id,
            request.get("idTag"),
            self._cp.timestamp(request.get("timestamp")),
            meter_start_wh=request.get("meterStart"),
        )
        log.info(
            "transaction_started",
            station_id=self.station_id,
            connector_id=connector_id,
            session_id=session.session_id,
            assigned_by="csms",
        )

    async def _capabilities(self, capabilities: Capabilities) -> None:
        if capabilities.reported:
            log.info("proxy_capabilities_relayed", station_id=self.station_id)
            await self._on_capabilities(capabilities)

    async def _csms_profile(self, action: str, request: dict[str, Any]) -> None:
        """The CSMS changed profiles: tell every steered session it may have touched."""
        level = self._stack_level()
        hit: list[Session] = [
            session
            for session in await self._sessions.active_for_station(self.station_id)
            if touches_gateway_profile(action, request, session, level)
        ]
        for session in hit:
            await self._sessions.record_profile_event(
                self.station_id,
                CSMS_PROFILE_EVENT,
                evse_id=session.evse_id,
                transaction_id=session.transaction_id,
            )
        log.info("proxy_csms_profile", station_id=self.station_id, action=action, sessions=len(hit))
