"""A partner's OCPP 1.6 SetChargingProfile request -> the ``ocpp`` call dataclass a station takes.

Pure, like ``translate/``: the request (already checked by ``validation.py``) goes in, an
``ocpp.v16.call.SetChargingProfile`` or ``ocpp.v201.call.SetChargingProfile`` comes out,
so the same job reaches a 1.6 station, a 2.0.1 station, a CSMS REST API or a message bus.

Rules:

* limits at or above ``api.unlimited_threshold`` become the EVSE maximum
  (:func:`substitute_unlimited`): ``ocpp.evse_max_current`` (or the station's own) in A, or that times
  ``ocpp.voltage`` times the period's ``numberPhases`` (else ``ocpp.default_phases``) in W;
* a session's request goes to the session's connector (EVSE) and a TxProfile carries the
  session's transaction id;
* 2.0.1: ``ChargePointMaxProfile`` is ``ChargingStationMaxProfile``, the schedule's id is
  the profile id, an Absolute or Recurring profile without ``startSchedule`` starts at
  ``now`` (2.0.1 requires one, K01.FR.40) and a Relative one drops it (K01.FR.41).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v16 import datatypes as types16
from ocpp.v16 import enums as enums16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201
from ocpp.v201 import enums as enums201

from ocpi_gateway.domain import Electrical, OcppVersion
from ocpi_gateway.errors import TranslationError
from ocpi_gateway.timeutil import format_utc, parse_utc
from ocpi_gateway.translate.units import floor_tenth

PURPOSE_201 = {"ChargePointMaxProfile": "ChargingStationMaxProfile"}


def plain_json(value: Any) -> Any:
    """The request with ``Decimal`` numbers as floats, ready to store and to hand to ``ocpp``.

    The ``ocpp`` package refuses ``Decimal`` input and the job store would turn it into text.
    """
    if isinstance(value, Decimal):
        return float(value)  # only JSON numbers with a fraction or exponent are parsed as Decimal
    if isinstance(value, dict):
        return {key: plain_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_json(item) for item in value]
    return value


def evse_maximum(unit: str, phases: int | None, max_current: float, electrical: Electrical) -> float:
    """The EVSE maximum in ``unit``: ``max_current`` A per phase, or its power in W."""
    if unit == "A":
        return floor_tenth(max_current)
    return floor_tenth(max_current * electrical.voltage * (phases or electrical.phases))


def substitute_unlimited(
    request: Mapping[str, Any], *, threshold: float, max_current: float, electrical: Electrical
) -> dict[str, Any]:
    """A copy of the request whose "no limit" values (``limit >= threshold``) are the EVSE maximum."""
    out = copy.deepcopy(dict(request))
    schedule = out.get("csChargingProfiles", {}).get("chargingSchedule", {})
    unit = str(schedule.get("chargingRateUnit", "A"))
    for period in schedule.get("chargingSchedulePeriod", []):
        if float(period["limit"]) >= threshold:
            period["limit"] = evse_maximum(unit, period.get("numberPhases"), max_current, electrical)
    return out


def _time(value: Any) -> str | None:
    return None if value is None else format_utc(parse_utc(str(value)))


def _transaction(profile: Mapping[str, Any], transaction_id: str | None) -> str | None:
    """The transaction the profile names: the session's for a session TxProfile, else as sent."""
    if profile.get("chargingProfilePurpose") != "TxProfile":
        return None
    if transaction_id is not None:
        return transaction_id
    given = profile.get("transactionId")
    return None if given is None else str(given)


def to_station_call(
    request: Mapping[str, Any],
    version: OcppVersion,
    *,
    now: datetime,
    connector_id: int | None = None,
    transaction_id: str | None = None,
) -> Any:
    """The SetChargingProfile call for a station speaking ``version``.

    Args:
        request: the validated 1.6 request with plain floats (:func:`plain_json`).
        version: the station's OCPP version (drivers other than direct report 2.0.1).
        now: start of an Absolute/Recurring schedule that names none (2.0.1 only).
        connector_id: the session's connector (1.6) / EVSE (2.0.1); ``None`` = as sent.
        transaction_id: the session's transaction id; ``None`` = as sent.

    Raises:
        TranslationError: a 1.6 station and a transaction id that is not an integer.
    """
    profile = request["csChargingProfiles"]
    connector = request["connectorId"] if connector_id is None else connector_id
    tx = _transaction(profile, transaction_id)
    if version is OcppVersion.V16:
        return _call16(profile, connector, tx)
    return _call201(profile, connector, tx, now)


def _call16(profile: Mapping[str, Any], connector: int, tx: str | None) -> Any:
    if tx is not None and not tx.isdigit():
        raise TranslationError(f"OCPP 1.6 needs an integer transaction id, got {tx!r}")
    schedule = profile["chargingSchedule"]
    return call16.SetChargingProfile(
        connector_id=connector,
        cs_charging_profiles=types16.ChargingProfile(
            charging_profile_id=profile["chargingProfileId"],
            stack_level=profile["stackLevel"],
            charging_profile_purpose=enums16.ChargingProfilePurposeType(profile["chargingProfilePurpose"]),
            charging_profile_kind=enums16.ChargingProfileKindType(profile["chargingProfileKind"]),
            charging_schedule=types16.ChargingSchedule(
                charging_rate_unit=enums16.ChargingRateUnitType(schedule["chargingRateUnit"]),
                charging_schedule_period=[
                    types16.ChargingSchedulePeriod(
                        start_period=p["startPeriod"],
                        limit=float(p["limit"]),
                        number_phases=p.get("numberPhases"),
                    )
                    for p in schedule["chargingSchedulePeriod"]
                ],
                duration=schedule.get("duration"),
                start_schedule=_time(schedule.get("startSchedule")),
                min_charging_rate=_float(schedule.get("minChargingRate")),
            ),
            transaction_id=None if tx is None else int(tx),
            recurrency_kind=_enum(enums16.RecurrencyKind, profile.get("recurrencyKind")),
            valid_from=_time(profile.get("validFrom")),
            valid_to=_time(profile.get("validTo")),
        ),
    )


def _call201(profile: Mapping[str, Any], evse: int, tx: str | None, now: datetime) -> Any:
    schedule = profile["chargingSchedule"]
    kind = str(profile["chargingProfileKind"])
    start = _time(schedule.get("startSchedule"))
    if kind == "Relative":
        start = None
    elif start is None:
        start = format_utc(now)
    purpose = str(profile["chargingProfilePurpose"])
    return call201.SetChargingProfile(
        evse_id=evse,
        charging_profile=types201.ChargingProfileType(
            id=profile["chargingProfileId"],
            stack_level=profile["stackLevel"],
            charging_profile_purpose=enums201.ChargingProfilePurposeEnumType(
                PURPOSE_201.get(purpose, purpose)
            ),
            charging_profile_kind=enums201.ChargingProfileKindEnumType(kind),
            charging_schedule=[
                types201.ChargingScheduleType(
                    id=profile["chargingProfileId"],
                    charging_rate_unit=enums201.ChargingRateUnitEnumType(schedule["chargingRateUnit"]),
                    charging_schedule_period=[
                        types201.ChargingSchedulePeriodType(
                            start_period=p["startPeriod"],
                            limit=float(p["limit"]),
                            number_phases=p.get("numberPhases"),
                        )
                        for p in schedule["chargingSchedulePeriod"]
                    ],
                    start_schedule=start,
                    duration=schedule.get("duration"),
                    min_charging_rate=_float(schedule.get("minChargingRate")),
                )
            ],
            valid_from=_time(profile.get("validFrom")),
            valid_to=_time(profile.get("validTo")),
            transaction_id=tx,
            recurrency_kind=_enum(enums201.RecurrencyKindEnumType, profile.get("recurrencyKind")),
        ),
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _enum(enum: Any, value: Any) -> Any:
    return None if value is None else enum(value)
