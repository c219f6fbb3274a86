"""Pure parts of the remote drivers: the bus message format and the book of profiles set."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201
from ocpp.v201 import enums as enums201

from ocpi_gateway.config import BusEvseSettings
from ocpi_gateway.domain import Electrical
from ocpi_gateway.stations.bus import wire as bus_wire
from ocpi_gateway.stations.csms_http.profile_book import ProfileBook

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
EVSES = bus_wire.EvseMap([BusEvseSettings(station_id="CS", evse_id=1, bus_evse_id="GB*SEV*E1")])


def tx_profile(profile_id: int = 5, limit: float = 16.0) -> types201.ChargingProfileType:
    return types201.ChargingProfileType(
        id=profile_id,
        stack_level=1,
        charging_profile_purpose=enums201.ChargingProfilePurposeEnumType.tx_profile,
        charging_profile_kind=enums201.ChargingProfileKindEnumType.absolute,
        charging_schedule=[
            types201.ChargingScheduleType(
                id=profile_id,
                charging_rate_unit=enums201.ChargingRateUnitEnumType.amps,
                charging_schedule_period=[types201.ChargingSchedulePeriodType(start_period=0, limit=limit)],
                start_schedule="2030-01-01T11:00:00Z",
            )
        ],
        transaction_id="tx-1",
    )


class TestBusWire:
    def test_set_request_uses_the_evse_string_and_snake_case(self) -> None:
        """set_charging_profile data: OCPP 2.0.1 fields in snake_case, evse_id as the bus string."""
        name, data = bus_wire.request_data(
            call201.SetChargingProfile(evse_id=1, charging_profile=tx_profile()), "X"
        )
        assert name == "set_charging_profile"
        assert data["evse_id"] == "X"
        assert data["charging_profile"]["charging_schedule"][0]["charging_rate_unit"] == "A"

    def test_clear_by_criteria_maps_the_criteria_evse(self) -> None:
        """clear_charging_profile by criteria: the criteria's evse_id becomes the string."""
        criteria = types201.ClearChargingProfileType(evse_id=1, stack_level=1)
        _, data = bus_wire.request_data(call201.ClearChargingProfile(charging_profile_criteria=criteria), "X")
        assert data == {"charging_profile_criteria": {"evse_id": "X", "stack_level": 1}}

    def test_request_message_envelope(self) -> None:
        """A request carries a uuid id, its name, type request and the data."""
        message = bus_wire.request_message("get_composite_schedule", {"duration": 60})
        assert message["type"] == "request"
        assert len(message["id"]) == 36
        assert message["data"] == {"duration": 60}

    @pytest.mark.parametrize(
        ("status", "expected"), [("accepted", "Accepted"), ("rejected", "Rejected"), ("unknown", "Unknown")]
    )
    def test_response_status_becomes_ocpp_spelling(self, status: str, expected: str) -> None:
        """Bus statuses are lower case; the call_result carries the OCPP spelling."""
        raw = json.dumps(
            {"id": "1", "name": "clear_charging_profile", "type": "response", "data": {"status": status}}
        )
        response = bus_wire.parse_response(raw)
        assert bus_wire.to_call_result(response.name, response.data).status == expected

    @pytest.mark.parametrize(
        "raw", ["not json", '{"type": "request", "id": "1", "data": {}}', '{"type": "response"}']
    )
    def test_non_responses_are_refused(self, raw: str) -> None:
        """Only JSON responses with an id and a data object are read."""
        with pytest.raises(bus_wire.BusFormatError):
            bus_wire.parse_response(raw)

    def test_evse_map(self) -> None:
        """The map finds the string of a station's EVSE, and the only EVSE of a station."""
        assert EVSES.bus_id("CS", 1) == "GB*SEV*E1"
        assert EVSES.bus_id("CS", 2) is None
        assert EVSES.any_bus_id("CS") == "GB*SEV*E1"


class TestProfileBook:
    def composite(self, book: ProfileBook, transactions: list[str]) -> list[dict[str, float]]:
        schedule = book.composite(
            "CS", evse_id=1, duration=600, unit="A", now=NOW, transaction_start=None,
            electrical=Electrical(), transaction_ids=transactions,
        )  # fmt: skip
        return list(schedule["charging_schedule_period"])

    def test_composite_of_a_set_profile(self) -> None:
        """A profile set and accepted is the composite on its EVSE."""
        book = ProfileBook()
        book.accepted_set("CS", 1, tx_profile())
        assert self.composite(book, ["tx-1"]) == [{"start_period": 0, "limit": 16.0}]

    def test_same_id_replaces_and_clear_removes(self) -> None:
        """A second set with the same id replaces; clearing by id leaves the EVSE unlimited."""
        book = ProfileBook()
        book.accepted_set("CS", 1, tx_profile(limit=16.0))
        book.accepted_set("CS", 1, tx_profile(limit=8.0))
        assert self.composite(book, ["tx-1"])[0]["limit"] == 8.0
        assert book.evse_of("CS", 5) == 1
        book.accepted_clear("CS", profile_id=5)
        assert self.composite(book, ["tx-1"])[0]["limit"] == 5000.0

    def test_profiles_of_ended_transactions_do_not_count(self) -> None:
        """A TxProfile whose transaction is not running any more is left out."""
        book = ProfileBook()
        book.accepted_set("CS", 1, tx_profile())
        assert self.composite(book, ["tx-2"])[0]["limit"] == 5000.0
