"""OCPP 1.6 stations talking to the gateway's CSMS handlers: boot, transactions, misc answers."""

from __future__ import annotations

from datetime import UTC, datetime

from ocpp.v16 import call

from ocpi_gateway.domain import OcppVersion, SessionStatus

from .conftest import Endpoint, StationFactory

NOW = "2025-01-01T10:00:00Z"


class TestBoot:
    async def test_boot_is_accepted_with_the_configured_interval(self, station: StationFactory) -> None:
        """BootNotification is Accepted and the heartbeat interval comes from settings."""
        sim = await station()
        answer = await sim.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        assert (answer.status, answer.interval) == ("Accepted", 42)
        assert answer.current_time.endswith("Z")

    async def test_boot_details_show_in_the_directory(
        self, endpoint: Endpoint, station: StationFactory
    ) -> None:
        """Vendor and model from BootNotification appear in ``stations()``."""
        sim = await station("CP-V16")
        await sim.call(call.BootNotification(charge_point_vendor="Acme", charge_point_model="Box"))
        [info] = endpoint.directory.stations()
        assert (info.station_id, info.protocol, info.vendor, info.model) == (
            "CP-V16",
            OcppVersion.V16,
            "Acme",
            "Box",
        )

    async def test_heartbeat_answers_the_time(self, station: StationFactory) -> None:
        """Heartbeat is answered with a UTC currentTime."""
        sim = await station()
        answer = await sim.call(call.Heartbeat())
        assert answer.current_time.endswith("Z")


class TestTransactions:
    async def test_start_creates_a_session_under_the_gateway_transaction_id(
        self, endpoint: Endpoint, station: StationFactory
    ) -> None:
        """StartTransaction gets an int transactionId whose text is the new ACTIVE session's id."""
        sim = await station("CP7")
        answer = await sim.call(
            call.StartTransaction(connector_id=2, id_tag="TAG1", meter_start=0, timestamp=NOW)
        )
        assert answer.id_tag_info == {"status": "Accepted"}
        session = await endpoint.sessions.get(str(answer.transaction_id))
        assert session is not None
        assert (session.station_id, session.connector_id, session.status, session.id_tag) == (
            "CP7",
            2,
            SessionStatus.ACTIVE,
            "TAG1",
        )

    async def test_stop_completes_the_session(self, endpoint: Endpoint, station: StationFactory) -> None:
        """StopTransaction marks the session COMPLETED at the station's timestamp."""
        sim = await station()
        started = await sim.call(
            call.StartTransaction(connector_id=1, id_tag="TAG1", meter_start=0, timestamp=NOW)
        )
        stopped = await sim.call(
            call.StopTransaction(
                meter_stop=10, timestamp="2025-01-01T11:00:00Z", transaction_id=started.transaction_id
            )
        )
        assert stopped.id_tag_info is None
        session = await endpoint.sessions.get(str(started.transaction_id))
        assert session is not None
        assert session.status is SessionStatus.COMPLETED
        assert session.ended_at == datetime(2025, 1, 1, 11, tzinfo=UTC)

    async def test_stop_with_id_tag_answers_id_tag_info(self, station: StationFactory) -> None:
        """StopTransaction carrying an idTag is answered with idTagInfo Accepted."""
        sim = await station()
        started = await sim.call(
            call.StartTransaction(connector_id=1, id_tag="TAG1", meter_start=0, timestamp=NOW)
        )
        stopped = await sim.call(
            call.StopTransaction(
                meter_stop=1, timestamp=NOW, transaction_id=started.transaction_id, id_tag="TAG1"
            )
        )
        assert stopped.id_tag_info == {"status": "Accepted"}


class TestOtherMessages:
    async def test_authorize_accepts_any_tag(self, station: StationFactory) -> None:
        """Authorize answers Accepted: authorisation is not the gateway's job."""
        sim = await station()
        answer = await sim.call(call.Authorize(id_tag="ANY"))
        assert answer.id_tag_info == {"status": "Accepted"}

    async def test_data_transfer_is_unknown_vendor(self, station: StationFactory) -> None:
        """DataTransfer is answered UnknownVendorId."""
        sim = await station()
        answer = await sim.call(call.DataTransfer(vendor_id="com.example"))
        assert answer.status == "UnknownVendorId"

    async def test_status_and_meter_values_are_acknowledged(self, station: StationFactory) -> None:
        """StatusNotification and MeterValues get their (empty) confirmations."""
        sim = await station()
        status = await sim.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Available")
        )
        meter = await sim.call(
            call.MeterValues(
                connector_id=1, meter_value=[{"timestamp": NOW, "sampled_value": [{"value": "1"}]}]
            )
        )
        assert type(status).__name__ == "StatusNotification"
        assert type(meter).__name__ == "MeterValues"
