"""translate/station_limit.py: the CPO's station-wide maximum as OCPP payloads (pure)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from ocpi_gateway.domain import Capabilities, Electrical, OcppVersion
from ocpi_gateway.errors import NotSupportedByStation
from ocpi_gateway.translate.station_limit import to_clear_station_limit, to_set_station_limit

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
DEFAULT_CAPS = Capabilities()


def build(version: OcppVersion, caps: Capabilities = DEFAULT_CAPS) -> object:
    return to_set_station_limit(
        version,
        limit=12.0,
        unit="A",
        profile_id=999,
        stack_level=3,
        capabilities=caps,
        electrical=Electrical(230.0, 3),
        now=NOW,
    )


def test_v16_is_a_charge_point_max_profile_on_connector_0() -> None:
    """1.6: connector 0, ChargePointMaxProfile, Absolute from now, the gateway's id and level."""
    payload = build(OcppVersion.V16)
    assert isinstance(payload, call16.SetChargingProfile)
    data = asdict(payload)
    profile = data["cs_charging_profiles"]
    assert data["connector_id"] == 0
    assert (profile["charging_profile_id"], profile["stack_level"]) == (999, 3)
    assert (profile["charging_profile_purpose"], profile["charging_profile_kind"]) == (
        "ChargePointMaxProfile",
        "Absolute",
    )
    assert profile["charging_schedule"]["start_schedule"] == "2024-05-01T12:00:00Z"
    assert profile["charging_schedule"]["charging_schedule_period"][0]["limit"] == 12.0


def test_v201_is_a_charging_station_max_profile_on_evse_0() -> None:
    """2.0.1: EVSE 0, ChargingStationMaxProfile, Absolute (a Relative one is forbidden)."""
    payload = build(OcppVersion.V201)
    assert isinstance(payload, call201.SetChargingProfile)
    data = asdict(payload)
    assert data["evse_id"] == 0
    profile = data["charging_profile"]
    assert (profile["id"], profile["charging_profile_purpose"]) == (999, "ChargingStationMaxProfile")
    assert profile["charging_profile_kind"] == "Absolute"


def test_unit_is_converted_when_the_station_takes_only_watts() -> None:
    """12 A on a W-only station: 12 x 230 x 3 = 8280 W, with the phases named."""
    data = asdict(build(OcppVersion.V16, Capabilities(allowed_units=frozenset({"W"}))))
    schedule = data["cs_charging_profiles"]["charging_schedule"]
    assert schedule["charging_rate_unit"] == "W"
    assert schedule["charging_schedule_period"][0] == {"start_period": 0, "limit": 8280.0, "number_phases": 3}


def test_stack_level_is_capped_by_the_station() -> None:
    """The stack level never exceeds the station's reported maximum."""
    data = asdict(build(OcppVersion.V16, Capabilities(max_stack_level=1)))
    assert data["cs_charging_profiles"]["stack_level"] == 1


def test_station_without_smart_charging_is_refused() -> None:
    """No smart charging: NotSupportedByStation, nothing is sent."""
    with pytest.raises(NotSupportedByStation):
        build(OcppVersion.V201, Capabilities(smart_charging=False))


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (OcppVersion.V16, call16.ClearChargingProfile(id=999)),
        (OcppVersion.V201, call201.ClearChargingProfile(charging_profile_id=999)),
    ],
)
def test_clear_names_exactly_the_gateways_profile(version: OcppVersion, expected: object) -> None:
    """Clearing goes by the gateway's profile id, never by criteria that could hit the CPO's own."""
    assert to_clear_station_limit(version, profile_id=999) == expected
