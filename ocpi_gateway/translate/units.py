"""W <-> A conversion and the one-decimal floor that keeps a converted limit under the cap.

OCPI ``A`` is current per phase; ``W`` is total power over all phases:
``W = A x V(line-to-neutral) x phases``. Rounding is always *down*, so a converted limit
never allows more than the SCSP asked for.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from ocpi_gateway.domain import Electrical

_TENTH = Decimal("0.1")
_NOISE = Decimal("0.000001")


def floor_tenth(value: float) -> float:
    """Floor to one decimal (``15.94 -> 15.9``) after dropping float noise below 1e-6.

    Without the noise step ``3 * 230 * 16 / 690`` style results such as ``15.999999999999998``
    would floor to 15.9 instead of 16.0.
    """
    exact = Decimal(repr(value)).quantize(_NOISE)
    return float(exact.quantize(_TENTH, rounding=ROUND_FLOOR))


def amps_to_watts(amps: float, electrical: Electrical) -> float:
    """Per-phase current to total power, floored to 0.1 W."""
    return floor_tenth(amps * electrical.voltage * electrical.phases)


def watts_to_amps(watts: float, electrical: Electrical) -> float:
    """Total power to per-phase current, floored to 0.1 A."""
    return floor_tenth(watts / (electrical.voltage * electrical.phases))


def convert(value: float, from_unit: str, to_unit: str, electrical: Electrical) -> float:
    """Convert a limit between ``"A"`` and ``"W"``; same unit just floors to 0.1."""
    if from_unit == to_unit:
        return floor_tenth(value)
    if from_unit == "A" and to_unit == "W":
        return amps_to_watts(value, electrical)
    if from_unit == "W" and to_unit == "A":
        return watts_to_amps(value, electrical)
    raise ValueError(f"unknown unit conversion {from_unit} -> {to_unit}")
