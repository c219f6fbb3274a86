"""OCPI ChargingProfile -> OCPP requests, checked on the wire the ``ocpp`` package would send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ocpi_gateway.domain import Capabilities, Electrical, OcppVersion
from ocpi_gateway.errors import NotSupportedByStation, TranslationError
from ocpi_gateway.models.ocpi import ChargingProfile
from ocpi_gateway.translate.profiles import (
    PeriodSpec,
    ProfileSpec,
    ProfileTarget,
    choose_unit,
    effective_stack_level,
    to_clear_charging_profile,
    to_get_composite_schedule,
    to_set_charging_profile,
)

from .ocpp_wire import request_wire

V16, V201 = OcppVersion.V16, OcppVersion.V201
BOTH = pytest.mark.parametrize("version", [V16, V201])
A_ONLY = Capabilities(allowed_units=frozenset({"A"}))
W_ONLY = Capabilities(allowed_units=frozenset({"W"}))


def make_profile(**fields: Any) -> ChargingProfile:
    """An OCPI profile validated by the real model (defaults: 16 A then 8.5 A, relative)."""
    body: dict[str, Any] = {
        "charging_rate_unit": "A",
        "charging_profile_period": [{"start_period": 0, "limit": 16}, {"start_period": 900, "limit": 8.5}],
    }
    body.update(fields)
    return ChargingProfile.model_validate(body)


def make_target(
    capabilities: Capabilities | None = None, *, phases: int = 3, stack_level: int = 3, tx: str = "42"
) -> ProfileTarget:
    return ProfileTarget(
        connector_id=2,
        transaction_id=tx,
        profile_id=7,
        stack_level=stack_level,
        capabilities=capabilities or Capabilities(),
        electrical=Electrical(voltage=230.0, phases=phases),
    )


def periods_until(last_start: int) -> list[dict[str, Any]]:
    """Two periods, the second starting at ``last_start`` seconds."""
    return [{"start_period": 0, "limit": 10}, {"start_period": last_start, "limit": 6}]


def schedule_of(version: OcppVersion, wire: dict[str, Any]) -> dict[str, Any]:
    """The one charging schedule inside a SetChargingProfile payload of either version."""
    if version is V16:
        schedule: dict[str, Any] = wire["csChargingProfiles"]["chargingSchedule"]
        return schedule
    [only] = wire["chargingProfile"]["chargingSchedule"]
    return dict(only)


class TestSetChargingProfileWire:
    def test_absolute_v16_exact_json(self) -> None:
        """A profile with start_date_time becomes a 1.6 Absolute TxProfile with this exact camelCase JSON."""
        profile = make_profile(
            start_date_time="2024-05-01T12:00:00.250+02:00", duration=3600, min_charging_rate=6
        )
        wire = request_wire(V16, to_set_charging_profile(V16, profile, make_target()))
        assert wire == {
            "connectorId": 2,
            "csChargingProfiles": {
                "chargingProfileId": 7,
                "stackLevel": 3,
                "chargingProfilePurpose": "TxProfile",
                "chargingProfileKind": "Absolute",
                "transactionId": 42,
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "duration": 3600,
                    "startSchedule": "2024-05-01T10:00:00Z",
                    "minChargingRate": 6.0,
                    "chargingSchedulePeriod": [
                        {"startPeriod": 0, "limit": 16.0},
                        {"startPeriod": 900, "limit": 8.5},
                    ],
                },
            },
        }

    def test_absolute_v201_exact_json(self) -> None:
        """The same profile in 2.0.1: a one-element schedule list whose id is the profile id."""
        profile = make_profile(start_date_time="2024-05-01T10:00:00Z", duration=3600, min_charging_rate=6)
        wire = request_wire(V201, to_set_charging_profile(V201, profile, make_target(tx="tx-abc")))
        assert wire == {
            "evseId": 2,
            "chargingProfile": {
                "id": 7,
                "stackLevel": 3,
                "chargingProfilePurpose": "TxProfile",
                "chargingProfileKind": "Absolute",
                "transactionId": "tx-abc",
                "chargingSchedule": [
                    {
                        "id": 7,
                        "chargingRateUnit": "A",
                        "duration": 3600,
                        "startSchedule": "2024-05-01T10:00:00Z",
                        "minChargingRate": 6.0,
                        "chargingSchedulePeriod": [
                            {"startPeriod": 0, "limit": 16.0},
                            {"startPeriod": 900, "limit": 8.5},
                        ],
                    }
                ],
            },
        }

    @BOTH
    def test_relative_without_start(self, version: OcppVersion) -> None:
        """Without start_date_time the profile is Relative and carries no startSchedule or duration."""
        wire = request_wire(version, to_set_charging_profile(version, make_profile(), make_target()))
        inner = wire["csChargingProfiles"] if version is V16 else wire["chargingProfile"]
        assert inner["chargingProfileKind"] == "Relative"
        assert schedule_of(version, wire).keys() >= {"chargingRateUnit", "chargingSchedulePeriod"}
        assert "startSchedule" not in schedule_of(version, wire)
        assert "duration" not in schedule_of(version, wire)


class TestUnits:
    @pytest.mark.parametrize(
        ("requested", "capabilities", "expected"),
        [
            ("A", Capabilities(), "A"),
            ("W", Capabilities(), "W"),
            ("W", A_ONLY, "A"),
            ("A", W_ONLY, "W"),
            ("A", A_ONLY, "A"),
            ("W", Capabilities(allowed_units=frozenset({"w"})), "W"),
            ("W", Capabilities(allowed_units=frozenset()), "W"),
        ],
    )
    def test_choose_unit(self, requested: str, capabilities: Capabilities, expected: str) -> None:
        """The OCPI unit passes through when allowed; otherwise the allowed one is chosen."""
        assert choose_unit(requested, capabilities) == expected

    @pytest.mark.parametrize(
        ("unit", "limit", "capabilities", "phases", "expected"),
        [
            ("W", 11000, Capabilities(), 3, {"startPeriod": 0, "limit": 11000.0}),
            ("A", 16, Capabilities(), 1, {"startPeriod": 0, "limit": 16.0}),
            ("W", 11000, A_ONLY, 3, {"startPeriod": 0, "limit": 15.9, "numberPhases": 3}),
            ("W", 7360, A_ONLY, 1, {"startPeriod": 0, "limit": 32.0, "numberPhases": 1}),
            ("A", 16, W_ONLY, 3, {"startPeriod": 0, "limit": 11040.0, "numberPhases": 3}),
            ("A", 16, W_ONLY, 1, {"startPeriod": 0, "limit": 3680.0, "numberPhases": 1}),
            ("A", 7.3, W_ONLY, 3, {"startPeriod": 0, "limit": 5037.0, "numberPhases": 3}),
        ],
    )
    @BOTH
    def test_period_conversion(
        self,
        version: OcppVersion,
        unit: str,
        limit: float,
        capabilities: Capabilities,
        phases: int,
        expected: dict[str, Any],
    ) -> None:
        """Allowed units pass through untouched; others convert (floored to 0.1) and gain numberPhases."""
        profile = make_profile(
            charging_rate_unit=unit, charging_profile_period=[{"start_period": 0, "limit": limit}]
        )
        payload = to_set_charging_profile(version, profile, make_target(capabilities, phases=phases))
        schedule = schedule_of(version, request_wire(version, payload))
        assert schedule["chargingSchedulePeriod"] == [expected]
        assert schedule["chargingRateUnit"] == choose_unit(unit, capabilities)

    @pytest.mark.parametrize(
        ("unit", "min_rate", "capabilities", "expected"),
        [
            ("W", 4140, A_ONLY, 6.0),
            ("A", 6, W_ONLY, 4140.0),
            ("W", 4000, A_ONLY, 5.7),
            ("A", 6.5, Capabilities(), 6.5),
        ],
    )
    @BOTH
    def test_min_charging_rate_conversion(
        self, version: OcppVersion, unit: str, min_rate: float, capabilities: Capabilities, expected: float
    ) -> None:
        """min_charging_rate follows the schedule's unit with the same conversion and floor."""
        profile = make_profile(
            charging_rate_unit=unit,
            min_charging_rate=min_rate,
            charging_profile_period=[{"start_period": 0, "limit": 11000 if unit == "W" else 16}],
        )
        payload = to_set_charging_profile(version, profile, make_target(capabilities))
        assert schedule_of(version, request_wire(version, payload))["minChargingRate"] == expected

    @BOTH
    def test_limits_are_floats_not_decimals(self, version: OcppVersion) -> None:
        """Every limit handed to ocpp is a float (a Decimal makes 1.6 validation raise TypeError)."""
        profile = make_profile(charging_rate_unit="W", min_charging_rate=1380)
        payload = to_set_charging_profile(version, profile, make_target(A_ONLY))
        inner = payload.cs_charging_profiles if version is V16 else payload.charging_profile
        schedule = inner.charging_schedule if version is V16 else inner.charging_schedule[0]
        values = [p.limit for p in schedule.charging_schedule_period] + [schedule.min_charging_rate]
        assert all(type(value) is float for value in values)


class TestStationLimits:
    @pytest.mark.parametrize(
        ("configured", "max_stack_level", "expected"),
        [(3, None, 3), (3, 5, 3), (5, 2, 2), (4, 0, 0), (-1, None, 0)],
    )
    @BOTH
    def test_stack_level_capped(
        self, version: OcppVersion, configured: int, max_stack_level: int | None, expected: int
    ) -> None:
        """The stack level is the configured one, capped at the station's reported maximum."""
        caps = Capabilities(max_stack_level=max_stack_level)
        payload = to_set_charging_profile(version, make_profile(), make_target(caps, stack_level=configured))
        wire = request_wire(version, payload)
        inner = wire["csChargingProfiles"] if version is V16 else wire["chargingProfile"]
        assert inner["stackLevel"] == expected == effective_stack_level(configured, caps)

    @BOTH
    def test_too_many_periods(self, version: OcppVersion) -> None:
        """More periods than ChargingScheduleMaxPeriods/PeriodsPerSchedule is refused, naming both numbers."""
        periods = [{"start_period": 60 * i, "limit": 10} for i in range(6)]
        profile = make_profile(charging_profile_period=periods)
        with pytest.raises(TranslationError, match=r"6 periods.*at most 5"):
            to_set_charging_profile(version, profile, make_target(Capabilities(max_periods=5)))

    @BOTH
    @pytest.mark.parametrize(
        ("fields", "fits"),
        [
            ({"duration": 2**31 - 1}, True),
            ({"duration": 2**31}, False),
            ({"duration": 10**400}, False),
            ({"charging_profile_period": periods_until(2**31 - 1)}, True),
            ({"charging_profile_period": periods_until(2**31)}, False),
        ],
        ids=["duration-max", "duration-beyond", "duration-400-digits", "start-max", "start-beyond"],
    )
    def test_times_beyond_ocpp_integers_refused(
        self, version: OcppVersion, fields: dict[str, Any], fits: bool
    ) -> None:
        """OCPI ``int`` has no bound, OCPP integers are 32-bit: refused here, not sent to fail at the
        station (the OCPP-format API refuses the same numbers in its validation)."""
        if fits:
            to_set_charging_profile(version, make_profile(**fields), make_target())
            return
        with pytest.raises(TranslationError, match="OCPP integers"):
            to_set_charging_profile(version, make_profile(**fields), make_target())

    @BOTH
    def test_period_count_at_the_cap_passes(self, version: OcppVersion) -> None:
        """Exactly max_periods periods are sent unchanged, in order."""
        periods = [{"start_period": 60 * i, "limit": 10} for i in range(5)]
        payload = to_set_charging_profile(
            version, make_profile(charging_profile_period=periods), make_target(Capabilities(max_periods=5))
        )
        starts = [
            p["startPeriod"]
            for p in schedule_of(version, request_wire(version, payload))["chargingSchedulePeriod"]
        ]
        assert starts == [0, 60, 120, 180, 240]

    @BOTH
    def test_no_smart_charging(self, version: OcppVersion) -> None:
        """A station without smart charging raises NotSupportedByStation (-> OCPI NOT_SUPPORTED)."""
        with pytest.raises(NotSupportedByStation):
            to_set_charging_profile(version, make_profile(), make_target(Capabilities(smart_charging=False)))

    @pytest.mark.parametrize(("version", "tx"), [(V16, "abc"), (V16, ""), (V201, ""), (V201, "x" * 37)])
    def test_unusable_transaction_id(self, version: OcppVersion, tx: str) -> None:
        """A transaction id the version cannot carry (1.6 non-integer, 2.0.1 empty or > 36) is refused."""
        with pytest.raises(TranslationError, match="transaction id"):
            to_set_charging_profile(version, make_profile(), make_target(tx=tx))

    @BOTH
    def test_connector_zero_refused(self, version: OcppVersion) -> None:
        """A TxProfile on connector/EVSE 0 is refused before it reaches the station."""
        target = ProfileTarget(0, "42", 7, 3, Capabilities(), Electrical())
        with pytest.raises(TranslationError, match="> 0"):
            to_set_charging_profile(version, make_profile(), target)

    def test_relative_station_max_refused_for_201_only(self) -> None:
        """2.0.1 forbids a Relative ChargingStationMaxProfile (K01.FR.38): refused before the call;
        1.6 has no such rule, and an Absolute one passes on 2.0.1."""
        spec = ProfileSpec(
            unit="A", periods=(PeriodSpec(0, 32.0),), purpose="ChargePointMaxProfile", kind="Relative"
        )
        station = ProfileTarget(0, None, 999, 0, Capabilities(), Electrical())
        with pytest.raises(TranslationError, match=r"K01\.FR\.38"):
            to_set_charging_profile(V201, spec, station)
        assert request_wire(V16, to_set_charging_profile(V16, spec, station))["connectorId"] == 0
        absolute = ProfileSpec(
            unit="A",
            periods=(PeriodSpec(0, 32.0),),
            purpose="ChargePointMaxProfile",
            kind="Absolute",
            start_schedule=datetime(2030, 1, 1, tzinfo=UTC),
        )
        wire = request_wire(V201, to_set_charging_profile(V201, absolute, station))
        assert wire["chargingProfile"]["chargingProfilePurpose"] == "ChargingStationMaxProfile"

    @BOTH
    def test_conversion_without_voltage_refused(self, version: OcppVersion) -> None:
        """A conversion with zero voltage is a TranslationError, not a ZeroDivisionError."""
        target = ProfileTarget(1, "42", 7, 3, A_ONLY, Electrical(voltage=0.0, phases=3))
        with pytest.raises(TranslationError, match="voltage"):
            to_set_charging_profile(version, make_profile(charging_rate_unit="W"), target)


class TestClearChargingProfile:
    @pytest.mark.parametrize(
        ("version", "profile_id", "expected"),
        [
            (V16, 7, {"id": 7}),
            (V201, 7, {"chargingProfileId": 7}),
            (V16, None, {"connectorId": 2, "chargingProfilePurpose": "TxProfile", "stackLevel": 3}),
            (
                V201,
                None,
                {
                    "chargingProfileCriteria": {
                        "evseId": 2,
                        "chargingProfilePurpose": "TxProfile",
                        "stackLevel": 3,
                    }
                },
            ),
        ],
    )
    def test_clear_wire(self, version: OcppVersion, profile_id: int | None, expected: dict[str, Any]) -> None:
        """Clear by the session's profile id, else by connector + TxProfile + stack level: never empty."""
        payload = to_clear_charging_profile(version, profile_id=profile_id, connector_id=2, stack_level=3)
        assert request_wire(version, payload) == expected

    @BOTH
    def test_criteria_need_a_connector(self, version: OcppVersion) -> None:
        """Clearing by criteria on connector 0 is refused: it would reach other connectors' profiles."""
        with pytest.raises(TranslationError):
            to_clear_charging_profile(version, profile_id=None, connector_id=0, stack_level=3)


class TestGetCompositeSchedule:
    @pytest.mark.parametrize(
        ("version", "unit", "expected"),
        [
            (V16, None, {"connectorId": 2, "duration": 900}),
            (V16, "W", {"connectorId": 2, "duration": 900, "chargingRateUnit": "W"}),
            (V201, None, {"evseId": 2, "duration": 900}),
            (V201, "A", {"evseId": 2, "duration": 900, "chargingRateUnit": "A"}),
        ],
    )
    def test_composite_wire(self, version: OcppVersion, unit: str | None, expected: dict[str, Any]) -> None:
        """GetCompositeSchedule names the connector/EVSE, the duration and the unit only when forced."""
        payload = to_get_composite_schedule(version, connector_id=2, duration=900, unit=unit)
        assert request_wire(version, payload) == expected

    @BOTH
    def test_unknown_unit_refused(self, version: OcppVersion) -> None:
        """A unit other than A or W is a TranslationError rather than a schema error at send time."""
        with pytest.raises(TranslationError, match="A or W"):
            to_get_composite_schedule(version, connector_id=2, duration=900, unit="kW")
