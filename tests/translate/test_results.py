"""OCPP answers -> OCPI results, fed the ``call_result`` objects the ``ocpp`` package really returns."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from ocpp.v16 import call_result as result16
from ocpp.v201 import call_result as result201
from ocpp.v201 import datatypes as types201

from ocpi_gateway.domain import OcppVersion
from ocpi_gateway.models.ocpi import ChargingProfileResultType
from ocpi_gateway.translate.results import clear_result, composite_result, set_result

from .ocpp_wire import response_from_wire

V16, V201 = OcppVersion.V16, OcppVersion.V201
ACCEPTED = ChargingProfileResultType.ACCEPTED
REJECTED = ChargingProfileResultType.REJECTED
UNKNOWN = ChargingProfileResultType.UNKNOWN
REQUESTED_AT = datetime(2024, 5, 1, 12, 30, 5, tzinfo=UTC)


class TestSetAndClear:
    @pytest.mark.parametrize(
        ("version", "status", "expected"),
        [
            (V16, "Accepted", ACCEPTED),
            (V16, "Rejected", REJECTED),
            (V16, "NotSupported", REJECTED),
            (V201, "Accepted", ACCEPTED),
            (V201, "Rejected", REJECTED),
        ],
    )
    def test_set_result(self, version: OcppVersion, status: str, expected: ChargingProfileResultType) -> None:
        """Only an Accepted SetChargingProfile is ACCEPTED; Rejected and NotSupported are REJECTED."""
        response = response_from_wire(version, "SetChargingProfile", {"status": status})
        assert set_result(version, response) is expected

    @pytest.mark.parametrize(
        ("version", "status", "expected"),
        [
            (V16, "Accepted", ACCEPTED),
            (V16, "Unknown", UNKNOWN),
            (V201, "Accepted", ACCEPTED),
            (V201, "Unknown", UNKNOWN),
        ],
    )
    def test_clear_result(
        self, version: OcppVersion, status: str, expected: ChargingProfileResultType
    ) -> None:
        """ClearChargingProfile Accepted -> ACCEPTED and Unknown (nothing matched) -> UNKNOWN."""
        response = response_from_wire(version, "ClearChargingProfile", {"status": status})
        assert clear_result(version, response) is expected

    @pytest.mark.parametrize("version", [V16, V201])
    def test_no_answer_is_rejected(self, version: OcppVersion) -> None:
        """A missing answer (the package returns None on CALLERROR) counts as REJECTED for both calls."""
        assert set_result(version, None) is REJECTED
        assert clear_result(version, None) is REJECTED

    def test_unexpected_clear_status_is_rejected(self) -> None:
        """A status outside the enum (hand-built by a driver) is REJECTED, never ACCEPTED."""
        assert clear_result(V16, result16.ClearChargingProfile(status="Rejected")) is REJECTED


SCHEDULE_16: dict[str, Any] = {
    "chargingRateUnit": "A",
    "duration": 900,
    "minChargingRate": 6.0,
    "chargingSchedulePeriod": [
        {"startPeriod": 0, "limit": 16.0},
        {"startPeriod": 600, "limit": 7.5, "numberPhases": 3},
    ],
}
COMPOSITE_16 = {
    "status": "Accepted",
    "connectorId": 1,
    "scheduleStart": "2024-05-01T12:30:00Z",
    "chargingSchedule": SCHEDULE_16,
}

COMPOSITE_201 = {
    "status": "Accepted",
    "schedule": {
        "evseId": 1,
        "duration": 900,
        "scheduleStart": "2024-05-01T12:30:00Z",
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 11000.0},
            {"startPeriod": 300, "limit": 4140.55},
        ],
    },
}


class TestComposite:
    def test_v16_decimal_limits(self) -> None:
        """A 1.6 composite (Decimal limits, snake_case dicts) becomes a profile with float limits."""
        response = response_from_wire(V16, "GetCompositeSchedule", COMPOSITE_16)
        assert isinstance(response.charging_schedule["charging_schedule_period"][0]["limit"], Decimal)
        result = composite_result(V16, response, REQUESTED_AT)
        assert result.to_json_dict() == {
            "result": "ACCEPTED",
            "profile": {
                "start_date_time": "2024-05-01T12:30:00Z",
                "charging_profile": {
                    "charging_rate_unit": "A",
                    "duration": 900,
                    "min_charging_rate": 6.0,
                    "charging_profile_period": [
                        {"start_period": 0, "limit": 16.0},
                        {"start_period": 600, "limit": 7.5},
                    ],
                },
            },
        }
        assert result.profile is not None
        assert all(type(p.limit) is float for p in result.profile.charging_profile.charging_profile_period)

    def test_v201_shape(self) -> None:
        """A 2.0.1 composite maps schedule.* to the OCPI profile; limits are floored to one decimal."""
        response = response_from_wire(V201, "GetCompositeSchedule", COMPOSITE_201)
        assert composite_result(V201, response, REQUESTED_AT).to_json_dict() == {
            "result": "ACCEPTED",
            "profile": {
                "start_date_time": "2024-05-01T12:30:00Z",
                "charging_profile": {
                    "charging_rate_unit": "W",
                    "duration": 900,
                    "charging_profile_period": [
                        {"start_period": 0, "limit": 11000.0},
                        {"start_period": 300, "limit": 4140.5},
                    ],
                },
            },
        }

    def test_v201_hand_built_dataclasses(self) -> None:
        """An answer built from ``datatypes`` dataclasses gives the same result as a dict one."""
        schedule = types201.CompositeScheduleType(
            evse_id=1,
            duration=900,
            schedule_start="2024-05-01T12:30:00Z",
            charging_rate_unit="W",
            charging_schedule_period=[
                types201.ChargingSchedulePeriodType(start_period=0, limit=11000.0),
                types201.ChargingSchedulePeriodType(start_period=300, limit=4140.55),
            ],
        )
        response = result201.GetCompositeSchedule(status="Accepted", schedule=schedule)
        from_wire = response_from_wire(V201, "GetCompositeSchedule", COMPOSITE_201)
        assert composite_result(V201, response, REQUESTED_AT) == composite_result(
            V201, from_wire, REQUESTED_AT
        )

    @pytest.mark.parametrize(
        ("schedule_start", "start_schedule", "expected"),
        [
            ("2024-05-01T12:30:00Z", "2024-05-01T11:00:00Z", "2024-05-01T12:30:00Z"),
            (None, "2024-05-01T11:00:00+01:00", "2024-05-01T10:00:00Z"),
            (None, None, "2024-05-01T12:30:05Z"),
        ],
    )
    def test_v16_start_fallbacks(
        self, schedule_start: str | None, start_schedule: str | None, expected: str
    ) -> None:
        """1.6 start: scheduleStart, else the schedule's startSchedule, else the request time."""
        schedule = dict(SCHEDULE_16)
        if start_schedule:
            schedule["startSchedule"] = start_schedule
        payload: dict[str, Any] = {"status": "Accepted", "chargingSchedule": schedule}
        if schedule_start:
            payload["scheduleStart"] = schedule_start
        result = composite_result(V16, response_from_wire(V16, "GetCompositeSchedule", payload), REQUESTED_AT)
        assert result.to_json_dict()["profile"]["start_date_time"] == expected

    @pytest.mark.parametrize(
        ("version", "payload"),
        [
            (V16, {"status": "Rejected"}),
            (V201, {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse"}}),
            (V16, {"status": "Accepted"}),
            (V201, {"status": "Accepted"}),
            (
                V16,
                {
                    "status": "Accepted",
                    "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": []},
                },
            ),
            (
                V16,
                {
                    "status": "Accepted",
                    "scheduleStart": "not a time",
                    "chargingSchedule": {
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6.0}],
                    },
                },
            ),
            (
                V16,
                {
                    "status": "Accepted",
                    "chargingSchedule": {
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": [{"startPeriod": 60, "limit": 6.0}],
                    },
                },
            ),
        ],
    )
    def test_unusable_composite_rejected(self, version: OcppVersion, payload: dict[str, Any]) -> None:
        """Rejected, schedule-less, period-less, bad-time or late-start composites: REJECTED, no profile."""
        result = composite_result(
            version, response_from_wire(version, "GetCompositeSchedule", payload), REQUESTED_AT
        )
        assert result.to_json_dict() == {"result": "REJECTED"}

    def test_v201_empty_periods_rejected(self) -> None:
        """A hand-built 2.0.1 composite with no periods (the schema forbids it on the wire) is REJECTED."""
        schedule = {
            "evse_id": 1,
            "duration": 900,
            "schedule_start": "2024-05-01T12:30:00Z",
            "charging_rate_unit": "A",
            "charging_schedule_period": [],
        }
        response = result201.GetCompositeSchedule(status="Accepted", schedule=schedule)
        assert composite_result(V201, response, REQUESTED_AT).profile is None

    def test_no_answer_rejected(self) -> None:
        """No answer at all (CALLERROR suppressed to None) is REJECTED."""
        assert composite_result(V16, None, REQUESTED_AT).result is REJECTED
