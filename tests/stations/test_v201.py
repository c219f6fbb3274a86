"""OCPP 2.0.1 stations talking to the gateway: boot, TransactionEvent sessions, profile events."""

from __future__ import annotations

from typing import Any

from ocpp.v201 import call

from ocpi_gateway.domain import Session, SessionStatus

from .conftest import Endpoint, Station, StationFactory

NOW = "2025-01-01T10:00:00Z"
V201 = "ocpp2.0.1"


def tx_event(event_type: str, tx_id: str, seq_no: int, trigger: str = "Authorized", **extra: Any) -> Any:
    return call.TransactionEvent(
        event_type=event_type,
        timestamp=NOW,
        trigger_reason=trigger,
        seq_no=seq_no,
        transaction_info={"transaction_id": tx_id},
        **extra,
    )


async def start(sim: Station, tx_id: str, evse_id: int = 1, connector_id: int = 1) -> Any:
    return await sim.call(
        tx_event(
            "Started",
            tx_id,
            0,
            evse={"id": evse_id, "connector_id": connector_id},
            id_token={"id_token": "TOKEN1", "type": "ISO14443"},
        )
    )


async def session_of(endpoint: Endpoint, station_id: str, tx_id: str) -> Session:
    session = await endpoint.sessions.find_by_transaction(station_id, tx_id)
    assert session is not None
    return session


class TestBoot:
    async def test_boot_is_accepted_and_remembered(self, endpoint: Endpoint, station: StationFactory) -> None:
        """BootNotification is Accepted with the configured interval; vendor/model are kept."""
        sim = await station("CS201", V201)
        answer = await sim.call(
            call.BootNotification(charging_station={"model": "M2", "vendor_name": "Acme"}, reason="PowerUp")
        )
        assert (answer.status, answer.interval) == ("Accepted", 42)
        [info] = endpoint.directory.stations()
        assert (info.vendor, info.model) == ("Acme", "M2")

    async def test_heartbeat_and_status_are_answered(self, station: StationFactory) -> None:
        """Heartbeat returns a time; StatusNotification is acknowledged."""
        sim = await station("CS201", V201)
        beat = await sim.call(call.Heartbeat())
        status = await sim.call(
            call.StatusNotification(timestamp=NOW, connector_status="Available", evse_id=1, connector_id=1)
        )
        assert beat.current_time.endswith("Z")
        assert type(status).__name__ == "StatusNotification"


class TestTransactionEvents:
    async def test_started_updated_ended_keeps_the_evse(
        self, endpoint: Endpoint, station: StationFactory
    ) -> None:
        """A tx started on EVSE 2 stays on EVSE 2 through an Updated without EVSE, then completes."""
        sim = await station("CS201", V201)
        started = await start(sim, "TX-1", evse_id=2, connector_id=1)
        assert started.id_token_info == {"status": "Accepted"}
        await sim.call(tx_event("Updated", "TX-1", 1, trigger="MeterValuePeriodic"))
        session = await session_of(endpoint, "CS201", "TX-1")
        assert (session.session_id, session.evse_id, session.connector_id, session.status) == (
            "TX-1",
            2,
            1,
            SessionStatus.ACTIVE,
        )
        assert session.id_tag == "TOKEN1"
        await sim.call(tx_event("Ended", "TX-1", 2, trigger="EVDeparted"))
        assert (await session_of(endpoint, "CS201", "TX-1")).status is SessionStatus.COMPLETED

    async def test_first_event_of_unknown_tx_opens_the_session(
        self, endpoint: Endpoint, station: StationFactory
    ) -> None:
        """An Updated event for a tx never seen Started still opens the session, with its EVSE."""
        sim = await station("CS201", V201)
        await sim.call(tx_event("Updated", "TX-LATE", 3, evse={"id": 3}))
        session = await session_of(endpoint, "CS201", "TX-LATE")
        assert (session.evse_id, session.status) == (3, SessionStatus.ACTIVE)

    async def test_same_tx_id_on_two_stations_gives_two_sessions(
        self, endpoint: Endpoint, station: StationFactory
    ) -> None:
        """Two stations reporting the same transactionId get distinct OCPI session ids."""
        first = await station("CS-A", V201)
        second = await station("CS-B", V201)
        await start(first, "SAME")
        await start(second, "SAME")
        a = await session_of(endpoint, "CS-A", "SAME")
        b = await session_of(endpoint, "CS-B", "SAME")
        assert a.session_id == "SAME"
        assert b.session_id != a.session_id


class TestProfileEvents:
    async def test_notify_charging_limit_is_recorded(
        self, endpoint: Endpoint, station: StationFactory
    ) -> None:
        """NotifyChargingLimit for an EVSE records a profile event on its running session."""
        told: list[tuple[str, str]] = []

        async def listener(session: Session, reason: str) -> None:
            told.append((session.session_id, reason))

        endpoint.sessions.add_profile_listener(listener)
        sim = await station("CS201", V201)
        await start(sim, "TX-L", evse_id=1)
        await sim.call(call.NotifyChargingLimit(charging_limit={"charging_limit_source": "SO"}, evse_id=1))
        session = await session_of(endpoint, "CS201", "TX-L")
        assert session.profile_events == ["NotifyChargingLimit"]
        assert told == [("TX-L", "NotifyChargingLimit")]

    async def test_cleared_charging_limit_is_recorded(
        self, endpoint: Endpoint, station: StationFactory
    ) -> None:
        """ClearedChargingLimit without an EVSE touches every running session of the station."""
        sim = await station("CS201", V201)
        await start(sim, "TX-C", evse_id=1)
        await sim.call(call.ClearedChargingLimit(charging_limit_source="EMS"))
        assert (await session_of(endpoint, "CS201", "TX-C")).profile_events == ["ClearedChargingLimit"]

    async def test_charging_rate_changed_is_recorded(
        self, endpoint: Endpoint, station: StationFactory
    ) -> None:
        """TransactionEvent with triggerReason ChargingRateChanged records a profile event."""
        sim = await station("CS201", V201)
        await start(sim, "TX-R", evse_id=1)
        await sim.call(tx_event("Updated", "TX-R", 1, trigger="ChargingRateChanged"))
        assert (await session_of(endpoint, "CS201", "TX-R")).profile_events == ["ChargingRateChanged"]

    async def test_ev_charging_needs_with_a_session_is_processing(
        self, endpoint: Endpoint, station: StationFactory
    ) -> None:
        """NotifyEVChargingNeeds on a charging EVSE is recorded and answered Processing."""
        sim = await station("CS201", V201)
        await start(sim, "TX-N", evse_id=1)
        answer = await sim.call(
            call.NotifyEVChargingNeeds(
                charging_needs={"requested_energy_transfer": "AC_three_phase"}, evse_id=1
            )
        )
        assert answer.status == "Processing"
        assert (await session_of(endpoint, "CS201", "TX-N")).profile_events == ["NotifyEVChargingNeeds"]

    async def test_ev_charging_needs_without_a_session_is_rejected(self, station: StationFactory) -> None:
        """NotifyEVChargingNeeds on an EVSE with no running session is answered Rejected."""
        sim = await station("CS201", V201)
        answer = await sim.call(
            call.NotifyEVChargingNeeds(charging_needs={"requested_energy_transfer": "DC"}, evse_id=1)
        )
        assert answer.status == "Rejected"


class TestReports:
    async def test_notify_report_and_event_are_acknowledged(self, station: StationFactory) -> None:
        """NotifyReport and NotifyEvent get their (empty) responses."""
        sim = await station("CS201", V201)
        report = await sim.call(call.NotifyReport(request_id=1, generated_at=NOW, seq_no=0))
        event = await sim.call(
            call.NotifyEvent(
                generated_at=NOW,
                seq_no=0,
                event_data=[
                    {
                        "event_id": 1,
                        "timestamp": NOW,
                        "trigger": "Alerting",
                        "actual_value": "1",
                        "event_notification_type": "HardWiredNotification",
                        "component": {"name": "EVSE"},
                        "variable": {"name": "Problem"},
                    }
                ],
            )
        )
        assert type(report).__name__ == "NotifyReport"
        assert type(event).__name__ == "NotifyEvent"
