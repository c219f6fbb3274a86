"""``translate.wire.to_wire`` (the gateway's own fast serialiser) equals the package's output."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from ocpp.v201 import call as call201

from ocpi_gateway.domain import Capabilities, Electrical, OcppVersion
from ocpi_gateway.models.ocpi import ChargingProfile
from ocpi_gateway.translate.profiles import (
    ProfileTarget,
    to_clear_charging_profile,
    to_get_composite_schedule,
    to_set_charging_profile,
)
from ocpi_gateway.translate.wire import camel_key, encode_call, package_wire, to_wire

from .test_properties import electricals, profiles, versions

TARGET = dict(connector_id=2, transaction_id="17", profile_id=7, stack_level=3)


def target(electrical: Electrical) -> ProfileTarget:
    return ProfileTarget(**TARGET, capabilities=Capabilities(), electrical=electrical)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(version=versions, profile=profiles(), electrical=electricals)
def test_set_charging_profile_matches_the_package(
    version: OcppVersion, profile: ChargingProfile, electrical: Electrical
) -> None:
    """Every translated SetChargingProfile serialises exactly as the package would send it."""
    payload = to_set_charging_profile(version, profile, target(electrical))
    assert to_wire(payload) == package_wire(payload)


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
def test_other_calls_match_the_package(version: OcppVersion) -> None:
    """Clear and GetCompositeSchedule, with their optional fields left out, match too."""
    for payload in (
        to_clear_charging_profile(version, profile_id=7, connector_id=2, stack_level=3),
        to_clear_charging_profile(version, profile_id=None, connector_id=2, stack_level=3),
        to_get_composite_schedule(version, connector_id=2, duration=3600, unit="W"),
    ):
        assert to_wire(payload) == package_wire(payload)


def test_the_package_key_rules_are_kept() -> None:
    """The package's irregular keys (SoC, CSMS, URL, V2X) come out as it spells them."""
    assert [camel_key(k) for k in ("state_of_charge", "min_soc", "ocpp_csms_url", "responder_url")] == [
        "stateOfCharge",
        "minSoC",
        "ocppCsmsUrl",
        "responderURL",
    ]


def test_none_values_and_list_items_are_dropped() -> None:
    """Null fields and null list items are left out, as the package leaves them out."""
    payload = call201.ClearChargingProfile(
        charging_profile_id=None, charging_profile_criteria={"evse_id": None, "stack_level": 2}
    )
    assert to_wire(payload) == package_wire(payload) == {"chargingProfileCriteria": {"stackLevel": 2}}


def test_encode_call_is_a_compact_call_frame() -> None:
    """[2, id, action, payload] without spaces."""
    payload = to_clear_charging_profile(OcppVersion.V201, profile_id=7, connector_id=2, stack_level=3)
    text = encode_call("m-1", payload)
    assert " " not in text
    assert json.loads(text) == [2, "m-1", "ClearChargingProfile", package_wire(payload)]
