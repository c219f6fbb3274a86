"""translate/meter.py: OCPP meter values of both versions become one reading (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from ocpi_gateway.translate.meter import reading_from_meter_values


def v16(value: str, **extra: Any) -> dict[str, Any]:
    return {"value": value, **extra}


def v201(value: float, unit: str = "Wh", multiplier: int = 0, **extra: Any) -> dict[str, Any]:
    return {"value": value, "unit_of_measure": {"unit": unit, "multiplier": multiplier}, **extra}


def at(stamp: str, *samples: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": stamp, "sampled_value": list(samples)}


T1, T2 = "2024-05-01T12:00:00Z", "2024-05-01T12:01:00Z"


@pytest.mark.parametrize(
    ("meter_values", "energy", "power", "current"),
    [
        ([at(T1, v16("1500"))], 1500.0, None, None),  # 1.6: default measurand and unit
        ([at(T1, v16("1.5", unit="kWh"))], 1500.0, None, None),
        ([at(T1, v201(1.5, "kWh"))], 1500.0, None, None),
        ([at(T1, v201(15, "Wh", 2))], 1500.0, None, None),  # 2.0.1 multiplier: 15 x 10^2
        ([at(T2, v16("2000")), at(T1, v16("1000"))], 2000.0, None, None),  # newest wins
        ([at(T1, v16("7.4", measurand="Power.Active.Import", unit="kW"))], None, 7400.0, None),
        (
            [
                at(
                    T1,
                    v16("10", measurand="Current.Import", phase="L1"),
                    v16("12", measurand="Current.Import", phase="L2"),
                )
            ],
            None,
            None,
            12.0,
        ),  # per-phase current: the highest phase
        ([at(T1, v16("garbage"))], None, None, None),
        ([at(T1, v16("5", measurand="Voltage"))], None, None, None),
        (None, None, None, None),
    ],
)
def test_reading(meter_values: Any, energy: float | None, power: float | None, current: float | None) -> None:
    """Energy (Wh), power (W) and current (A) are read in either version's units; junk is skipped."""
    reading = reading_from_meter_values(meter_values)
    assert (reading.energy_wh, reading.power_w, reading.current_a) == (energy, power, current)
