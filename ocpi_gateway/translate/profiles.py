"""Every profile format -> OCPP request dataclasses (SetChargingProfile, Clear..., GetCompositeSchedule).

Pure: data in, ``ocpp`` package dataclasses out, so the same code serves the job worker,
the sync dry runs (steering, the OCPP-format API) and the ``translate`` CLI command. Every
format becomes one :class:`ProfileSpec` first: an OCPI ChargingProfile through
:func:`spec_from_ocpi`, a partner's OCPP 1.6 SetChargingProfile body through
``translate.ocpp_format.spec_from_request``. The version-neutral work (the station's
capabilities, unit choice, W<->A conversion with the period's phases, flooring, stack level,
kind) then happens once in :func:`_plan`; the two builders only lay the result out the way
each OCPP version wants.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
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
TX_PROFILE = "TxProfile"
STATION_MAX = "ChargePointMaxProfile"  # 2.0.1: ChargingStationMaxProfile (PURPOSE_201)
PURPOSES = (TX_PROFILE, "TxDefaultProfile", STATION_MAX)
# OCPP integers are 32-bit (the JSON schemas say only "integer"; stations hold an int32).
MAX_OCPP_INT = 2**31 - 1
PURPOSE_201 = {STATION_MAX: "ChargingStationMaxProfile"}


@dataclass(frozen=True, slots=True)
class PeriodSpec:
    """One period as the partner wrote it; ``number_phases`` only when it said so."""

    start_period: int
    limit: float
    number_phases: int | None = None


@dataclass(frozen=True, slots=True)
class ProfileSpec:
    """A charging profile in no format at all: what OCPI and OCPP-format requests both become.

    ``kind`` ``None`` means "Absolute when ``start_schedule`` is given, else Relative" (OCPI).
    ``purpose`` is an OCPP 1.6 name; the 2.0.1 builder renames ChargePointMaxProfile.
    """

    unit: str
    periods: tuple[PeriodSpec, ...]
    start_schedule: datetime | None = None
    duration: int | None = None
    min_charging_rate: float | None = None
    purpose: str = TX_PROFILE
    kind: str | None = None
    recurrency_kind: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None


def spec_from_ocpi(profile: ChargingProfile) -> ProfileSpec:
    """An OCPI ChargingProfile (a TxProfile for the session, Absolute when it has a start)."""
    return ProfileSpec(
        unit=profile.charging_rate_unit.value,
        periods=tuple(PeriodSpec(p.start_period, p.limit) for p in profile.charging_profile_period),
        start_schedule=profile.start_date_time,
        duration=profile.duration,
        min_charging_rate=profile.min_charging_rate,
    )


@dataclass(frozen=True, slots=True)
class ProfileTarget:
    """Where and under which ids a session's profile goes on the station.

    ``profile_id`` is allocated once per session and reused by every PUT, so a new PUT
    replaces the gateway's profile (1.6 and 2.0.1 both replace on the same id) instead of
    stacking a second one that 2.0.1 would reject.
    """

    connector_id: int
    transaction_id: str | None
    profile_id: int
    stack_level: int
    capabilities: Capabilities
    electrical: Electrical
    # 2.0.1 needs a startSchedule for Absolute and Recurring profiles (K01.FR.40): this one when
    # the request named none (``translate`` reads no clock; the caller passes the time).
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Period:
    start_period: int
    limit: float
    number_phases: int | None


@dataclass(frozen=True, slots=True)
class _Plan:
    """The version-neutral schedule: what both OCPP versions agree on."""

    unit: str
    kind: str
    start_schedule: str | None
    duration: int | None
    min_charging_rate: float | None
    periods: list[_Period]
    stack_level: int
    purpose: str
    recurrency_kind: str | None
    valid_from: str | None
    valid_to: str | None


def ocpi_equivalent(spec: ProfileSpec) -> ChargingProfile | None:
    """The OCPI ChargingProfile that says what ``spec`` says, when OCPI can say it.

    A session whose profile came in OCPP format keeps this as its applied profile (what GET
    and a reconnect's re-apply use). ``None`` for what OCPI has no words for: a recurring
    profile, another purpose, or per-period phases that differ from each other.
    """
    phases = {p.number_phases for p in spec.periods}
    if spec.purpose != TX_PROFILE or spec.kind == "Recurring" or len(phases) > 1:
        return None
    try:
        return ChargingProfile.model_validate(
            {
                "start_date_time": spec.start_schedule if spec.kind != "Relative" else None,
                "duration": spec.duration,
                "charging_rate_unit": spec.unit,
                "min_charging_rate": None
                if spec.min_charging_rate is None
                else units.floor_tenth(spec.min_charging_rate),
                "charging_profile_period": [
                    {"start_period": p.start_period, "limit": units.floor_tenth(p.limit)}
                    for p in spec.periods
                ],
            }
        )
    except ValueError:  # pydantic's ValidationError is a ValueError
        return None


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


def _plan(spec: ProfileSpec, target: ProfileTarget) -> _Plan:
    """Check the profile against the station and convert it; raise if the station cannot take it."""
    caps = target.capabilities
    if not caps.smart_charging:
        raise NotSupportedByStation("the station does not support smart charging")
    if spec.purpose not in PURPOSES:
        raise TranslationError(f"unknown charging profile purpose {spec.purpose!r}")
    if spec.purpose == TX_PROFILE and target.connector_id <= 0:
        raise TranslationError(f"a TxProfile needs a connector/EVSE id > 0, got {target.connector_id}")
    count = len(spec.periods)
    if (
        max((p.start_period for p in spec.periods), default=0) > MAX_OCPP_INT
        or (spec.duration or 0) > MAX_OCPP_INT
    ):
        raise TranslationError(f"durations and start periods above {MAX_OCPP_INT} s do not fit OCPP integers")
    if caps.max_periods is not None and count > caps.max_periods:
        raise TranslationError(
            f"profile has {count} periods but the station accepts at most {caps.max_periods}"
        )
    requested = spec.unit
    unit = choose_unit(requested, caps)
    converted = unit != requested
    electrical = target.electrical
    if converted and (electrical.voltage <= 0 or electrical.phases <= 0):
        raise TranslationError(
            f"cannot convert {requested} to {unit} with voltage {electrical.voltage} "
            f"and {electrical.phases} phases"
        )
    periods = []
    for p in spec.periods:
        # A period that names its phases converts with them (7,000 W on one phase is 30.4 A,
        # not 10.1); one that does not takes ``ocpp.default_phases``, written out when converted.
        phases = p.number_phases or (electrical.phases if converted else None)
        at = replace(electrical, phases=phases) if phases else electrical
        periods.append(_Period(p.start_period, units.convert(p.limit, requested, unit, at), phases))
    min_rate = spec.min_charging_rate
    kind = spec.kind or ("Absolute" if spec.start_schedule is not None else "Relative")
    start = spec.start_schedule
    # Both versions: a Relative profile has no startSchedule (2.0.1 K01.FR.41); an Absolute or
    # Recurring one counts from it, so without one it starts when it is sent (K01.FR.40). OCPI
    # profiles always fit already; OCPP-format bodies may not.
    if kind == "Relative":
        start = None
    elif start is None:
        start = target.now
    return _Plan(
        unit=unit,
        kind=kind,
        start_schedule=format_utc(start) if start is not None else None,
        duration=spec.duration,
        min_charging_rate=None if min_rate is None else units.convert(min_rate, requested, unit, electrical),
        periods=periods,
        stack_level=effective_stack_level(target.stack_level, caps),
        purpose=spec.purpose,
        recurrency_kind=spec.recurrency_kind,
        valid_from=format_utc(spec.valid_from) if spec.valid_from is not None else None,
        valid_to=format_utc(spec.valid_to) if spec.valid_to is not None else None,
    )


def to_set_charging_profile(
    version: OcppVersion, profile: ChargingProfile | ProfileSpec, target: ProfileTarget
) -> Any:
    """The SetChargingProfile request for ``target`` (a session's TxProfile, or a station-level one).

    Returns an ``ocpp.v16.call.SetChargingProfile`` or ``ocpp.v201.call.SetChargingProfile``.
    Limits are floats floored to 0.1 (the 1.6 package checks ``multipleOf 0.1`` and
    refuses ``Decimal`` input).

    Raises:
        NotSupportedByStation: the station has no smart charging.
        TranslationError: too many periods, a bad connector or transaction id.
    """
    spec = profile if isinstance(profile, ProfileSpec) else spec_from_ocpi(profile)
    plan = _plan(spec, target)
    if version is OcppVersion.V16:
        return _set16(plan, target)
    return _set201(plan, target)


def _set16(plan: _Plan, target: ProfileTarget) -> Any:
    transaction_id = None
    if plan.purpose == TX_PROFILE and target.transaction_id is not None:
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
    return call16.SetChargingProfile(
        connector_id=target.connector_id,
        cs_charging_profiles=types16.ChargingProfile(
            charging_profile_id=target.profile_id,
            stack_level=plan.stack_level,
            charging_profile_purpose=enums16.ChargingProfilePurposeType(plan.purpose),
            charging_profile_kind=enums16.ChargingProfileKindType(plan.kind),
            charging_schedule=schedule,
            transaction_id=transaction_id,
            recurrency_kind=None
            if plan.recurrency_kind is None
            else enums16.RecurrencyKind(plan.recurrency_kind),
            valid_from=plan.valid_from,
            valid_to=plan.valid_to,
        ),
    )


def _set201(plan: _Plan, target: ProfileTarget) -> Any:
    if plan.purpose == STATION_MAX and plan.kind == "Relative":
        # A station-level body of the OCPP-format API; the station would answer Rejected.
        raise TranslationError("OCPP 2.0.1 forbids a Relative ChargingStationMaxProfile (K01.FR.38)")
    transaction_id = target.transaction_id if plan.purpose == TX_PROFILE else None
    if plan.purpose == TX_PROFILE and (not transaction_id or len(transaction_id) > _MAX_TX_ID_201):
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
    recurrency = plan.recurrency_kind
    return call201.SetChargingProfile(
        evse_id=target.connector_id,
        charging_profile=types201.ChargingProfileType(
            id=target.profile_id,
            stack_level=plan.stack_level,
            charging_profile_purpose=enums201.ChargingProfilePurposeEnumType(
                PURPOSE_201.get(plan.purpose, plan.purpose)
            ),
            charging_profile_kind=enums201.ChargingProfileKindEnumType(plan.kind),
            charging_schedule=[schedule],
            transaction_id=transaction_id,
            recurrency_kind=None if recurrency is None else enums201.RecurrencyKindEnumType(recurrency),
            valid_from=plan.valid_from,
            valid_to=plan.valid_to,
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
