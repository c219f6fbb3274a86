"""OCPI ChargingProfile -> OCPP request dataclasses (SetChargingProfile, Clear..., GetCompositeSchedule).

Pure: data in, ``ocpp`` package dataclasses out, so the same code serves the job worker,
the sync dry run in steering and the ``translate`` CLI command. The version-neutral work
(unit choice, W<->A conversion, flooring, stack level, kind) happens once in
:func:`_plan`; the two builders only lay the result out the way each OCPP version wants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v16 import datatypes as types16
from ocpp.v16 import enums as enums16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201
from ocpp.v201 import enums as enums201

from ocpi_gateway.domain import Capabilities, Electrical, OcppVersion
from ocpi_gateway.errors import NotSupportedByStation, TranslationError
from ocpi_gateway.models.ocpi import ChargingProfile
from ocpi_gateway.timeutil import format_utc
from ocpi_gateway.translate import units

_UNITS = ("A", "W")
_MAX_TX_ID_201 = 36  # OCPP 2.0.1 transactionId is identifierString(36)


@dataclass(frozen=True, slots=True)
class ProfileTarget:
    """Where and under which ids a session's profile goes on the station.

    ``profile_id`` is allocated once per session and reused by every PUT, so a new PUT
    replaces the gateway's profile (1.6 and 2.0.1 both replace on the same id) instead of
    stacking a second one that 2.0.1 would reject.
    """

    connector_id: int
    transaction_id: str
    profile_id: int
    stack_level: int
    capabilities: Capabilities
    electrical: Electrical


@dataclass(frozen=True, slots=True)
class _Period:
    start_period: int
    limit: float
    number_phases: int | None


@dataclass(frozen=True, slots=True)
class _Plan:
    """The version-neutral schedule: what both OCPP versions agree on."""

    unit: str
    absolute: bool
    start_schedule: str | None
    duration: int | None
    min_charging_rate: float | None
    periods: list[_Period]
    stack_level: int


def choose_unit(requested: str, capabilities: Capabilities) -> str:
    """The unit to send: the OCPI one when the station allows it, else the other allowed one.

    Stations that report nothing usable (an empty set) get the OCPI unit unchanged; the
    station then answers for itself.
    """
    allowed = {unit.strip().upper() for unit in capabilities.allowed_units}
    if requested in allowed:
        return requested
    for unit in _UNITS:
        if unit in allowed:
            return unit
    return requested


def effective_stack_level(configured: int, capabilities: Capabilities) -> int:
    """The configured stack level, capped at the station's reported maximum (never below 0).

    Clearing by criteria must use this same number, or it would miss the profile it set.
    """
    level = configured
    if capabilities.max_stack_level is not None:
        level = min(level, capabilities.max_stack_level)
    return max(level, 0)


def _plan(profile: ChargingProfile, target: ProfileTarget) -> _Plan:
    """Check the profile against the station and convert it; raise if the station cannot take it."""
    caps = target.capabilities
    if not caps.smart_charging:
        raise NotSupportedByStation("the station does not support smart charging")
    if target.connector_id <= 0:
        raise TranslationError(f"a TxProfile needs a connector/EVSE id > 0, got {target.connector_id}")
    count = len(profile.charging_profile_period)
    if caps.max_periods is not None and count > caps.max_periods:
        raise TranslationError(
            f"profile has {count} periods but the station accepts at most {caps.max_periods}"
        )
    requested = profile.charging_rate_unit.value
    unit = choose_unit(requested, caps)
    converted = unit != requested
    electrical = target.electrical
    if converted and (electrical.voltage <= 0 or electrical.phases <= 0):
        raise TranslationError(
            f"cannot convert {requested} to {unit} with voltage {electrical.voltage} "
            f"and {electrical.phases} phases"
        )
    phases = electrical.phases if converted else None
    periods = [
        _Period(p.start_period, units.convert(p.limit, requested, unit, electrical), phases)
        for p in profile.charging_profile_period
    ]
    min_rate = profile.min_charging_rate
    start = profile.start_date_time
    return _Plan(
        unit=unit,
        absolute=start is not None,
        start_schedule=format_utc(start) if start is not None else None,
        duration=profile.duration,
        min_charging_rate=None if min_rate is None else units.convert(min_rate, requested, unit, electrical),
        periods=periods,
        stack_level=effective_stack_level(target.stack_level, caps),
    )


def to_set_charging_profile(version: OcppVersion, profile: ChargingProfile, target: ProfileTarget) -> Any:
    """A TxProfile SetChargingProfile request for the session's transaction.

    Returns an ``ocpp.v16.call.SetChargingProfile`` or ``ocpp.v201.call.SetChargingProfile``.
    Limits are floats floored to 0.1 (the 1.6 package checks ``multipleOf 0.1`` and
    refuses ``Decimal`` input).

    Raises:
        NotSupportedByStation: the station has no smart charging.
        TranslationError: too many periods, a bad connector or transaction id.
    """
    plan = _plan(profile, target)
    if version is OcppVersion.V16:
        return _set16(plan, target)
    return _set201(plan, target)


def _set16(plan: _Plan, target: ProfileTarget) -> Any:
    try:
        transaction_id = int(target.transaction_id)
    except ValueError:
        raise TranslationError(
            f"OCPP 1.6 needs an integer transaction id, got {target.transaction_id!r}"
        ) from None
    schedule = types16.ChargingSchedule(
        charging_rate_unit=enums16.ChargingRateUnitType(plan.unit),
        charging_schedule_period=[
            types16.ChargingSchedulePeriod(
                start_period=p.start_period, limit=p.limit, number_phases=p.number_phases
            )
            for p in plan.periods
        ],
        duration=plan.duration,
        start_schedule=plan.start_schedule,
        min_charging_rate=plan.min_charging_rate,
    )
    kind = enums16.ChargingProfileKindType
    return call16.SetChargingProfile(
        connector_id=target.connector_id,
        cs_charging_profiles=types16.ChargingProfile(
            charging_profile_id=target.profile_id,
            stack_level=plan.stack_level,
            charging_profile_purpose=enums16.ChargingProfilePurposeType.tx_profile,
            charging_profile_kind=kind.absolute if plan.absolute else kind.relative,
            charging_schedule=schedule,
            transaction_id=transaction_id,
        ),
    )


def _set201(plan: _Plan, target: ProfileTarget) -> Any:
    transaction_id = target.transaction_id
    if not transaction_id or len(transaction_id) > _MAX_TX_ID_201:
        raise TranslationError(
            f"OCPP 2.0.1 needs a transaction id of 1..{_MAX_TX_ID_201} characters, got {transaction_id!r}"
        )
    schedule = types201.ChargingScheduleType(
        id=target.profile_id,
        charging_rate_unit=enums201.ChargingRateUnitEnumType(plan.unit),
        charging_schedule_period=[
            types201.ChargingSchedulePeriodType(
                start_period=p.start_period, limit=p.limit, number_phases=p.number_phases
            )
            for p in plan.periods
        ],
        start_schedule=plan.start_schedule,
        duration=plan.duration,
        min_charging_rate=plan.min_charging_rate,
    )
    kind = enums201.ChargingProfileKindEnumType
    return call201.SetChargingProfile(
        evse_id=target.connector_id,
        charging_profile=types201.ChargingProfileType(
            id=target.profile_id,
            stack_level=plan.stack_level,
            charging_profile_purpose=enums201.ChargingProfilePurposeEnumType.tx_profile,
            charging_profile_kind=kind.absolute if plan.absolute else kind.relative,
            charging_schedule=[schedule],
            transaction_id=transaction_id,
        ),
    )


def to_clear_charging_profile(
    version: OcppVersion, *, profile_id: int | None, connector_id: int, stack_level: int
) -> Any:
    """ClearChargingProfile for the gateway's profile: by id, else by TxProfile criteria.

    Never an empty request: in 1.6 that clears every profile on the station, including
    the CPO's ChargePointMaxProfile. Criteria always carry the purpose, the connector and
    the stack level (pass :func:`effective_stack_level`, the one the profile was set with).

    Raises:
        TranslationError: clearing by criteria without a real connector (id <= 0), which
            would reach beyond the session's connector.
    """
    if profile_id is None and connector_id <= 0:
        raise TranslationError(f"clearing by criteria needs a connector/EVSE id > 0, got {connector_id}")
    if version is OcppVersion.V16:
        if profile_id is not None:
            return call16.ClearChargingProfile(id=profile_id)
        return call16.ClearChargingProfile(
            connector_id=connector_id,
            charging_profile_purpose=enums16.ChargingProfilePurposeType.tx_profile,
            stack_level=stack_level,
        )
    if profile_id is not None:
        return call201.ClearChargingProfile(charging_profile_id=profile_id)
    return call201.ClearChargingProfile(
        charging_profile_criteria=types201.ClearChargingProfileType(
            evse_id=connector_id,
            charging_profile_purpose=enums201.ChargingProfilePurposeEnumType.tx_profile,
            stack_level=stack_level,
        )
    )


def to_get_composite_schedule(
    version: OcppVersion, *, connector_id: int, duration: int, unit: str | None = None
) -> Any:
    """GetCompositeSchedule for the session's connector/EVSE over ``duration`` seconds.

    ``unit`` forces the station's answer into ``"A"`` or ``"W"``; ``None`` lets the station
    choose (the fallback when it rejects a forced unit).

    Raises:
        TranslationError: ``unit`` is neither ``"A"`` nor ``"W"``.
    """
    if unit is not None and unit not in _UNITS:
        raise TranslationError(f"charging rate unit must be A or W, got {unit!r}")
    if version is OcppVersion.V16:
        return call16.GetCompositeSchedule(
            connector_id=connector_id,
            duration=duration,
            charging_rate_unit=None if unit is None else enums16.ChargingRateUnitType(unit),
        )
    return call201.GetCompositeSchedule(
        duration=duration,
        evse_id=connector_id,
        charging_rate_unit=None if unit is None else enums201.ChargingRateUnitEnumType(unit),
    )
