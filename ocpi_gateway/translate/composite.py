"""Composite charging schedule: what a station will really allow over a time window.

A station keeps several OCPP charging profiles at once. GetCompositeSchedule asks it to fold
them into the one schedule it will actually follow (OCPP 1.6 §3.13 / 2.0.1 K08):

* per purpose, at each instant, the highest stack level whose schedule is in effect wins
  (a profile whose ``duration`` ran out, whose validity ended or whose Absolute start lies
  in the future does not count, so lower levels apply again);
* the TxProfile of the running transaction beats the TxDefaultProfile; a TxDefaultProfile
  for the connector beats one for connector 0;
* the result is the minimum of the station-wide maximum profile and that transaction
  limit, capped by the EVSE maximum (``max_limit``, also used where no profile applies).

The simulator answers GetCompositeSchedule with this, and a CSMS-REST driver can answer
OCPI GET from the profiles it set. Pure: no clock is read, the caller passes ``now``.
Instants are evaluated on whole seconds from ``now``; sub-second edges move up to the
next whole second.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ocpi_gateway.domain import Electrical
from ocpi_gateway.models.ocpi import MAX_LIMIT
from ocpi_gateway.translate.units import convert

MAX_PURPOSES = frozenset({"ChargePointMaxProfile", "ChargingStationMaxProfile"})
TX_PROFILE = "TxProfile"
TX_DEFAULT_PROFILE = "TxDefaultProfile"
RECURRENCE = {"Daily": timedelta(days=1), "Weekly": timedelta(days=7)}

#: Stands for "no limit" when neither a profile nor ``max_limit`` applies: the largest
#: value an OCPI profile may carry, so the result still passes OCPI validation.
NO_LIMIT: dict[str, float] = dict(MAX_LIMIT)


@dataclass(frozen=True, slots=True)
class SchedulePeriod:
    """One step of a schedule: ``limit`` from ``start_period`` seconds on."""

    start_period: int
    limit: float
    number_phases: int | None = None


@dataclass(frozen=True, slots=True)
class StoredProfile:
    """An OCPP charging profile as a station keeps it, version-neutral.

    ``connector_id`` is the 1.6 connector or the 2.0.1 EVSE (0 = station-wide);
    ``transaction_id`` is text for both versions.
    """

    profile_id: int
    stack_level: int
    purpose: str
    kind: str
    unit: str
    periods: tuple[SchedulePeriod, ...]
    connector_id: int = 0
    transaction_id: str | None = None
    start_schedule: datetime | None = None
    duration: int | None = None
    min_charging_rate: float | None = None
    recurrency_kind: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class CompositeSchedule:
    """The folded schedule: periods count from ``start`` and cover ``duration`` seconds."""

    start: datetime
    duration: int
    unit: str
    periods: tuple[SchedulePeriod, ...]


@dataclass(frozen=True, slots=True)
class _Limit:
    """A limit in force at one instant and the profile it came from."""

    profile: StoredProfile
    period: SchedulePeriod


def _first_start(profile: StoredProfile, relative_start: datetime) -> datetime:
    """Relative profiles start with the transaction; the others at ``start_schedule``.

    An Absolute or Recurring profile without ``start_schedule`` is read leniently as
    starting with the transaction too.
    """
    if profile.kind == "Relative" or profile.start_schedule is None:
        return relative_start
    return profile.start_schedule


def _schedule_start(profile: StoredProfile, at: datetime, relative_start: datetime) -> datetime | None:
    """Start of the schedule instance covering ``at``, or ``None`` if it has not begun.

    Recurring profiles restart every day or week after their first start.
    """
    start = _first_start(profile, relative_start)
    if at < start:
        return None
    if profile.kind == "Recurring":
        step = RECURRENCE.get(profile.recurrency_kind or "Daily", RECURRENCE["Daily"])
        start += ((at - start) // step) * step
    return start


def _period_at(profile: StoredProfile, at: datetime, relative_start: datetime) -> SchedulePeriod | None:
    """The period of ``profile`` in force at ``at``, or ``None`` when the profile is not."""
    if profile.valid_from is not None and at < profile.valid_from:
        return None
    if profile.valid_to is not None and at >= profile.valid_to:
        return None
    start = _schedule_start(profile, at, relative_start)
    if start is None:
        return None
    offset = (at - start).total_seconds()
    if profile.duration is not None and offset >= profile.duration:
        return None
    current: SchedulePeriod | None = None
    for period in profile.periods:
        if period.start_period > offset:
            break
        current = period
    return current


def _winner(layer: Sequence[StoredProfile], at: datetime, relative_start: datetime) -> _Limit | None:
    """The first profile of a priority-ordered layer that is in force at ``at``."""
    for profile in layer:
        period = _period_at(profile, at, relative_start)
        if period is not None:
            return _Limit(profile, period)
    return None


def _by_priority(profiles: Sequence[StoredProfile]) -> list[StoredProfile]:
    """Highest stack level first; the higher profile id breaks a tie, deterministically."""
    ordered = [replace(p, periods=tuple(sorted(p.periods, key=lambda q: q.start_period))) for p in profiles]
    return sorted(ordered, key=lambda p: (p.stack_level, p.profile_id), reverse=True)


def _instants(
    profile: StoredProfile, now: datetime, end: datetime, relative_start: datetime
) -> Iterator[datetime]:
    """Every instant at which ``profile`` may start, change or stop limiting."""
    yield from (t for t in (profile.valid_from, profile.valid_to) if t is not None)
    if profile.kind == "Relative" or profile.start_schedule is None:
        first = relative_start
    else:
        first = profile.start_schedule
    starts = [first]
    if profile.kind == "Recurring":
        step = RECURRENCE.get(profile.recurrency_kind or "Daily", RECURRENCE["Daily"])
        k = max(0, (now - first) // step) if now > first else 0
        starts = []
        while first + k * step < end:
            starts.append(first + k * step)
            k += 1
    for start in starts:
        yield start
        yield from (start + timedelta(seconds=p.start_period) for p in profile.periods)
        if profile.duration is not None:
            yield start + timedelta(seconds=profile.duration)


def _in_unit(found: _Limit, unit: str, electrical: Electrical) -> float:
    """The limit in ``unit``, converted with the period's phases when it names them."""
    phases = found.period.number_phases or electrical.phases
    return convert(found.period.limit, found.profile.unit, unit, Electrical(electrical.voltage, phases))


def compute_composite(
    profiles: Sequence[StoredProfile],
    *,
    now: datetime,
    duration: int,
    unit: str | None,
    connector_id: int,
    transaction_start: datetime | None,
    electrical: Electrical,
    max_limit: float | None = None,
    max_limit_unit: str = "A",
) -> CompositeSchedule:
    """Fold ``profiles`` into the schedule in force from ``now`` for ``duration`` seconds.

    Args:
        profiles: every profile the station holds; TxProfiles must be those of the
            running transaction (a station drops the others when a transaction ends).
        now: start of the window (the composite's ``scheduleStart``).
        duration: window length in seconds.
        unit: ``"A"`` or ``"W"``; ``None`` = the unit of the transaction profile in force
            at ``now``, else ``"A"``.
        connector_id: 1.6 connector / 2.0.1 EVSE; 0 = the station as a whole (only the
            maximum and connector-0 default profiles count).
        transaction_start: where Relative profiles count from (``now`` if ``None``).
        electrical: voltage and phases used for A <-> W (a period's ``number_phases`` wins).
        max_limit: the EVSE maximum in ``max_limit_unit``; caps the result and fills the
            gaps no profile covers. ``None`` = :data:`NO_LIMIT`.
        max_limit_unit: the unit of ``max_limit``.

    Raises:
        ValueError: ``unit`` is neither ``"A"`` nor ``"W"``.

    Returns:
        Periods with strictly ascending ``start_period`` (first 0), adjacent equal ones
        merged, limits floored to 0.1 in the chosen unit.
    """
    if unit is not None and unit not in NO_LIMIT:
        raise ValueError(f"unknown charging rate unit {unit!r}")
    relative_start = transaction_start or now
    on_connector = connector_id > 0

    def of(purpose: str, connector: int) -> list[StoredProfile]:
        return _by_priority([p for p in profiles if p.purpose == purpose and p.connector_id == connector])

    maximum = _by_priority([p for p in profiles if p.purpose in MAX_PURPOSES])
    tx = of(TX_PROFILE, connector_id) if on_connector else []
    defaults = (of(TX_DEFAULT_PROFILE, connector_id) if on_connector else []) + of(TX_DEFAULT_PROFILE, 0)

    def tx_winner(at: datetime) -> _Limit | None:
        return _winner(tx, at, relative_start) or _winner(defaults, at, relative_start)

    if unit is None:
        first = tx_winner(now)
        unit = first.profile.unit if first is not None else "A"
    cap = NO_LIMIT[unit] if max_limit is None else convert(max_limit, max_limit_unit, unit, electrical)

    end = now + timedelta(seconds=duration)
    offsets = {0}
    for profile in (*maximum, *tx, *defaults):
        for instant in _instants(profile, now, end, relative_start):
            if now < instant < end:
                offsets.add(math.ceil((instant - now).total_seconds()))

    periods: list[SchedulePeriod] = []
    for offset in sorted(o for o in offsets if o < max(duration, 1)):
        at = now + timedelta(seconds=offset)
        best = SchedulePeriod(offset, cap)
        for found in (tx_winner(at), _winner(maximum, at, relative_start)):
            if found is None:
                continue
            phases = found.period.number_phases or electrical.phases
            value = convert(
                found.period.limit, found.profile.unit, unit, Electrical(electrical.voltage, phases)
            )
            if value < best.limit:
                best = SchedulePeriod(offset, value, found.period.number_phases)
        if not periods or (periods[-1].limit, periods[-1].number_phases) != (best.limit, best.number_phases):
            periods.append(best)
    return CompositeSchedule(start=now, duration=duration, unit=unit, periods=tuple(periods))
