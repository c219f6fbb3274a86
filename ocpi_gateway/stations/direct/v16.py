"""The gateway as an OCPP 1.6J CSMS: answers what a 1.6 station sends and records its sessions.

The gateway assigns 1.6 transaction ids (through the session registry, unique across
nodes); StopTransaction carries no connector, which is fine because the registry finds
the session by (station, transaction id). Authorisation is not the gateway's job: every
idTag is Accepted.
"""

from __future__ import annotations

from typing import Any

import structlog
from ocpp.v16 import ChargePoint as V16ChargePoint
from ocpp.v16 import call_result
from ocpp.v16.enums import Action, AuthorizationStatus, DataTransferStatus, RegistrationStatus

from ocpi_gateway.stations.direct.central import GatewayChargePoint, on
from ocpi_gateway.translate.meter import MeterReading, reading_from_meter_values

log = structlog.get_logger(__name__)

_ACCEPTED = {"status": AuthorizationStatus.accepted}

# StopTransaction with this id means StartTransaction never reached a CSMS (errata 3.54).
_UNDELIVERED_TRANSACTION = -1


class StationV16(GatewayChargePoint, V16ChargePoint):  # type: ignore[misc]  # ocpp is untyped
    """CSMS-side handlers for one connected OCPP 1.6 station."""

    @on(Action.boot_notification)
    async def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, **kwargs: Any
    ) -> Any:
        self.remember_boot(
            charge_point_vendor,
            charge_point_model,
            serial_number=kwargs.get("charge_point_serial_number"),
            firmware_version=kwargs.get("firmware_version"),
        )
        return call_result.BootNotification(
            current_time=self.now_text(),
            interval=self.settings.ocpp.heartbeat_interval,
            status=RegistrationStatus.accepted,
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self, **kwargs: Any) -> Any:
        return call_result.Heartbeat(current_time=self.now_text())

    @on(Action.status_notification)
    async def on_status_notification(self, connector_id: int, status: str, **kwargs: Any) -> Any:
        log.debug("station_status", station_id=self.station_id, connector_id=connector_id, status=status)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag: str, **kwargs: Any) -> Any:
        return call_result.Authorize(id_tag_info=_ACCEPTED)

    @on(Action.start_transaction)
    async def on_start_transaction(
        self, connector_id: int, id_tag: str, timestamp: str, **kwargs: Any
    ) -> Any:
        session = await self.sessions.start_v16(
            self.station_id,
            connector_id,
            id_tag,
            self.timestamp(timestamp),
            meter_start_wh=kwargs.get("meter_start"),
        )
        log.info(
            "transaction_started",
            station_id=self.station_id,
            connector_id=connector_id,
            session_id=session.session_id,
        )
        return call_result.StartTransaction(transaction_id=int(session.transaction_id), id_tag_info=_ACCEPTED)

    @on(Action.stop_transaction)
    async def on_stop_transaction(self, transaction_id: int, timestamp: str, **kwargs: Any) -> Any:
        if transaction_id != _UNDELIVERED_TRANSACTION:
            final = reading_from_meter_values(kwargs.get("transaction_data"))
            await self.sessions.record_meter(
                self.station_id,
                MeterReading(kwargs.get("meter_stop"), final.power_w, final.current_a),
                transaction_id=str(transaction_id),
                notify=False,
            )
            session = await self.sessions.end(self.station_id, str(transaction_id), self.timestamp(timestamp))
            log.info(
                "transaction_ended",
                station_id=self.station_id,
                transaction_id=transaction_id,
                session_id=session.session_id if session else None,
            )
        if kwargs.get("id_tag") is None:
            return call_result.StopTransaction()
        return call_result.StopTransaction(id_tag_info=_ACCEPTED)

    @on(Action.meter_values)
    async def on_meter_values(self, connector_id: int, **kwargs: Any) -> Any:
        transaction_id = kwargs.get("transaction_id")
        await self.sessions.record_meter(
            self.station_id,
            reading_from_meter_values(kwargs.get("meter_value")),
            transaction_id=None if transaction_id is None else str(transaction_id),
            evse_id=connector_id,
        )
        return call_result.MeterValues()

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **kwargs: Any) -> Any:
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)
