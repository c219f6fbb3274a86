"""The status page's chart data: the SCSP's requested profile and the station's composite schedule.

Pure: both schedules become step series on one time axis and in one unit, so the page's
JavaScript only has to draw them. A Relative (or start-less) OCPI profile counts from the
session's start, as OCPP stations count a Relative TxProfile from the transaction's start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ocpi_gateway.domain import Electrical
from ocpi_gateway.models.ocpi import ActiveChargingProfile, ChargingProfile
from ocpi_gateway.timeutil import ensure_utc, format_utc
from ocpi_gateway.translate.units import convert

#: How far an open-ended schedule is drawn past its last step when nothing else bounds the chart.
OPEN_END = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Series:
    """A step function: ``limit`` holds from each point's instant to the next; ends at ``end`` if known."""

    unit: str
    points: tuple[tuple[datetime, float], ...]
    end: datetime | None


def profile_series(profile: ChargingProfile, start: datetime, unit: str, electrical: Electrical) -> Series:
    """An OCPI profile starting at ``start`` (its own ``start_date_time`` wins), in ``unit``."""
    origin = ensure_utc(profile.start_date_time or start)
    points = tuple(
        (
            origin + timedelta(seconds=period.start_period),
            convert(period.limit, profile.charging_rate_unit.value, unit, electrical),
        )
        for period in profile.charging_profile_period
    )
    end = origin + timedelta(seconds=profile.duration) if profile.duration else None
    return Series(unit, points, end)


def _series_json(series: Series) -> dict[str, Any]:
    return {
        "unit": series.unit,
        "points": [{"t": format_utc(at), "limit": limit} for at, limit in series.points],
        "end": format_utc(series.end) if series.end else None,
    }


def chart_json(
    requested: ChargingProfile | None,
    requested_start: datetime,
    composite: ActiveChargingProfile | None,
    electrical: Electrical,
) -> dict[str, Any]:
    """Both series in the requested profile's unit (else the composite's), with the window to draw.

    Returns:
        ``{"unit", "start", "end", "requested", "composite"}``; a missing schedule is ``None``
        and ``start``/``end`` are ``None`` when there is nothing to draw.
    """
    if requested is not None:
        unit = requested.charging_rate_unit.value
    elif composite is not None:
        unit = composite.charging_profile.charging_rate_unit.value
    else:
        return {"unit": None, "start": None, "end": None, "requested": None, "composite": None}
    drawn: dict[str, Series] = {}
    if requested is not None:
        drawn["requested"] = profile_series(requested, requested_start, unit, electrical)
    if composite is not None:
        drawn["composite"] = profile_series(
            composite.charging_profile, composite.start_date_time, unit, electrical
        )
    start = min(s.points[0][0] for s in drawn.values())
    ends = [s.end for s in drawn.values() if s.end is not None]
    last_step = max(s.points[-1][0] for s in drawn.values())
    end = max(*ends, last_step) if ends else last_step + OPEN_END
    return {
        "unit": unit,
        "start": format_utc(start),
        "end": format_utc(end),
        "requested": _series_json(drawn["requested"]) if "requested" in drawn else None,
        "composite": _series_json(drawn["composite"]) if "composite" in drawn else None,
    }
