"""The CPO's station-wide maximum as OCPP: ChargePointMaxProfile (1.6) / ChargingStationMaxProfile (2.0.1).

Pure, like the rest of ``translate``. ``PUT /admin/stations/{station_id}/limit`` becomes one
profile on connector / EVSE 0 under the gateway's own profile id and stack level
(``ocpp.station_limit_profile_id``, ``ocpp.station_limit_stack_level``), so setting it again
replaces it and clearing removes exactly it, never the CPO's or a CSMS's other profiles.

The profile is Absolute from ``now`` with no duration: a maximum holds until it is cleared.
2.0.1 forbids a Relative ChargingStationMaxProfile (K01.FR.38), and an Absolute one reads
the same in both versions. The unit is the one asked for when the station allows it, else
converted with ``ocpp.voltage`` and ``ocpp.default_phases`` (floored to 0.1, like SCSP limits).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v16 import datatypes as types16
from ocpp.v16 import enums as enums16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201
from ocpp.v201 import enums as enums201

from ocpi_gateway.domain import Capabilities, Electrical, OcppVersion
from ocpi_gateway.errors import NotSupportedByStation
from ocpi_gateway.timeutil import format_utc
from ocpi_gateway.translate import units
from ocpi_gateway.translate.profiles import choose_unit, effective_stack_level

STATION_WIDE = 0  # connector 0 (1.6) / EVSE 0 (2.0.1): the whole station


def to_set_station_limit(
    version: OcppVersion,
    *,
    limit: float,
    unit: str,
    profile_id: int,
    stack_level: int,
    capabilities: Capabilities,
    electrical: Electrical,
    now: datetime,
) -> Any:
    """SetChargingProfile with the station-wide maximum ``limit`` (``unit`` ``"A"`` or ``"W"``).

    Raises:
        NotSupportedByStation: the station has no smart charging.
    """
    if not capabilities.smart_charging:
        raise NotSupportedByStation("the station does not support smart charging")
    sent_unit = choose_unit(unit, capabilities)
    value = units.convert(limit, unit, sent_unit, electrical)
    phases = electrical.phases if sent_unit != unit else None
    level = effective_stack_level(stack_level, capabilities)
    start = format_utc(now)
    if version is OcppVersion.V16:
        return call16.SetChargingProfile(
            connector_id=STATION_WIDE,
            cs_charging_profiles=types16.ChargingProfile(
                charging_profile_id=profile_id,
                stack_level=level,
                charging_profile_purpose=enums16.ChargingProfilePurposeType.charge_point_max_profile,
                charging_profile_kind=enums16.ChargingProfileKindType.absolute,
                charging_schedule=types16.ChargingSchedule(
                    charging_rate_unit=enums16.ChargingRateUnitType(sent_unit),
                    charging_schedule_period=[
                        types16.ChargingSchedulePeriod(start_period=0, limit=value, number_phases=phases)
                    ],
                    start_schedule=start,
                ),
            ),
        )
    return call201.SetChargingProfile(
        evse_id=STATION_WIDE,
        charging_profile=types201.ChargingProfileType(
            id=profile_id,
            stack_level=level,
            charging_profile_purpose=enums201.ChargingProfilePurposeEnumType.charging_station_max_profile,
            charging_profile_kind=enums201.ChargingProfileKindEnumType.absolute,
            charging_schedule=[
                types201.ChargingScheduleType(
                    id=profile_id,
                    charging_rate_unit=enums201.ChargingRateUnitEnumType(sent_unit),
                    charging_schedule_period=[
                        types201.ChargingSchedulePeriodType(start_period=0, limit=value, number_phases=phases)
                    ],
                    start_schedule=start,
                )
            ],
        ),
    )


def to_clear_station_limit(version: OcppVersion, *, profile_id: int) -> Any:
    """ClearChargingProfile for exactly the gateway's station-wide maximum (by its id)."""
    if version is OcppVersion.V16:
        return call16.ClearChargingProfile(id=profile_id)
    return call201.ClearChargingProfile(charging_profile_id=profile_id)
