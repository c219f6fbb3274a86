"""Properties of the OCPI -> OCPP translation that must hold for every profile, not just the table's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ocpi_gateway.domain import Capabilities, Electrical, OcppVersion
from ocpi_gateway.models.ocpi import MAX_LIMIT, ChargingProfile
from ocpi_gateway.translate.profiles import ProfileTarget, to_set_charging_profile

from .ocpp_wire import request_wire

OTHER = {"A": "W", "W": "A"}


@st.composite
def profiles(draw: st.DrawFn, unit: str | None = None) -> ChargingProfile:
    """Valid OCPI profiles: one-decimal limits within OCPI's caps, ascending starts from 0."""
    chosen = unit or draw(st.sampled_from(["A", "W"]))
    tenths = st.integers(min_value=0, max_value=int(MAX_LIMIT[chosen] * 10))
    starts = draw(st.lists(st.integers(min_value=1, max_value=86_400), unique=True, max_size=24))
    limits = draw(st.lists(tenths, min_size=len(starts) + 1, max_size=len(starts) + 1))
    min_rate = draw(st.none() | tenths)
    body: dict[str, Any] = {
        "charging_rate_unit": chosen,
        "min_charging_rate": None if min_rate is None else min_rate / 10,
        "charging_profile_period": [
            {"start_period": start, "limit": limit / 10}
            for start, limit in zip([0, *sorted(starts)], limits, strict=True)
        ],
    }
    return ChargingProfile.model_validate(body)


electricals = st.builds(
    Electrical,
    voltage=st.integers(min_value=100, max_value=400).map(float),
    phases=st.integers(min_value=1, max_value=3),
)
versions = st.sampled_from([OcppVersion.V16, OcppVersion.V201])


def target(units: frozenset[str], electrical: Electrical) -> ProfileTarget:
    return ProfileTarget(
        connector_id=1,
        transaction_id="17",
        profile_id=5,
        stack_level=2,
        capabilities=Capabilities(allowed_units=units),
        electrical=electrical,
    )


def schedule_of(version: OcppVersion, payload: Any) -> Any:
    if version is OcppVersion.V16:
        return payload.cs_charging_profiles.charging_schedule
    return payload.charging_profile.charging_schedule[0]


def power_back(value: float, unit: str, electrical: Electrical) -> float:
    """Convert a sent limit back into the OCPI unit without any rounding."""
    factor = electrical.voltage * electrical.phases
    return value * factor if unit == "A" else value / factor


@given(version=versions, profile=profiles(), electrical=electricals)
def test_converted_limit_never_exceeds_request(
    version: OcppVersion, profile: ChargingProfile, electrical: Electrical
) -> None:
    """Converted back without rounding, every sent limit (and min rate) is at most what the SCSP asked for."""
    requested = profile.charging_rate_unit.value
    sent_unit = OTHER[requested]
    schedule = schedule_of(
        version, to_set_charging_profile(version, profile, target(frozenset({sent_unit}), electrical))
    )
    # floor_tenth drops float noise below 1e-6 first, so allow that much in the sent unit.
    tolerance = power_back(1e-6, sent_unit, electrical) + 1e-9
    for sent, asked in zip(schedule.charging_schedule_period, profile.charging_profile_period, strict=True):
        assert power_back(sent.limit, sent_unit, electrical) <= asked.limit + tolerance
    if profile.min_charging_rate is not None:
        assert (
            power_back(schedule.min_charging_rate, sent_unit, electrical)
            <= profile.min_charging_rate + tolerance
        )


@given(version=versions, profile=profiles(), electrical=electricals, units=st.sampled_from(["A", "W", "AW"]))
def test_limits_have_at_most_one_decimal(
    version: OcppVersion, profile: ChargingProfile, electrical: Electrical, units: str
) -> None:
    """Every sent limit is a float with at most one decimal digit, whatever the conversion."""
    schedule = schedule_of(
        version, to_set_charging_profile(version, profile, target(frozenset(units), electrical))
    )
    values = [p.limit for p in schedule.charging_schedule_period]
    if schedule.min_charging_rate is not None:
        values.append(schedule.min_charging_rate)
    for value in values:
        assert type(value) is float
        exponent = Decimal(repr(value)).normalize().as_tuple().exponent
        assert isinstance(exponent, int)
        assert exponent >= -1


@given(version=versions, profile=profiles(), electrical=electricals, units=st.sampled_from(["A", "W"]))
def test_period_order_and_count_preserved(
    version: OcppVersion, profile: ChargingProfile, electrical: Electrical, units: str
) -> None:
    """The station gets exactly the OCPI periods' start offsets, same count, same order."""
    schedule = schedule_of(
        version, to_set_charging_profile(version, profile, target(frozenset(units), electrical))
    )
    assert [p.start_period for p in schedule.charging_schedule_period] == [
        p.start_period for p in profile.charging_profile_period
    ]


@settings(max_examples=40)
@given(version=versions, profile=profiles(), electrical=electricals, units=st.sampled_from(["A", "W"]))
def test_translation_is_deterministic_and_valid(
    version: OcppVersion, profile: ChargingProfile, electrical: Electrical, units: str
) -> None:
    """Translating twice gives equal payloads; the wire form passes ocpp's schema (1.6 multipleOf 0.1)."""
    first = to_set_charging_profile(version, profile, target(frozenset(units), electrical))
    second = to_set_charging_profile(version, profile, target(frozenset(units), electrical))
    assert first == second
    assert request_wire(version, first) == request_wire(version, second)
