"""The gateway as an OCPP 2.0.1 CSMS: answers what a 2.0.1 station sends and records its sessions.

In 2.0.1 the station names the transaction and reports it with TransactionEvent; the EVSE
is typically only in the early events, so the EVSE of each transaction is remembered
here (and kept in the session once it exists). Messages that mean "the active charging
profile may have changed" (NotifyChargingLimit, ClearedChargingLimit,
NotifyEVChargingNeeds, ReportChargingProfiles, TransactionEvent with triggerReason
ChargingRateChanged) are recorded on the sessions they touch, which lets the SCSP be
told (OCPI Sender PUT ActiveChargingProfile).
"""

from __future__ import annotations

from typing import Any

import structlog
from ocpp.v201 import ChargePoint as V201ChargePoint
from ocpp.v201 import call_result
from ocpp.v201.enums import (
    Action,
    AuthorizationStatusEnumType,
    DataTransferStatusEnumType,
    NotifyEVChargingNeedsStatusEnumType,
    RegistrationStatusEnumType,
    TransactionEventEnumType,
    TriggerReasonEnumType,
)

from ocpi_gateway.config import Settings
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.direct.central import GatewayChargePoint, on
from ocpi_gateway.translate.meter import reading_from_meter_values

log = structlog.get_logger(__name__)

_ACCEPTED = {"status": AuthorizationStatusEnumType.accepted}
# A transaction whose EVSE was never reported: one-EVSE stations are the common case.
_FALLBACK_EVSE = (1, 1)


class StationV201(GatewayChargePoint, V201ChargePoint):  # type: ignore[misc]  # ocpp is untyped
    """CSMS-side handlers for one connected OCPP 2.0.1 station."""

    def __init__(
        self, station_id: str, connection: Any, *, sessions: SessionRegistry, settings: Settings
    ) -> None:
        super().__init__(station_id, connection, sessions=sessions, settings=settings)
        self._tx_evse: dict[str, tuple[int, int]] = {}

    @on(Action.boot_notification)
    async def on_boot_notification(self, charging_station: dict[str, Any], **kwargs: Any) -> Any:
        self.remember_boot(
            charging_station.get("vendor_name"),
            charging_station.get("model"),
            serial_number=charging_station.get("serial_number"),
            firmware_version=charging_station.get("firmware_version"),
        )
        return call_result.BootNotification(
            current_time=self.now_text(),
            interval=self.settings.ocpp.heartbeat_interval,
            status=RegistrationStatusEnumType.accepted,
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self, **kwargs: Any) -> Any:
        return call_result.Heartbeat(current_time=self.now_text())

    @on(Action.status_notification)
    async def on_status_notification(self, evse_id: int, connector_status: str, **kwargs: Any) -> Any:
        log.debug("station_status", station_id=self.station_id, evse_id=evse_id, status=connector_status)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_token: dict[str, Any], **kwargs: Any) -> Any:
        return call_result.Authorize(id_token_info=_ACCEPTED)

    @on(Action.transaction_event)
    async def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        transaction_info: dict[str, Any],
        **kwargs: Any,
    ) -> Any:
        tx_id = str(transaction_info["transaction_id"])
        evse = kwargs.get("evse")
        if isinstance(evse, dict):
            self._tx_evse[tx_id] = (int(evse["id"]), int(evse.get("connector_id", 1)))
        id_token = kwargs.get("id_token")
        when = self.timestamp(timestamp)
        session = await self.sessions.find_by_transaction(self.station_id, tx_id)
        if session is None:
            evse_id, connector_id = self._tx_evse.get(tx_id, _FALLBACK_EVSE)
            if tx_id not in self._tx_evse:
                log.warning("transaction_evse_unknown", station_id=self.station_id, transaction_id=tx_id)
            id_tag = id_token.get("id_token") if isinstance(id_token, dict) else None
            session = await self.sessions.start_v201(
                self.station_id, tx_id, evse_id, connector_id, id_tag, when
            )
            log.info("transaction_started", station_id=self.station_id, session_id=session.session_id)
        await self.sessions.record_meter(
            self.station_id,
            reading_from_meter_values(kwargs.get("meter_value")),
            transaction_id=tx_id,
            notify=event_type != TransactionEventEnumType.ended,
        )
        if trigger_reason == TriggerReasonEnumType.charging_rate_changed:
            await self.sessions.record_profile_event(
                self.station_id, trigger_reason, evse_id=session.evse_id, transaction_id=tx_id
            )
        if event_type == TransactionEventEnumType.ended:
            await self.sessions.end(self.station_id, tx_id, when)
            self._tx_evse.pop(tx_id, None)
            log.info("transaction_ended", station_id=self.station_id, session_id=session.session_id)
        if id_token is None:
            return call_result.TransactionEvent()
        return call_result.TransactionEvent(id_token_info=_ACCEPTED)

    @on(Action.meter_values)
    async def on_meter_values(self, evse_id: int, **kwargs: Any) -> Any:
        await self.sessions.record_meter(
            self.station_id, reading_from_meter_values(kwargs.get("meter_value")), evse_id=evse_id
        )
        return call_result.MeterValues()

    @on(Action.notify_report)
    async def on_notify_report(self, request_id: int, **kwargs: Any) -> Any:
        return call_result.NotifyReport()

    @on(Action.notify_event)
    async def on_notify_event(self, generated_at: str, **kwargs: Any) -> Any:
        return call_result.NotifyEvent()

    @on(Action.notify_charging_limit)
    async def on_notify_charging_limit(self, charging_limit: dict[str, Any], **kwargs: Any) -> Any:
        await self._profile_event(Action.notify_charging_limit, kwargs.get("evse_id"))
        return call_result.NotifyChargingLimit()

    @on(Action.cleared_charging_limit)
    async def on_cleared_charging_limit(self, charging_limit_source: str, **kwargs: Any) -> Any:
        await self._profile_event(Action.cleared_charging_limit, kwargs.get("evse_id"))
        return call_result.ClearedChargingLimit()

    @on(Action.notify_ev_charging_needs)
    async def on_notify_ev_charging_needs(self, evse_id: int, **kwargs: Any) -> Any:
        """Processing when a running session is told (its SCSP may send a schedule), else Rejected.

        The gateway computes no schedule from charging needs itself; Accepted would promise
        one "momentarily" (K15), which only the steering party can deliver.
        """
        touched = await self._profile_event(Action.notify_ev_charging_needs, evse_id)
        status = (
            NotifyEVChargingNeedsStatusEnumType.processing
            if touched
            else NotifyEVChargingNeedsStatusEnumType.rejected
        )
        return call_result.NotifyEVChargingNeeds(status=status)

    @on(Action.report_charging_profiles)
    async def on_report_charging_profiles(self, evse_id: int, **kwargs: Any) -> Any:
        await self._profile_event(Action.report_charging_profiles, evse_id)
        return call_result.ReportChargingProfiles()

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **kwargs: Any) -> Any:
        return call_result.DataTransfer(status=DataTransferStatusEnumType.unknown_vendor_id)

    async def _profile_event(self, reason: str, evse_id: Any) -> int:
        """Record a possible active-profile change; the number of sessions it touched."""
        evse = evse_id if isinstance(evse_id, int) else None
        touched = await self.sessions.record_profile_event(self.station_id, str(reason), evse_id=evse)
        log.info(
            "station_profile_event",
            station_id=self.station_id,
            reason=str(reason),
            evse_id=evse,
            sessions=len(touched),
        )
        return len(touched)
