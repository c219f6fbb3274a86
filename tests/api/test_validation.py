"""The request check: OCPP 1.6 schema rules plus what the schema cannot say, every problem listed."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from ocpi_gateway.api.validation import problems, session_problems
from tests.api.support import AXLE_BODY, axle_body


def parsed(body: Any) -> Any:
    """The body as the API parses it: floats as Decimal."""
    return json.loads(json.dumps(body), parse_float=Decimal)


def fields(body: Any, scope: str = "session") -> list[str]:
    return [p.field for p in problems(parsed(body), scope)]  # type: ignore[arg-type]


def with_period(**period: Any) -> dict[str, Any]:
    body = axle_body()
    body["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0].update(period)
    return body


PERIOD0 = "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]"


class TestValid:
    def test_axle_body_is_valid(self) -> None:
        """The Axle-style body (W, one phase, 99999.0, stack level 1100) has no problem."""
        assert problems(parsed(AXLE_BODY)) == []

    def test_limit_with_one_decimal_passes_multiple_of(self) -> None:
        """21.4 is a multiple of 0.1 when read as decimal text (a binary float is not)."""
        assert fields(with_period(limit=21.4)) == []


class TestSchema:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            (with_period(limit=4.11), f"{PERIOD0}.limit"),
            (axle_body(chargingProfilePurpose="Boost"), "csChargingProfiles.chargingProfilePurpose"),
            (axle_body(chargingProfileKind="Sometimes"), "csChargingProfiles.chargingProfileKind"),
            (axle_body(stackLevel=1.5), "csChargingProfiles.stackLevel"),
            (axle_body(colour="red"), "csChargingProfiles.colour"),
            (with_period(startPeriod="0"), f"{PERIOD0}.startPeriod"),
        ],
    )
    def test_one_schema_violation_is_named(self, body: dict[str, Any], field: str) -> None:
        """Each OCPP 1.6 schema rule (multipleOf, enum, type, additionalProperties) names its field."""
        assert fields(body) == [field]

    def test_missing_required_fields_are_each_named(self) -> None:
        """Every required field that is missing is listed, not only the first."""
        body = axle_body()
        del body["connectorId"]
        del body["csChargingProfiles"]["stackLevel"]
        del body["csChargingProfiles"]["chargingSchedule"]["chargingRateUnit"]
        assert sorted(fields(body)) == [
            "connectorId",
            "csChargingProfiles.chargingSchedule.chargingRateUnit",
            "csChargingProfiles.stackLevel",
        ]

    def test_min_charging_rate_must_be_a_multiple_of_a_tenth(self) -> None:
        """minChargingRate has the same one-decimal rule as limit."""
        body = axle_body()
        body["csChargingProfiles"]["chargingSchedule"]["minChargingRate"] = 1.25
        assert fields(body) == ["csChargingProfiles.chargingSchedule.minChargingRate"]

    def test_a_body_that_is_not_an_object(self) -> None:
        """A JSON array is refused as a whole."""
        assert fields([1, 2]) == ["(body)"]


class TestRules:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            (with_period(startPeriod=60), f"{PERIOD0}.startPeriod"),
            (with_period(numberPhases=4), f"{PERIOD0}.numberPhases"),
            (with_period(limit=-1.0), f"{PERIOD0}.limit"),
            (axle_body(stackLevel=-1), "csChargingProfiles.stackLevel"),
            (axle_body(validFrom="yesterday"), "csChargingProfiles.validFrom"),
            (axle_body(chargingProfileKind="Recurring"), "csChargingProfiles.recurrencyKind"),
            (
                axle_body(chargingProfilePurpose="TxDefaultProfile", transactionId=5),
                "csChargingProfiles.transactionId",
            ),
        ],
    )
    def test_rule_beyond_the_schema_is_named(self, body: dict[str, Any], field: str) -> None:
        """Signs, phases, dates, period order and purpose rules each name their field."""
        assert fields(body) == [field]

    def test_limits_above_the_ocpi_caps_are_named(self) -> None:
        """A limit or minimum rate above what an OCPI profile may carry (5,000 A, 10 MW) is a problem,
        as OCPI refuses it; a limit at or above the "no limit" threshold is not (it becomes the EVSE
        maximum)."""
        body = axle_body()
        schedule = body["csChargingProfiles"]["chargingSchedule"]
        schedule.update(chargingRateUnit="A", minChargingRate=5000.1)
        schedule["chargingSchedulePeriod"][0]["limit"] = 6000.0  # the second period is 99999.0
        found = problems(parsed(body), "session", unlimited_at=99999.0)
        assert [(p.field, p.message) for p in found] == [
            (f"{PERIOD0}.limit", "exceeds 5000.0 A"),
            ("csChargingProfiles.chargingSchedule.minChargingRate", "exceeds 5000.0 A"),
        ]
        period1 = "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1].limit"
        assert period1 in fields(body)  # without a "no limit" threshold 99999.0 A is over the cap
        assert fields(with_period(limit=20_000_000.0)) == [f"{PERIOD0}.limit"]  # W: 10 MW
        watts = [(p.field, p.message) for p in problems(parsed(with_period(limit=10_000_000.0)))]
        assert watts == []  # the cap itself is allowed, as in OCPI

    def test_an_out_of_range_number_is_one_problem(self) -> None:
        """A number beyond OCPP's 32-bit integers is named once, not also for the 0 standing in for it."""
        body = axle_body()
        body["csChargingProfiles"]["chargingSchedule"]["duration"] = 99_999_999_999
        found = problems(parsed(body))
        assert [(p.field, p.message) for p in found] == [
            ("csChargingProfiles.chargingSchedule.duration", "out of range (OCPP integers are 32-bit)")
        ]

    def test_periods_must_ascend(self) -> None:
        """A period starting no later than the one before it is a problem."""
        body = axle_body()
        body["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][1]["startPeriod"] = 0
        assert fields(body) == ["csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1].startPeriod"]

    def test_station_max_profile_is_not_for_a_session(self) -> None:
        """ChargePointMaxProfile on a session is refused; on a station it needs connector 0."""
        body = axle_body(chargingProfilePurpose="ChargePointMaxProfile")
        assert fields(body, "session") == ["csChargingProfiles.chargingProfilePurpose"]
        assert fields(body, "station") == ["connectorId"]

    def test_valid_to_after_valid_from(self) -> None:
        """validTo before validFrom is a problem on validTo."""
        body = axle_body(validFrom="2030-01-02T00:00:00Z", validTo="2030-01-01T00:00:00Z")
        assert fields(body) == ["csChargingProfiles.validTo"]

    def test_session_transaction_must_be_the_sessions(self) -> None:
        """A transactionId other than the session's is a problem; the session's own is fine."""
        body = parsed(axle_body(transactionId=42))
        assert [p.field for p in session_problems(body, "43")] == ["csChargingProfiles.transactionId"]
        assert session_problems(body, "42") == []
