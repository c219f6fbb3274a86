"""The partner's 1.6 request -> the one translation core -> the call a 1.6 or 2.0.1 station takes (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from ocpi_gateway.domain import Capabilities, Electrical, OcppVersion
from ocpi_gateway.errors import NotSupportedByStation, TranslationError
from ocpi_gateway.models.ocpi import ChargingProfile
from ocpi_gateway.translate.ocpp_format import (
    evse_maximum,
    spec_from_request,
    station_target,
    substitute_unlimited,
)
from ocpi_gateway.translate.profiles import ProfileTarget, to_set_charging_profile
from ocpi_gateway.translate.wire import to_wire
from tests.api.support import AXLE_BODY, axle_body

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
ELECTRICAL = Electrical(voltage=230.0, phases=3)
CAPS = Capabilities()


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


def session_target(capabilities: Capabilities = CAPS, **over: Any) -> ProfileTarget:
    """A session's placement, as ``core.ocpp_jobs`` builds it: its own profile id and stack level."""
    fields: dict[str, Any] = {
        "connector_id": 2,
        "transaction_id": "4711",
        "profile_id": 1005,
        "stack_level": 1,
        "capabilities": capabilities,
        "electrical": ELECTRICAL,
        "now": NOW,
    }
    fields.update(over)
    return ProfileTarget(**fields)


def session_call(body: dict[str, Any], version: OcppVersion, target: ProfileTarget) -> dict[str, Any]:
    spec = replace(spec_from_request(body), purpose="TxProfile")
    return to_wire(to_set_charging_profile(version, spec, target))


class TestOneTranslationCore:
    def test_session_body_takes_the_sessions_profile_connector_and_transaction(self) -> None:
        """1.6: the session's connector, integer transaction, gateway profile id and stack level."""
        wire = session_call(AXLE_BODY, OcppVersion.V16, session_target())
        profile = wire["csChargingProfiles"]
        assert wire["connectorId"] == 2
        assert profile["transactionId"] == 4711
        assert (profile["chargingProfileId"], profile["stackLevel"]) == (1005, 1)
        assert profile["chargingSchedule"]["startSchedule"] == "2030-01-01T00:00:00Z"
        assert profile["chargingSchedule"]["chargingSchedulePeriod"][0] == {
            "startPeriod": 0,
            "limit": 4600.0,
            "numberPhases": 1,
        }

    def test_axle_body_fits_an_amps_only_16_station_with_stack_level_8(self) -> None:
        """The issue's case: W on one phase becomes A on one phase, unlimited the EVSE maximum."""
        body = axle_body(chargingProfileId=1)
        body["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = 7000.0
        effective = substitute_unlimited(body, threshold=99999.0, max_current=32.0, electrical=ELECTRICAL)
        amps_only = Capabilities(allowed_units=frozenset({"A"}), max_stack_level=8)
        wire = session_call(effective, OcppVersion.V16, session_target(amps_only, stack_level=1100))
        profile = wire["csChargingProfiles"]
        schedule = profile["chargingSchedule"]
        assert schedule["chargingRateUnit"] == "A"
        assert schedule["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 30.4, "numberPhases": 1},  # 7000 W / 230 V / 1 phase
            {"startPeriod": 900, "limit": 32.0, "numberPhases": 1},  # "no limit": the EVSE maximum
        ]
        assert profile["stackLevel"] == 8  # capped at the station's maximum
        assert profile["chargingProfileId"] == 1005  # the session's, not the partner's 1

    def test_too_many_periods_are_refused_before_the_station(self) -> None:
        """The station's period maximum applies to OCPP-format bodies as to OCPI ones."""
        with pytest.raises(TranslationError, match="at most 1"):
            session_call(AXLE_BODY, OcppVersion.V16, session_target(Capabilities(max_periods=1)))

    def test_no_smart_charging_is_not_supported(self) -> None:
        with pytest.raises(NotSupportedByStation):
            session_call(AXLE_BODY, OcppVersion.V201, session_target(Capabilities(smart_charging=False)))

    def test_v201_shape(self) -> None:
        """2.0.1: evseId, chargingProfile.id, a one-element chargingSchedule list, text transaction id."""
        wire = session_call(AXLE_BODY, OcppVersion.V201, session_target(connector_id=1, transaction_id="tx"))
        profile = wire["chargingProfile"]
        assert wire["evseId"] == 1
        assert profile["id"] == 1005
        assert profile["transactionId"] == "tx"
        assert profile["chargingSchedule"][0]["id"] == 1005
        assert profile["chargingSchedule"][0]["chargingSchedulePeriod"][0] == {
            "startPeriod": 0,
            "limit": 4600.0,
            "numberPhases": 1,
        }

    def test_station_body_keeps_its_purpose_id_and_connector(self) -> None:
        """ChargePointMaxProfile (2.0.1: ChargingStationMaxProfile) on connector 0, its own id and level."""
        body = axle_body(chargingProfilePurpose="ChargePointMaxProfile", stackLevel=3)
        body["connectorId"] = 0
        target = station_target(body, CAPS, ELECTRICAL, now=NOW)
        wire = to_wire(to_set_charging_profile(OcppVersion.V201, spec_from_request(body), target))
        assert wire["evseId"] == 0
        assert wire["chargingProfile"]["chargingProfilePurpose"] == "ChargingStationMaxProfile"
        assert (wire["chargingProfile"]["id"], wire["chargingProfile"]["stackLevel"]) == (77, 3)
        assert "transactionId" not in wire["chargingProfile"]
        capped = to_set_charging_profile(
            OcppVersion.V16,
            spec_from_request(body),
            replace(target, capabilities=Capabilities(max_stack_level=2)),
        )
        assert to_wire(capped)["csChargingProfiles"]["stackLevel"] == 2

    @pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
    def test_absolute_without_start_starts_now_and_relative_drops_it(self, version: OcppVersion) -> None:
        """Both versions: an Absolute profile counts from its startSchedule (now when the body has
        none) and a Relative one has none, as OCPI profiles always are."""

        def schedule(wire: dict[str, Any]) -> dict[str, Any]:
            if version is OcppVersion.V16:
                return dict(wire["csChargingProfiles"]["chargingSchedule"])
            return dict(wire["chargingProfile"]["chargingSchedule"][0])

        absolute = axle_body()
        del absolute["csChargingProfiles"]["chargingSchedule"]["startSchedule"]
        target = session_target(transaction_id="42")
        assert schedule(session_call(absolute, version, target))["startSchedule"] == "2030-01-01T12:00:00Z"
        relative = session_call(axle_body(chargingProfileKind="Relative"), version, target)
        assert "startSchedule" not in schedule(relative)

    def test_v16_needs_an_integer_transaction(self) -> None:
        """A 2.0.1-style transaction id cannot go to a 1.6 station."""
        with pytest.raises(TranslationError):
            session_call(AXLE_BODY, OcppVersion.V16, session_target(transaction_id="abc-1"))

    def test_the_ocpi_profile_goes_through_the_same_core(self) -> None:
        """An OCPI profile and the equivalent OCPP-format body give the same SetChargingProfile."""
        body = axle_body(chargingProfileKind="Relative")
        schedule = body["csChargingProfiles"]["chargingSchedule"]
        del schedule["startSchedule"]
        for period in schedule["chargingSchedulePeriod"]:
            del period["numberPhases"]
        schedule["chargingSchedulePeriod"][1]["limit"] = 7000.0
        ocpi = ChargingProfile.model_validate(
            {
                "charging_rate_unit": "W",
                "charging_profile_period": [
                    {"start_period": 0, "limit": 4600.0},
                    {"start_period": 900, "limit": 7000.0},
                ],
            }
        )
        amps_only = Capabilities(allowed_units=frozenset({"A"}))
        for version in OcppVersion:
            from_api = session_call(body, version, session_target(amps_only, transaction_id="12"))
            from_ocpi = to_wire(
                to_set_charging_profile(version, ocpi, session_target(amps_only, transaction_id="12"))
            )
            assert from_api == from_ocpi
