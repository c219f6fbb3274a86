"""A partner's OCPP 1.6 SetChargingProfile body -> the :class:`ProfileSpec` every format becomes.

Pure, like ``translate/``. This module does not build OCPP calls: the body (already checked
by ``api/validation.py``) becomes a ``ProfileSpec`` (:func:`spec_from_request`) and goes through
the same capability-aware translation as an OCPI profile (``translate/profiles.py``): the
station's unit (W<->A with the period's ``numberPhases``, else ``ocpp.default_phases``, and
``ocpp.voltage``), limits floored to 0.1, the station's stack-level and period maximums, 2.0.1's
names and startSchedule rules. A session's body is placed as the session's own gateway profile
(its profile id, ``ocpp.stack_level``, its connector and transaction), so a later OCPI or API
request replaces it and an OCPI DELETE clears it; a station-level body keeps its purpose, id,
connector and stack level (:func:`station_target`), fitted to the station the same way.

Limits at or above ``api.unlimited_threshold`` become the EVSE maximum first
(:func:`substitute_unlimited`): ``ocpp.evse_max_current`` (or the station's own) in A, or that times
``ocpp.voltage`` times the period's ``numberPhases`` (else ``ocpp.default_phases``) in W.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ocpi_gateway.domain import Capabilities, Electrical
from ocpi_gateway.timeutil import parse_utc
from ocpi_gateway.translate.profiles import PeriodSpec, ProfileSpec, ProfileTarget
from ocpi_gateway.translate.units import floor_tenth


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


def spec_from_request(request: Mapping[str, Any]) -> ProfileSpec:
    """A partner's OCPP 1.6 SetChargingProfile body (validated, plain floats) as a :class:`ProfileSpec`.

    Its purpose, kind, recurrency, validity, schedule and each period's ``numberPhases`` are kept;
    its ``chargingProfileId``, ``stackLevel``, connector and transaction are placement, decided
    by :func:`station_target` or, for a session, by the session's own gateway profile.
    """
    profile = request["csChargingProfiles"]
    schedule = profile["chargingSchedule"]
    return ProfileSpec(
        unit=str(schedule["chargingRateUnit"]),
        periods=tuple(
            PeriodSpec(int(p["startPeriod"]), float(p["limit"]), p.get("numberPhases"))
            for p in schedule["chargingSchedulePeriod"]
        ),
        start_schedule=_time(schedule.get("startSchedule")),
        duration=schedule.get("duration"),
        min_charging_rate=_float(schedule.get("minChargingRate")),
        purpose=str(profile["chargingProfilePurpose"]),
        kind=str(profile["chargingProfileKind"]),
        recurrency_kind=profile.get("recurrencyKind"),
        valid_from=_time(profile.get("validFrom")),
        valid_to=_time(profile.get("validTo")),
    )


def station_target(
    request: Mapping[str, Any], capabilities: Capabilities, electrical: Electrical, *, now: datetime
) -> ProfileTarget:
    """Where a station-level body goes: its own connector, profile id, stack level and transaction."""
    profile = request["csChargingProfiles"]
    given = profile.get("transactionId")
    return ProfileTarget(
        connector_id=int(request["connectorId"]),
        transaction_id=None if given is None else str(given),
        profile_id=int(profile["chargingProfileId"]),
        stack_level=int(profile["stackLevel"]),
        capabilities=capabilities,
        electrical=electrical,
        now=now,
    )


def _time(value: Any) -> datetime | None:
    return None if value is None else parse_utc(str(value))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
