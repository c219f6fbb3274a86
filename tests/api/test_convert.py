"""The partner's 1.6 request -> the call a 1.6 or 2.0.1 station takes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ocpi_gateway.domain import Electrical, OcppVersion
from ocpi_gateway.errors import TranslationError
from ocpi_gateway.translate.ocpp_format import evse_maximum, substitute_unlimited, to_station_call
from ocpi_gateway.translate.wire import to_wire
from tests.api.support import AXLE_BODY, axle_body

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
ELECTRICAL = Electrical(voltage=230.0, phases=3)


class TestUnlimited:
    @pytest.mark.parametrize(
        ("unit", "phases", "expected"),
        [("A", 1, 32.0), ("A", None, 32.0), ("W", 1, 7360.0), ("W", None, 22080.0), ("W", 2, 14720.0)],
    )
    def test_evse_maximum_by_unit_and_phases(self, unit: str, phases: int | None, expected: float) -> None:
        """32 A per phase; in W times 230 V times the period's phases (else the default 3)."""
        assert evse_maximum(unit, phases, 32.0, ELECTRICAL) == expected

    def test_only_limits_at_or_above_the_threshold_change(self) -> None:
        """4600 W stays; 99999.0 becomes 7360 W on one phase; the input is not modified."""
        out = substitute_unlimited(AXLE_BODY, threshold=99999.0, max_current=32.0, electrical=ELECTRICAL)
        limits = [p["limit"] for p in out["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]]
        assert limits == [4600.0, 7360.0]
        assert (
            AXLE_BODY["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][1]["limit"]
            == 99999.0
        )

    def test_threshold_is_configurable(self) -> None:
        """With threshold 4000, the 4600 W period means "no limit" too."""
        out = substitute_unlimited(AXLE_BODY, threshold=4000.0, max_current=16.0, electrical=ELECTRICAL)
        limits = [p["limit"] for p in out["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]]
        assert limits == [3680.0, 3680.0]


class TestToStation:
    def test_v16_keeps_the_request_and_takes_the_sessions_connector_and_transaction(self) -> None:
        """1.6: same fields, connector and integer transaction id from the session."""
        call = to_station_call(AXLE_BODY, OcppVersion.V16, now=NOW, connector_id=2, transaction_id="4711")
        wire = to_wire(call)
        assert wire["connectorId"] == 2
        assert wire["csChargingProfiles"]["transactionId"] == 4711
        assert wire["csChargingProfiles"]["stackLevel"] == 1100
        assert wire["csChargingProfiles"]["chargingSchedule"]["startSchedule"] == "2030-01-01T00:00:00Z"

    def test_v201_shape(self) -> None:
        """2.0.1: evseId, chargingProfile.id, a one-element chargingSchedule list, text transaction id."""
        wire = to_wire(
            to_station_call(AXLE_BODY, OcppVersion.V201, now=NOW, connector_id=1, transaction_id="tx")
        )
        profile = wire["chargingProfile"]
        assert wire["evseId"] == 1
        assert profile["id"] == 77
        assert profile["transactionId"] == "tx"
        assert profile["chargingSchedule"][0]["id"] == 77
        assert profile["chargingSchedule"][0]["chargingSchedulePeriod"][0] == {
            "startPeriod": 0,
            "limit": 4600.0,
            "numberPhases": 1,
        }

    def test_v201_station_max_profile_name(self) -> None:
        """ChargePointMaxProfile is called ChargingStationMaxProfile in 2.0.1."""
        body = axle_body(chargingProfilePurpose="ChargePointMaxProfile")
        wire = to_wire(to_station_call(body, OcppVersion.V201, now=NOW))
        assert wire["chargingProfile"]["chargingProfilePurpose"] == "ChargingStationMaxProfile"
        assert "transactionId" not in wire["chargingProfile"]

    def test_v201_absolute_without_start_starts_now_and_relative_drops_it(self) -> None:
        """2.0.1 needs startSchedule on Absolute (now) and forbids it on Relative."""
        absolute = axle_body()
        del absolute["csChargingProfiles"]["chargingSchedule"]["startSchedule"]
        wire = to_wire(to_station_call(absolute, OcppVersion.V201, now=NOW))
        assert wire["chargingProfile"]["chargingSchedule"][0]["startSchedule"] == "2030-01-01T12:00:00Z"
        relative = to_wire(
            to_station_call(axle_body(chargingProfileKind="Relative"), OcppVersion.V201, now=NOW)
        )
        assert "startSchedule" not in relative["chargingProfile"]["chargingSchedule"][0]

    def test_v16_needs_an_integer_transaction(self) -> None:
        """A 2.0.1-style transaction id cannot go to a 1.6 station."""
        with pytest.raises(TranslationError):
            to_station_call(AXLE_BODY, OcppVersion.V16, now=NOW, connector_id=1, transaction_id="abc-1")
