"""Check a partner's OCPP 1.6 SetChargingProfile request and list *every* problem, field by field.

The OCPP 1.6 JSON schema is the ``ocpp`` package's own (``ocpp.messages.get_validator``),
read with ``Decimal`` floats exactly as the package does, so ``multipleOf 0.1`` on
``limit`` and ``minChargingRate`` is judged on the decimal text the partner sent, not on a
binary float. The package stops at the first error; partners fixing a body want all of
them, so the schema's errors are collected with ``iter_errors`` and a few rules the schema
cannot say (ascending periods, phases 1..3, dates, purpose vs connector) are added. Pure:
no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, TypeGuard

from ocpp.messages import MessageType, get_validator

from ocpi_gateway.models.ocpi import MAX_LIMIT
from ocpi_gateway.timeutil import parse_utc
from ocpi_gateway.translate.profiles import MAX_OCPP_INT, STATION_MAX, TX_PROFILE

Scope = Literal["session", "station"]

# Far above any real limit (10 MW); larger decimals would also overflow the multipleOf check.
MAX_DECIMAL = Decimal("1e12")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the request: the field's dotted path and what is wrong with it."""

    field: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def _path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(body)"


def _schema_problem(error: Any) -> Iterator[Problem]:
    """A readable problem for one ``jsonschema`` error (its own text shows ``Decimal(...)``)."""
    where = list(error.absolute_path)
    kind = error.validator
    if kind == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        for name in error.validator_value:
            if name not in instance:
                yield Problem(_path([*where, name]), "required")
        return
    if kind == "additionalProperties":
        instance = error.instance if isinstance(error.instance, dict) else {}
        allowed = set(error.schema.get("properties", {}))
        for name in sorted(k for k in instance if k not in allowed):
            yield Problem(_path([*where, name]), "unknown field")
        return
    if kind == "type":
        message = f"must be of type {error.validator_value}"
    elif kind == "enum":
        message = "must be one of " + ", ".join(str(v) for v in error.validator_value)
    elif kind == "multipleOf":
        message = "must be a multiple of 0.1 (at most one decimal)"
    else:
        message = str(error.message)
    yield Problem(_path(where), message)


def schema_problems(request: Any) -> list[Problem]:
    """Every OCPP 1.6 schema violation of a SetChargingProfile request (parsed with Decimal floats)."""
    validator = get_validator(MessageType.Call, "SetChargingProfile", "1.6", parse_float=Decimal)
    found: list[Problem] = []
    for error in sorted(validator.iter_errors(request), key=lambda e: list(map(str, e.absolute_path))):
        found.extend(_schema_problem(error))
    return found


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[int | float | Decimal]:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _dates(profile: dict[str, Any], schedule: dict[str, Any]) -> Iterator[Problem]:
    parsed: dict[str, Any] = {}
    for name, container, path in (
        ("validFrom", profile, "csChargingProfiles.validFrom"),
        ("validTo", profile, "csChargingProfiles.validTo"),
        ("startSchedule", schedule, "csChargingProfiles.chargingSchedule.startSchedule"),
    ):
        value = container.get(name)
        if isinstance(value, str):
            try:
                parsed[name] = parse_utc(value)
            except (ValueError, OverflowError):  # not a date-time, or out of range once made UTC
                yield Problem(path, "must be an RFC 3339 date-time such as 2025-01-31T18:00:00Z")
    if "validFrom" in parsed and "validTo" in parsed and parsed["validFrom"] >= parsed["validTo"]:
        yield Problem("csChargingProfiles.validTo", "must be later than validFrom")


def _rate_problem(where: str, value: Any, unit: Any, unlimited_at: float | None = None) -> Problem | None:
    """A limit or minimum rate below 0 or above the cap an OCPI profile has (``MAX_LIMIT``).

    A value at or above ``unlimited_at`` means "no limit" and is sent as the EVSE maximum.
    """
    if not _is_number(value):
        return None
    if value < 0:
        return Problem(where, "must not be negative")
    cap = MAX_LIMIT.get(unit) if isinstance(unit, str) else None
    if cap is not None and value > cap and (unlimited_at is None or value < unlimited_at):
        return Problem(where, f"exceeds {cap} {unit}")
    return None


def _periods(schedule: dict[str, Any], unlimited_at: float | None) -> Iterator[Problem]:
    periods = schedule.get("chargingSchedulePeriod")
    base = "csChargingProfiles.chargingSchedule"
    unit = schedule.get("chargingRateUnit")
    if not isinstance(periods, list):
        return
    if not periods:
        yield Problem(f"{base}.chargingSchedulePeriod", "must hold at least one period")
        return
    previous: int | None = None
    for index, period in enumerate(periods):
        where = f"{base}.chargingSchedulePeriod[{index}]"
        item = _dict(period)
        start = item.get("startPeriod")
        if _is_int(start):
            if index == 0 and start != 0:
                yield Problem(f"{where}.startPeriod", "the first period must start at 0")
            elif previous is not None and start <= previous:
                yield Problem(f"{where}.startPeriod", "must be larger than the previous period's")
            previous = start
        if found := _rate_problem(f"{where}.limit", item.get("limit"), unit, unlimited_at):
            yield found
        phases = item.get("numberPhases")
        if _is_int(phases) and not 1 <= phases <= 3:
            yield Problem(f"{where}.numberPhases", "must be 1, 2 or 3")
    if found := _rate_problem(f"{base}.minChargingRate", schedule.get("minChargingRate"), unit):
        yield found
    duration = schedule.get("duration")
    if _is_int(duration) and duration <= 0:
        yield Problem(f"{base}.duration", "must be a positive number of seconds")


def _purpose(request: dict[str, Any], profile: dict[str, Any], scope: Scope) -> Iterator[Problem]:
    purpose = profile.get("chargingProfilePurpose")
    connector = request.get("connectorId")
    if scope == "session" and purpose == STATION_MAX:
        yield Problem(
            "csChargingProfiles.chargingProfilePurpose",
            "ChargePointMaxProfile limits the whole station: "
            "use /api/v1/stations/{station_id}/charging-profile",
        )
    if scope == "station" and _is_int(connector):
        if purpose == STATION_MAX and connector != 0:
            yield Problem("connectorId", "a ChargePointMaxProfile goes to connector 0")
        if purpose == TX_PROFILE and connector <= 0:
            yield Problem("connectorId", "a TxProfile needs a connector > 0")
    if "transactionId" in profile and purpose != TX_PROFILE:
        yield Problem("csChargingProfiles.transactionId", "only a TxProfile names a transaction")
    kind = profile.get("chargingProfileKind")
    if kind == "Recurring" and "recurrencyKind" not in profile:
        yield Problem("csChargingProfiles.recurrencyKind", "required for a Recurring profile")
    if kind != "Recurring" and "recurrencyKind" in profile:
        yield Problem("csChargingProfiles.recurrencyKind", "only a Recurring profile has one")


def rule_problems(request: Any, scope: Scope, unlimited_at: float | None = None) -> list[Problem]:
    """What the schema cannot say: signs and ranges, period order, dates, purpose vs connector.

    ``unlimited_at``: limits at or above it mean "no limit" (``api.unlimited_threshold``) and are
    not held to the caps.
    """
    body = _dict(request)
    profile = _dict(body.get("csChargingProfiles"))
    schedule = _dict(profile.get("chargingSchedule"))
    found: list[Problem] = []
    connector = body.get("connectorId")
    if _is_int(connector) and connector < 0:
        found.append(Problem("connectorId", "must not be negative"))
    for name in ("chargingProfileId", "stackLevel"):
        value = profile.get(name)
        if _is_int(value) and value < 0:
            found.append(Problem(f"csChargingProfiles.{name}", "must not be negative"))
    found.extend(_periods(schedule, unlimited_at))
    found.extend(_dates(profile, schedule))
    found.extend(_purpose(body, profile, scope))
    return found


def _tamed(value: Any, path: list[str | int], found: list[Problem]) -> Any:
    """A copy with out-of-range numbers noted as problems and replaced by 0.

    ``jsonschema`` computes ``multipleOf`` with ``Decimal`` arithmetic, which fails on huge
    numbers; no charging limit comes near :data:`MAX_DECIMAL` and OCPP integers are 32-bit.
    """
    if isinstance(value, Decimal) and (not value.is_finite() or abs(value) > MAX_DECIMAL):
        found.append(Problem(_path(path), "out of range"))
        return Decimal(0)
    if _is_int(value) and abs(value) > MAX_OCPP_INT:  # the translation refuses the same numbers
        found.append(Problem(_path(path), "out of range (OCPP integers are 32-bit)"))
        return 0
    if isinstance(value, dict):
        return {key: _tamed(item, [*path, key], found) for key, item in value.items()}
    if isinstance(value, list):
        return [_tamed(item, [*path, index], found) for index, item in enumerate(value)]
    return value


def problems(request: Any, scope: Scope = "session", unlimited_at: float | None = None) -> list[Problem]:
    """Every problem of the request, schema first; an empty list means it may be sent.

    Args:
        request: the parsed JSON body (floats as ``Decimal``: ``json.loads(..., parse_float=Decimal)``).
        scope: ``session`` (PUT on a session: no ChargePointMaxProfile) or ``station``.
        unlimited_at: ``api.unlimited_threshold``: limits at or above it are "no limit".
    """
    if not isinstance(request, dict):
        return [Problem("(body)", "must be a JSON object")]
    found: list[Problem] = []
    tamed = _tamed(request, [], found)
    checked = [*schema_problems(tamed), *rule_problems(tamed, scope, unlimited_at)]
    out_of_range = {p.field for p in found}  # their stand-in 0 says nothing more about them
    return _dedupe([*found, *(p for p in checked if p.field not in out_of_range)])


def session_problems(request: dict[str, Any], transaction_id: str) -> list[Problem]:
    """A session-level request may name a transaction only if it is the session's own."""
    given = _dict(request.get("csChargingProfiles")).get("transactionId")
    if given is not None and str(given) != transaction_id:
        return [Problem("csChargingProfiles.transactionId", "is not the session's transaction")]
    return []


def _dedupe(found: Sequence[Problem]) -> list[Problem]:
    unique: list[Problem] = []
    for problem in found:
        if problem not in unique:
            unique.append(problem)
    return unique
