"""The composite-schedule calculator: stacking, purposes, kinds, units, merging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpi_gateway.domain import Electrical
from ocpi_gateway.translate.composite import (
    NO_LIMIT,
    CompositeSchedule,
    SchedulePeriod,
    StoredProfile,
    compute_composite,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
THREE_PHASE = Electrical(voltage=230.0, phases=3)


def profile(
    purpose: str = "TxProfile",
    *periods: tuple[int, float],
    stack: int = 1,
    pid: int = 1,
    kind: str = "Relative",
    unit: str = "A",
    connector: int = 1,
    **extra: object,
) -> StoredProfile:
    """A profile from ``(start_period, limit)`` pairs; keyword extras go straight through."""
    return StoredProfile(
        profile_id=pid,
        stack_level=stack,
        purpose=purpose,
        kind=kind,
        unit=unit,
        periods=tuple(SchedulePeriod(s, limit) for s, limit in periods),
        connector_id=connector,
        **extra,  # type: ignore[arg-type]
    )


def composite(
    profiles: list[StoredProfile],
    *,
    duration: int = 3600,
    unit: str | None = "A",
    connector_id: int = 1,
    max_limit: float | None = 32.0,
    transaction_start: datetime | None = None,
) -> list[tuple[int, float]]:
    """The composite's periods as ``(start_period, limit)`` pairs."""
    result = compute_composite(
        profiles,
        now=NOW,
        duration=duration,
        unit=unit,
        connector_id=connector_id,
        transaction_start=transaction_start,
        electrical=THREE_PHASE,
        max_limit=max_limit,
    )
    return [(p.start_period, p.limit) for p in result.periods]


CASES: list[tuple[str, list[StoredProfile], dict[str, object], list[tuple[int, float]]]] = [
    ("no profile: the EVSE maximum", [], {}, [(0, 32.0)]),
    ("no profile and no maximum: NO_LIMIT", [], {"max_limit": None}, [(0, NO_LIMIT["A"])]),
    ("one relative tx profile", [profile("TxProfile", (0, 16.0), (600, 10.0))], {}, [(0, 16.0), (600, 10.0)]),
    (
        "higher stack level wins",
        [profile("TxProfile", (0, 10.0), stack=1, pid=1), profile("TxProfile", (0, 20.0), stack=5, pid=2)],
        {},
        [(0, 20.0)],
    ),
    (
        "lower level applies again after the higher one's duration",
        [
            profile("TxProfile", (0, 10.0), stack=1, pid=1),
            profile("TxProfile", (0, 20.0), stack=5, pid=2, duration=900),
        ],
        {},
        [(0, 20.0), (900, 10.0)],
    ),
    (
        "max profile caps the tx profile",
        [
            profile("ChargePointMaxProfile", (0, 12.0), connector=0, kind="Absolute", start_schedule=NOW),
            profile("TxProfile", (0, 16.0), pid=2),
        ],
        {},
        [(0, 12.0)],
    ),
    (
        "tx profile beats tx default even when higher",
        [
            profile("TxDefaultProfile", (0, 8.0), stack=9, pid=1),
            profile("TxProfile", (0, 20.0), stack=0, pid=2),
        ],
        {},
        [(0, 20.0)],
    ),
    (
        "tx default for the connector beats the connector-0 default",
        [
            profile("TxDefaultProfile", (0, 6.0), stack=9, pid=1, connector=0),
            profile("TxDefaultProfile", (0, 14.0), stack=0, pid=2, connector=1),
        ],
        {},
        [(0, 14.0)],
    ),
    (
        "connector-0 default applies to every connector",
        [profile("TxDefaultProfile", (0, 6.0), connector=0)],
        {"connector_id": 2},
        [(0, 6.0)],
    ),
    (
        "tx profile of another connector is ignored",
        [profile("TxProfile", (0, 6.0), connector=2)],
        {},
        [(0, 32.0)],
    ),
    (
        "absolute profile in the future applies from its start",
        [profile("TxProfile", (0, 10.0), kind="Absolute", start_schedule=NOW + timedelta(seconds=300))],
        {},
        [(0, 32.0), (300, 10.0)],
    ),
    (
        "absolute profile started in the past shows its current period",
        [
            profile(
                "TxProfile",
                (0, 10.0),
                (600, 12.0),
                kind="Absolute",
                start_schedule=NOW - timedelta(seconds=900),
            )
        ],
        {},
        [(0, 12.0)],
    ),
    (
        "relative profile counts from the transaction start",
        [profile("TxProfile", (0, 10.0), (1200, 14.0))],
        {"transaction_start": NOW - timedelta(seconds=600)},
        [(0, 10.0), (600, 14.0)],
    ),
    (
        "daily recurring profile restarts",
        [
            profile(
                "TxDefaultProfile",
                (0, 16.0),
                (3600, 6.0),
                kind="Recurring",
                recurrency_kind="Daily",
                start_schedule=NOW - timedelta(days=3, seconds=1800),
            )
        ],
        {"duration": 86400},
        [(0, 16.0), (1800, 6.0), (84600, 16.0)],
    ),
    (
        "validity window bounds a profile",
        [
            profile("TxDefaultProfile", (0, 8.0), stack=0, pid=1),
            profile(
                "TxDefaultProfile",
                (0, 4.0),
                stack=3,
                pid=2,
                valid_from=NOW + timedelta(seconds=60),
                valid_to=NOW + timedelta(seconds=120),
            ),
        ],
        {},
        [(0, 8.0), (60, 4.0), (120, 8.0)],
    ),
    (
        "equal neighbours merge",
        [profile("TxProfile", (0, 16.0), (300, 16.0), (600, 8.0))],
        {},
        [(0, 16.0), (600, 8.0)],
    ),
    (
        "W profile converted to A with 3 phases and floored",
        [profile("TxProfile", (0, 11000.0), unit="W")],
        {},
        [(0, 15.9)],
    ),
    (
        "A profile converted to W",
        [profile("TxProfile", (0, 16.0))],
        {"unit": "W", "max_limit": None},
        [(0, 11040.0)],
    ),
    (
        "EVSE maximum caps a higher profile",
        [profile("TxProfile", (0, 40.0))],
        {},
        [(0, 32.0)],
    ),
    (
        "periods after the window are left out",
        [profile("TxProfile", (0, 16.0), (7200, 8.0))],
        {"duration": 600},
        [(0, 16.0)],
    ),
    (
        "connector 0 ignores tx profiles",
        [profile("TxProfile", (0, 6.0))],
        {"connector_id": 0},
        [(0, 32.0)],
    ),
]


@pytest.mark.parametrize(
    ("profiles", "options", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_composite_table(
    profiles: list[StoredProfile], options: dict[str, object], expected: list[tuple[int, float]]
) -> None:
    """Each row: the composite periods the OCPP stacking rules give for these profiles."""
    assert composite(profiles, **options) == expected  # type: ignore[arg-type]


def test_unit_defaults_to_the_tx_profile_unit() -> None:
    """With no unit asked, the composite speaks the unit of the transaction profile in force."""
    result = compute_composite(
        [profile("TxProfile", (0, 7400.0), unit="W")],
        now=NOW,
        duration=60,
        unit=None,
        connector_id=1,
        transaction_start=None,
        electrical=THREE_PHASE,
        max_limit=32.0,
    )
    assert result == CompositeSchedule(NOW, 60, "W", (SchedulePeriod(0, 7400.0),))


def test_unit_defaults_to_amps_without_tx_profile() -> None:
    """With no unit asked and no transaction profile, the composite is in A."""
    result = compute_composite(
        [],
        now=NOW,
        duration=60,
        unit=None,
        connector_id=1,
        transaction_start=None,
        electrical=THREE_PHASE,
    )
    assert result.unit == "A"


def test_number_phases_of_a_period_drives_conversion() -> None:
    """A one-phase W period converts with one phase, and keeps numberPhases in the result."""
    single = StoredProfile(
        1, 1, "TxProfile", "Relative", "W", (SchedulePeriod(0, 3680.0, 1),), connector_id=1
    )
    result = compute_composite(
        [single],
        now=NOW,
        duration=60,
        unit="A",
        connector_id=1,
        transaction_start=None,
        electrical=THREE_PHASE,
    )
    assert result.periods == (SchedulePeriod(0, 16.0, 1),)


def test_unknown_unit_is_refused() -> None:
    """Only A and W exist as charging rate units."""
    with pytest.raises(ValueError, match="unit"):
        compute_composite(
            [],
            now=NOW,
            duration=60,
            unit="kW",
            connector_id=1,
            transaction_start=None,
            electrical=THREE_PHASE,
        )


# --- property: the composite equals the OCPP rule evaluated second by second ---------------

PURPOSES = ("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile")


@st.composite
def absolute_profiles(draw: st.DrawFn) -> list[StoredProfile]:
    """Up to 5 whole-second Absolute/Relative profiles with distinct stack levels per purpose."""
    count = draw(st.integers(min_value=0, max_value=5))
    levels = draw(st.lists(st.integers(0, 20), min_size=count, max_size=count, unique=True))
    out = []
    for pid, level in enumerate(levels, start=1):
        purpose = draw(st.sampled_from(PURPOSES))
        starts = sorted(draw(st.sets(st.integers(1, 500), max_size=3)))
        limits = draw(st.lists(st.integers(0, 400), min_size=len(starts) + 1, max_size=len(starts) + 1))
        relative = purpose != "ChargePointMaxProfile" and draw(st.booleans())
        out.append(
            StoredProfile(
                profile_id=pid,
                stack_level=level,
                purpose=purpose,
                kind="Relative" if relative else "Absolute",
                unit="A",
                periods=tuple(
                    SchedulePeriod(s, lim / 10) for s, lim in zip([0, *starts], limits, strict=True)
                ),
                connector_id=0 if purpose == "ChargePointMaxProfile" else 1,
                start_schedule=None if relative else NOW + timedelta(seconds=draw(st.integers(-300, 300))),
                duration=draw(st.one_of(st.none(), st.integers(1, 700))),
            )
        )
    return out


def _oracle(profiles: list[StoredProfile], second: int, max_limit: float) -> float:
    """Brute force: top stack level per purpose at ``second``, Tx over TxDefault, min with the cap."""

    def top(purpose: str) -> float | None:
        active = []
        for p in profiles:
            start = 0 if p.start_schedule is None else int((p.start_schedule - NOW).total_seconds())
            offset = second - start
            if p.purpose == purpose and offset >= 0 and (p.duration is None or offset < p.duration):
                limit = [q.limit for q in p.periods if q.start_period <= offset][-1]
                active.append((p.stack_level, limit))
        return max(active)[1] if active else None

    tx = top("TxProfile")
    tx = top("TxDefaultProfile") if tx is None else tx
    candidates = [v for v in (top("ChargePointMaxProfile"), tx, max_limit) if v is not None]
    return min(candidates)


@settings(max_examples=150, deadline=None)
@given(profiles=absolute_profiles(), max_limit=st.integers(0, 500).map(lambda v: v / 10))
def test_composite_matches_the_rule_every_second(profiles: list[StoredProfile], max_limit: float) -> None:
    """At every second the composite equals the min of the winning profiles and never exceeds them."""
    duration = 900
    result = compute_composite(
        profiles,
        now=NOW,
        duration=duration,
        unit="A",
        connector_id=1,
        transaction_start=None,
        electrical=THREE_PHASE,
        max_limit=max_limit,
    )
    starts = [p.start_period for p in result.periods]
    assert starts[0] == 0
    assert starts == sorted(set(starts))
    assert all(a.limit != b.limit for a, b in zip(result.periods, result.periods[1:], strict=False))
    for second in range(duration):
        value = [p.limit for p in result.periods if p.start_period <= second][-1]
        assert value == _oracle(profiles, second, max_limit)
