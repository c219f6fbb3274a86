"""The CALLs a simulated station sends, per OCPP version: data in, ``ocpp`` payload out.

Kept apart from :mod:`.station` (which owns the socket and timing) so the shapes of boot,
status, transaction and limit messages can be read in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from ocpi_gateway.timeutil import format_utc

V16 = "ocpp1.6"
VENDOR = "ocpi-gateway"
# A rough meter: about 11 kW, in Wh per second of charging.
WH_PER_SECOND = 3


def boot(protocol: str) -> Any:
    if protocol == V16:
        return call16.BootNotification(charge_point_model="SimCP", charge_point_vendor=VENDOR)
    return call201.BootNotification(
        charging_station={"model": "SimCS", "vendor_name": VENDOR}, reason="PowerUp"
    )


def heartbeat(protocol: str) -> Any:
    return call16.Heartbeat() if protocol == V16 else call201.Heartbeat()


def connector_status(protocol: str, connector: int, charging: bool, now: datetime) -> Any | None:
    """StatusNotification for a connector (1.6) or EVSE (2.0.1); 2.0.1 has no connector 0."""
    stamp = format_utc(now)
    if protocol == V16:
        return call16.StatusNotification(
            connector, "NoError", "Charging" if charging else "Available", timestamp=stamp
        )
    if connector == 0:
        return None
    status = "Occupied" if charging else "Available"
    return call201.StatusNotification(stamp, status, evse_id=connector, connector_id=1)


def start_transaction_v16(connector_id: int, id_tag: str, started: datetime) -> Any:
    return call16.StartTransaction(connector_id, id_tag, 0, format_utc(started))


def stop_transaction_v16(
    transaction_id: str, started: datetime, now: datetime, meter_wh: float | None = None
) -> Any:
    meter = int((now - started).total_seconds() * WH_PER_SECOND) if meter_wh is None else int(meter_wh)
    return call16.StopTransaction(meter, format_utc(now), int(transaction_id), reason="Local")


def meter_value(protocol: str, energy_wh: float, power_w: float | None, now: datetime) -> dict[str, Any]:
    """One ``meterValue`` entry: the energy register (Wh) and, if given, the power (W)."""
    samples: list[dict[str, Any]] = []
    for measurand, value, unit in (
        ("Energy.Active.Import.Register", energy_wh, "Wh"),
        ("Power.Active.Import", power_w, "W"),
    ):
        if value is None:
            continue
        if protocol == V16:  # 1.6 values are strings with a unit name
            samples.append({"value": f"{value:g}", "measurand": measurand, "unit": unit})
        else:
            samples.append({"value": value, "measurand": measurand, "unit_of_measure": {"unit": unit}})
    return {"timestamp": format_utc(now), "sampled_value": samples}


def meter_values_v16(connector_id: int, transaction_id: str, value: dict[str, Any]) -> Any:
    return call16.MeterValues(connector_id, [value], transaction_id=int(transaction_id))


def cleared_charging_limit(evse_id: int, source: str) -> Any:
    return call201.ClearedChargingLimit(charging_limit_source=source, evse_id=evse_id)


def transaction_event(
    event_type: str,
    transaction_id: str,
    trigger: str,
    *,
    seq_no: int,
    charging_state: str,
    now: datetime,
    evse_id: int | None = None,
    id_tag: str | None = None,
    stopped_reason: str | None = None,
    meter_value: list[dict[str, Any]] | None = None,
) -> Any:
    """A 2.0.1 TransactionEvent; the EVSE and idToken belong in the Started event only."""
    info: dict[str, Any] = {"transaction_id": transaction_id, "charging_state": charging_state}
    if stopped_reason is not None:
        info["stopped_reason"] = stopped_reason
    return call201.TransactionEvent(
        event_type=event_type,
        timestamp=format_utc(now),
        trigger_reason=trigger,
        seq_no=seq_no,
        transaction_info=info,
        evse=None if evse_id is None else {"id": evse_id, "connector_id": 1},
        id_token=None if id_tag is None else {"id_token": id_tag, "type": "ISO14443"},
        meter_value=meter_value,
    )


def notify_charging_limit(
    evse_id: int, limit: float, unit: str, source: str, duration: int | None, now: datetime
) -> Any:
    """A 2.0.1 NotifyChargingLimit with a one-period schedule starting ``now``."""
    schedule: dict[str, Any] = {
        "id": 1,
        "charging_rate_unit": unit,
        "charging_schedule_period": [{"start_period": 0, "limit": limit}],
        "start_schedule": format_utc(now),
    }
    if duration is not None:
        schedule["duration"] = duration
    return call201.NotifyChargingLimit(
        charging_limit={"charging_limit_source": source}, evse_id=evse_id, charging_schedule=[schedule]
    )
