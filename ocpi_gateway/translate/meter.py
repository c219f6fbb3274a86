"""OCPP meter values (1.6 MeterValues / StopTransaction, 2.0.1 TransactionEvent) -> one reading.

Pure, like the rest of ``translate``. The OCPI Sessions module wants the energy charged
(kWh) and, per charging period, optionally power and current; OCPP stations send lists of
sampled values with measurands, units and phases. :func:`reading_from_meter_values` keeps
the latest sample of each of the three quantities the gateway reports:

* energy: ``Energy.Active.Import.Register`` (the default measurand when none is named), in Wh;
* power: ``Power.Active.Import``, in W (phases summed when no total is sent);
* current: ``Current.Import``, in A per phase (the highest phase when only phases are sent).

Units follow each version's rules: 1.6 names them (``Wh``/``kWh``, ``W``/``kW``; default Wh),
2.0.1 gives ``unitOfMeasure`` with a power-of-ten ``multiplier``. Values that do not parse
are skipped rather than failing the station's message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpi_gateway.timeutil import parse_utc

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
CURRENT = "Current.Import"
_KILO = {"kWh": 1000.0, "kW": 1000.0, "kvarh": 1000.0}


@dataclass(frozen=True, slots=True)
class MeterReading:
    """The latest energy (Wh), power (W) and current (A) found, with the sample's time."""

    energy_wh: float | None = None
    power_w: float | None = None
    current_a: float | None = None
    at: datetime | None = None

    @property
    def empty(self) -> bool:
        return self.energy_wh is None and self.power_w is None and self.current_a is None


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _scale(sample: Any) -> float:
    """The factor that brings a sample to Wh / W / A (1.6 unit names, 2.0.1 multiplier)."""
    unit = _get(sample, "unit")
    if unit is not None:
        return _KILO.get(str(unit), 1.0)
    measure = _get(sample, "unit_of_measure")
    if measure is None:
        return 1.0
    factor = _KILO.get(str(_get(measure, "unit") or "Wh"), 1.0)
    multiplier = _get(measure, "multiplier") or 0
    return float(factor * 10 ** int(multiplier))


def _value(sample: Any) -> float | None:
    try:
        return float(_get(sample, "value")) * _scale(sample)
    except (TypeError, ValueError, OverflowError):
        return None


def _pick(values: list[tuple[str | None, float]], *, per_phase: bool) -> float | None:
    """A sample without a phase wins (the total); else the phases' sum, or their highest
    value for a per-phase quantity (current)."""
    total = [v for phase, v in values if phase is None]
    if total:
        return total[-1]
    if not values:
        return None
    phases = [v for _, v in values]
    return max(phases) if per_phase else sum(phases)


def reading_from_meter_values(meter_values: Iterable[Any] | None) -> MeterReading:
    """The newest energy, power and current in ``meter_values`` (either OCPP version).

    ``meter_values`` is the list under ``meter_value`` (1.6 MeterValues and
    StopTransaction ``transaction_data``, 2.0.1 TransactionEvent and MeterValues), as the
    ``ocpp`` package hands it: dicts with snake_case keys.
    """
    energy: float | None = None
    power: float | None = None
    current: float | None = None
    at: datetime | None = None
    ordered = sorted(meter_values or [], key=lambda mv: str(_get(mv, "timestamp") or ""))
    for meter_value in ordered:
        found: dict[str, list[tuple[str | None, float]]] = {ENERGY: [], POWER: [], CURRENT: []}
        for sample in _get(meter_value, "sampled_value") or []:
            measurand = str(_get(sample, "measurand") or ENERGY)
            value = _value(sample)
            if measurand in found and value is not None:
                phase = _get(sample, "phase")
                found[measurand].append((None if phase is None else str(phase), value))
        picked = (
            _pick(found[ENERGY], per_phase=False),
            _pick(found[POWER], per_phase=False),
            _pick(found[CURRENT], per_phase=True),
        )
        if all(v is None for v in picked):
            continue
        energy = picked[0] if picked[0] is not None else energy
        power = picked[1] if picked[1] is not None else power
        current = picked[2] if picked[2] is not None else current
        stamp = _get(meter_value, "timestamp")
        with contextlib.suppress(ValueError):
            at = parse_utc(str(stamp)) if stamp is not None else at
    return MeterReading(energy_wh=energy, power_w=power, current_a=current, at=at)
