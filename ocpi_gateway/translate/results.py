"""OCPP answers (``call_result`` dataclasses) -> OCPI result types and ActiveChargingProfile.

Pure, like the rest of ``translate``. Responses built by the ``ocpp`` package carry nested
objects as plain dicts with snake_case keys (and 1.6 composite limits as ``Decimal``);
responses built by hand may carry ``datatypes`` dataclasses instead. :func:`_get` reads
both, so every driver's answer goes through the same code.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from ocpi_gateway.domain import OcppVersion
from ocpi_gateway.models.ocpi import (
    ActiveChargingProfile,
    ActiveChargingProfileResult,
    ChargingProfile,
    ChargingProfilePeriod,
    ChargingProfileResultType,
    ChargingRateUnit,
)
from ocpi_gateway.timeutil import ensure_utc, parse_utc
from ocpi_gateway.translate.units import floor_tenth

_ACCEPTED = "Accepted"
_UNKNOWN = "Unknown"


def _get(obj: Any, name: str) -> Any:
    """A field of a dict (package-built responses) or of a dataclass (hand-built ones)."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _status(response: Any) -> str | None:
    status = _get(response, "status")
    return None if status is None else str(status)


def set_result(version: OcppVersion, response: Any) -> ChargingProfileResultType:
    """SetChargingProfile answer: ``Accepted`` -> ACCEPTED, anything else -> REJECTED.

    ``version`` is taken for symmetry: both versions name the statuses the same way.
    """
    if _status(response) == _ACCEPTED:
        return ChargingProfileResultType.ACCEPTED
    return ChargingProfileResultType.REJECTED


def clear_result(version: OcppVersion, response: Any) -> ChargingProfileResultType:
    """ClearChargingProfile answer: ``Accepted`` -> ACCEPTED, ``Unknown`` -> UNKNOWN, else REJECTED.

    ``Unknown`` is normal after the transaction ended: the station already dropped the
    TxProfile. Both versions name the statuses the same way.
    """
    status = _status(response)
    if status == _ACCEPTED:
        return ChargingProfileResultType.ACCEPTED
    if status == _UNKNOWN:
        return ChargingProfileResultType.UNKNOWN
    return ChargingProfileResultType.REJECTED


def composite_result(
    version: OcppVersion, response: Any, requested_at: datetime
) -> ActiveChargingProfileResult:
    """GetCompositeSchedule answer -> the OCPI ActiveChargingProfileResult.

    ``Accepted`` with a usable schedule -> ACCEPTED with the profile; a rejection, a missing
    schedule, no periods or a schedule OCPI cannot express -> REJECTED without a profile.
    ``requested_at`` is the start when the station names none (1.6 may omit scheduleStart).
    """
    rejected = ActiveChargingProfileResult(result=ChargingProfileResultType.REJECTED)
    if _status(response) != _ACCEPTED:
        return rejected
    try:
        active = _active16(response, requested_at) if version is OcppVersion.V16 else _active201(response)
    except (ValidationError, ValueError, TypeError, ArithmeticError):
        return rejected
    if active is None:
        return rejected
    return ActiveChargingProfileResult(result=ChargingProfileResultType.ACCEPTED, profile=active)


def _active16(response: Any, requested_at: datetime) -> ActiveChargingProfile | None:
    """1.6: the time base is ``scheduleStart``, else the schedule's own start, else request time."""
    schedule = _get(response, "charging_schedule")
    if schedule is None:
        return None
    start = _instant(_get(response, "schedule_start")) or _instant(_get(schedule, "start_schedule"))
    return _active(
        start=start or ensure_utc(requested_at),
        unit=_get(schedule, "charging_rate_unit"),
        duration=_get(schedule, "duration"),
        min_rate=_get(schedule, "min_charging_rate"),
        periods=_get(schedule, "charging_schedule_period"),
    )


def _active201(response: Any) -> ActiveChargingProfile | None:
    """2.0.1: ``schedule`` is required on Accepted and always names its ``scheduleStart``."""
    schedule = _get(response, "schedule")
    if schedule is None:
        return None
    start = _instant(_get(schedule, "schedule_start"))
    if start is None:
        return None
    return _active(
        start=start,
        unit=_get(schedule, "charging_rate_unit"),
        duration=_get(schedule, "duration"),
        min_rate=None,
        periods=_get(schedule, "charging_schedule_period"),
    )


def _active(
    *, start: datetime, unit: Any, duration: Any, min_rate: Any, periods: Iterable[Any] | None
) -> ActiveChargingProfile | None:
    """Build the OCPI profile; the pydantic model refuses what OCPI cannot carry (ValidationError)."""
    if not periods:
        return None
    profile = ChargingProfile(
        duration=int(duration) if duration else None,
        charging_rate_unit=ChargingRateUnit(str(unit)),
        min_charging_rate=None if min_rate is None else _limit(min_rate),
        charging_profile_period=[
            ChargingProfilePeriod(start_period=int(_get(p, "start_period")), limit=_limit(_get(p, "limit")))
            for p in periods
        ],
    )
    return ActiveChargingProfile(start_date_time=start, charging_profile=profile)


def _limit(value: float | int | Decimal) -> float:
    """A station limit as an OCPI float floored to 0.1 (1.6 composites come back as Decimal)."""
    return floor_tenth(float(value))


def _instant(value: Any) -> datetime | None:
    """An OCPP dateTime (text or datetime) as aware UTC; ``None`` when absent.

    Raises:
        ValueError: present but not a date-time (the answer is then REJECTED).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return ensure_utc(value)
    return parse_utc(str(value))
