"""Turn what a station reports about its smart charging into :class:`Capabilities`.

OCPP 1.6 answers ``GetConfiguration`` with free-text configuration keys and 2.0.1 answers
``GetVariables`` with component/variable values; both are parsed here, leniently, because
real stations report units as ``Current``/``Power``, ``A``/``W`` or junk. A value that does
not parse is ignored (the safe default stays) rather than failing the connection.
``reported`` is True only when at least one value was actually understood.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from ocpi_gateway.domain import Capabilities

V16_UNIT_KEY = "ChargingScheduleAllowedChargingRateUnit"
V16_STACK_KEY = "ChargeProfileMaxStackLevel"
V16_PERIODS_KEY = "ChargingScheduleMaxPeriods"
V16_PROFILES_KEY = "MaxChargingProfilesInstalled"
V16_FEATURES_KEY = "SupportedFeatureProfiles"

V201_COMPONENT = "SmartChargingCtrlr"

# OCPP 2.0.1 offers no attribute type for a variable's ``maxLimit`` characteristic in
# GetVariables (the enum is Actual/Target/MinSet/MaxSet), and ``Entries`` Actual is the
# number of profiles installed *now*, not the maximum: so it is not asked for here.
_V201_VARIABLES = ("Available", "Enabled", "RateUnit", "PeriodsPerSchedule", "ProfileStackLevel")

_UNIT_WORDS = {"current": "A", "a": "A", "power": "W", "w": "W"}


def v16_capability_keys() -> list[str]:
    """The GetConfiguration ``key`` list that reads every 1.6 smart-charging capability."""
    return [V16_UNIT_KEY, V16_STACK_KEY, V16_PERIODS_KEY, V16_PROFILES_KEY, V16_FEATURES_KEY]


def v201_capability_request() -> list[dict[str, Any]]:
    """The GetVariables ``get_variable_data`` list (snake_case, as the ``ocpp`` package takes it)."""
    return [
        {"component": {"name": V201_COMPONENT}, "variable": {"name": name}, "attribute_type": "Actual"}
        for name in _V201_VARIABLES
    ]


def parse_units(text: str) -> frozenset[str] | None:
    """``"Current,Power"`` / ``"A"`` / ``"w, a"`` -> allowed units; None when nothing is a unit."""
    units = {_UNIT_WORDS[word] for word in _words(text) if word in _UNIT_WORDS}
    return frozenset(units) if units else None


def parse_count(text: str) -> int | None:
    """A non-negative integer (``"3"``, ``" 3 "``, ``"3.0"``), else None."""
    try:
        number = float(text.strip())
    except ValueError:
        return None
    if not number.is_integer() or number < 0:
        return None
    return int(number)


def parse_bool(text: str) -> bool | None:
    """OCPP boolean text (``true``/``false``, any case), else None."""
    word = text.strip().lower()
    if word in ("true", "1"):
        return True
    if word in ("false", "0"):
        return False
    return None


def capabilities_from_v16(
    configuration_key: list[dict[str, Any]] | None, unknown_key: list[str] | None
) -> Capabilities:
    """Capabilities from a 1.6 ``GetConfiguration.conf``.

    Args:
        configuration_key: ``[{key, readonly, value}]`` entries; keys are matched
            case-insensitively, entries without a text value are skipped.
        unknown_key: keys the station does not know; they leave the defaults in place
            (accepted only so callers can pass the answer through unchanged).
    """
    del unknown_key  # an unknown key and an absent key mean the same: keep the default
    values = _v16_values(configuration_key or [])
    caps = Capabilities()
    read = False
    if (units := parse_units(values.get(V16_UNIT_KEY.lower(), ""))) is not None:
        caps, read = replace(caps, allowed_units=units), True
    if (stack := parse_count(values.get(V16_STACK_KEY.lower(), ""))) is not None:
        caps, read = replace(caps, max_stack_level=stack), True
    if (periods := parse_count(values.get(V16_PERIODS_KEY.lower(), ""))) is not None:
        caps, read = replace(caps, max_periods=periods), True
    if (profiles := parse_count(values.get(V16_PROFILES_KEY.lower(), ""))) is not None:
        caps, read = replace(caps, max_profiles=profiles), True
    if (features := values.get(V16_FEATURES_KEY.lower())) is not None and features.strip():
        caps, read = replace(caps, smart_charging="smartcharging" in _words(features)), True
    return replace(caps, reported=read)


def capabilities_from_v201(get_variable_result: list[dict[str, Any]]) -> Capabilities:
    """Capabilities from a 2.0.1 ``GetVariablesResponse.getVariableResult``.

    Only ``Accepted`` results of the SmartChargingCtrlr component count; keys may be
    snake_case (as the ``ocpp`` package returns them) or camelCase (as on the wire).
    ``Available`` or ``Enabled`` reported false means no smart charging.
    """
    values = _v201_values(get_variable_result)
    caps = Capabilities()
    read = False
    for name in ("available", "enabled"):
        if (flag := parse_bool(values.get(name, ""))) is not None:
            caps, read = replace(caps, smart_charging=caps.smart_charging and flag), True
    if (units := parse_units(values.get("rateunit", ""))) is not None:
        caps, read = replace(caps, allowed_units=units), True
    if (periods := parse_count(values.get("periodsperschedule", ""))) is not None:
        caps, read = replace(caps, max_periods=periods), True
    if (stack := parse_count(values.get("profilestacklevel", ""))) is not None:
        caps, read = replace(caps, max_stack_level=stack), True
    return replace(caps, reported=read)


def _words(text: str) -> set[str]:
    """Lower-cased items of a comma (or space) separated list."""
    return {word.strip().lower() for word in text.replace(" ", ",").split(",") if word.strip()}


def _v16_values(entries: Iterable[Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        key, value = entry.get("key"), entry.get("value")
        if isinstance(key, str) and isinstance(value, str):
            values[key.strip().lower()] = value
    return values


def _v201_values(results: Iterable[Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for result in results:
        if not isinstance(result, Mapping):
            continue
        status = _pick(result, "attribute_status", "attributeStatus")
        value = _pick(result, "attribute_value", "attributeValue")
        component, variable = result.get("component"), result.get("variable")
        if status != "Accepted" or not isinstance(value, str):
            continue
        if not isinstance(component, Mapping) or not isinstance(variable, Mapping):
            continue
        if str(component.get("name", "")).lower() != V201_COMPONENT.lower():
            continue
        values[str(variable.get("name", "")).lower()] = value
    return values


def _pick(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in mapping:
            return mapping[key]
    return None
