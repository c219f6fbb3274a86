"""Chart data: both schedules as step series on one time axis and in one unit."""

from __future__ import annotations

from datetime import UTC, datetime

from ocpi_gateway.admin.chart import chart_json
from ocpi_gateway.domain import Electrical
from ocpi_gateway.models.ocpi import ActiveChargingProfile, ChargingProfile

START = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
ELECTRICAL = Electrical(voltage=230.0, phases=3)


def profile(
    unit: str, *limits: float, duration: int | None = None, start: str | None = None
) -> ChargingProfile:
    return ChargingProfile.model_validate(
        {
            "charging_rate_unit": unit,
            "start_date_time": start,
            "duration": duration,
            "charging_profile_period": [{"start_period": i * 600, "limit": v} for i, v in enumerate(limits)],
        }
    )


def test_relative_profile_counts_from_the_session_start() -> None:
    """A profile without start_date_time starts at the session's start; open end gets one hour."""
    chart = chart_json(profile("A", 16.0, 8.0), START, None, ELECTRICAL)
    assert [p["t"] for p in chart["requested"]["points"]] == ["2030-01-01T10:00:00Z", "2030-01-01T10:10:00Z"]
    assert (chart["start"], chart["end"]) == ("2030-01-01T10:00:00Z", "2030-01-01T11:10:00Z")
    assert chart["composite"] is None


def test_composite_is_converted_to_the_requested_unit() -> None:
    """A composite in W is drawn in the SCSP's A (floored), on its own start time."""
    composite = ActiveChargingProfile(
        start_date_time=datetime(2030, 1, 1, 10, 30, tzinfo=UTC),
        charging_profile=profile("W", 11040.0, duration=900),
    )
    chart = chart_json(profile("A", 16.0, duration=3600), START, composite, ELECTRICAL)
    assert chart["unit"] == "A"
    assert chart["composite"]["points"] == [{"t": "2030-01-01T10:30:00Z", "limit": 16.0}]
    assert chart["composite"]["end"] == "2030-01-01T10:45:00Z"
    assert chart["end"] == "2030-01-01T11:00:00Z"


def test_nothing_to_draw() -> None:
    """No profile and no composite: no window, no series."""
    assert chart_json(None, START, None, ELECTRICAL)["start"] is None
