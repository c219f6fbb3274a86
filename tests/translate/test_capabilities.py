"""What stations report about smart charging, parsed into Capabilities (pure, table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from ocpi_gateway.domain import Capabilities
from ocpi_gateway.translate.capabilities import (
    capabilities_from_v16,
    capabilities_from_v201,
    v16_capability_keys,
    v201_capability_request,
)

BOTH = frozenset({"A", "W"})


def keys(**values: str) -> list[dict[str, Any]]:
    return [{"key": k, "readonly": True, "value": v} for k, v in values.items()]


UNIT = "ChargingScheduleAllowedChargingRateUnit"


@pytest.mark.parametrize(
    ("value", "units"),
    [
        ("Current", frozenset({"A"})),
        ("Power", frozenset({"W"})),
        ("Current,Power", BOTH),
        ("power, current", BOTH),
        ("A", frozenset({"A"})),
        ("w", frozenset({"W"})),
        ("A,W", BOTH),
        ("CURRENT", frozenset({"A"})),
        ("Current,Volts", frozenset({"A"})),
    ],
)
def test_v16_units_are_read_case_insensitively(value: str, units: frozenset[str]) -> None:
    """CSL unit values (Current/Power, also A/W, any case) give the allowed units."""
    caps = capabilities_from_v16(keys(**{UNIT: value}), [])
    assert (caps.allowed_units, caps.reported) == (units, True)


@pytest.mark.parametrize("value", ["", "Volts", "???", ","])
def test_v16_junk_unit_keeps_the_default(value: str) -> None:
    """A unit value with no unit in it leaves both units allowed and counts as not read."""
    assert capabilities_from_v16(keys(**{UNIT: value}), []) == Capabilities()


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (keys(ChargeProfileMaxStackLevel="8"), Capabilities(max_stack_level=8, reported=True)),
        (keys(ChargingScheduleMaxPeriods=" 24 "), Capabilities(max_periods=24, reported=True)),
        (keys(MaxChargingProfilesInstalled="10.0"), Capabilities(max_profiles=10, reported=True)),
        (keys(ChargeProfileMaxStackLevel="-1"), Capabilities()),
        (keys(ChargingScheduleMaxPeriods="many"), Capabilities()),
        (keys(chargeprofilemaxstacklevel="3"), Capabilities(max_stack_level=3, reported=True)),
        (
            keys(SupportedFeatureProfiles="Core,FirmwareManagement"),
            Capabilities(smart_charging=False, reported=True),
        ),
        (keys(SupportedFeatureProfiles="Core, SmartCharging"), Capabilities(reported=True)),
        (keys(SupportedFeatureProfiles="core,smartcharging"), Capabilities(reported=True)),
        ([{"key": "ChargeProfileMaxStackLevel"}], Capabilities()),
        (["not a dict"], Capabilities()),
        ([], Capabilities()),
        (None, Capabilities()),
    ],
)
def test_v16_keys(entries: list[dict[str, Any]] | None, expected: Capabilities) -> None:
    """Each 1.6 key fills its field; bad values and absent keys leave the defaults."""
    assert capabilities_from_v16(entries, None) == expected


def test_v16_full_answer() -> None:
    """A complete answer sets every field; unknown keys change nothing."""
    entries = keys(
        ChargingScheduleAllowedChargingRateUnit="Power",
        ChargeProfileMaxStackLevel="5",
        ChargingScheduleMaxPeriods="20",
        MaxChargingProfilesInstalled="4",
        SupportedFeatureProfiles="Core,SmartCharging",
    )
    assert capabilities_from_v16(entries, ["ConnectorSwitch3to1PhaseSupported"]) == Capabilities(
        allowed_units=frozenset({"W"}),
        max_stack_level=5,
        max_periods=20,
        max_profiles=4,
        smart_charging=True,
        reported=True,
    )


def test_v16_capability_keys_cover_what_is_parsed() -> None:
    """The GetConfiguration key list names every key the parser understands."""
    assert set(v16_capability_keys()) == {
        "ChargingScheduleAllowedChargingRateUnit",
        "ChargeProfileMaxStackLevel",
        "ChargingScheduleMaxPeriods",
        "MaxChargingProfilesInstalled",
        "SupportedFeatureProfiles",
    }


def result(
    name: str, value: str | None, status: str = "Accepted", component: str = "SmartChargingCtrlr"
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "attribute_status": status,
        "component": {"name": component},
        "variable": {"name": name},
    }
    if value is not None:
        entry["attribute_value"] = value
    return entry


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([result("RateUnit", "A,W")], Capabilities(reported=True)),
        ([result("RateUnit", "A")], Capabilities(allowed_units=frozenset({"A"}), reported=True)),
        ([result("RateUnit", "W")], Capabilities(allowed_units=frozenset({"W"}), reported=True)),
        ([result("PeriodsPerSchedule", "24")], Capabilities(max_periods=24, reported=True)),
        ([result("ProfileStackLevel", "3")], Capabilities(max_stack_level=3, reported=True)),
        ([result("Available", "true"), result("Enabled", "True")], Capabilities(reported=True)),
        ([result("Available", "false")], Capabilities(smart_charging=False, reported=True)),
        ([result("Enabled", "FALSE")], Capabilities(smart_charging=False, reported=True)),
        (
            [result("Available", "true"), result("Enabled", "false")],
            Capabilities(smart_charging=False, reported=True),
        ),
        ([result("RateUnit", None, status="UnknownVariable")], Capabilities()),
        ([result("RateUnit", "A", status="Rejected")], Capabilities()),
        ([result("RateUnit", "A", component="OtherCtrlr")], Capabilities()),
        ([result("PeriodsPerSchedule", "lots")], Capabilities()),
        ([result("Enabled", "maybe")], Capabilities()),
        ([], Capabilities()),
    ],
)
def test_v201_variables(results: list[dict[str, Any]], expected: Capabilities) -> None:
    """Accepted SmartChargingCtrlr values fill their field; anything else leaves the defaults."""
    assert capabilities_from_v201(results) == expected


def test_v201_accepts_wire_camel_case() -> None:
    """Results straight off the wire (camelCase keys) parse the same as the package's snake_case."""
    wire = {
        "attributeStatus": "Accepted",
        "attributeValue": "A",
        "component": {"name": "SmartChargingCtrlr"},
        "variable": {"name": "RateUnit"},
    }
    assert capabilities_from_v201([wire]).allowed_units == frozenset({"A"})


def test_v201_request_asks_smart_charging_ctrlr() -> None:
    """The GetVariables request asks SmartChargingCtrlr for every variable the parser reads."""
    request = v201_capability_request()
    assert {item["component"]["name"] for item in request} == {"SmartChargingCtrlr"}
    assert {item["variable"]["name"] for item in request} == {
        "Available",
        "Enabled",
        "RateUnit",
        "PeriodsPerSchedule",
        "ProfileStackLevel",
    }
