"""What the gateway learns from relayed traffic: sessions, capabilities, the CSMS's own profiles."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from ocpi_gateway.appkeys import SESSIONS, STATIONS
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from ocpi_gateway.domain import Session, SessionStatus
from tests.conftest import SCSP_TOKEN, Gateway, StationFactory
from tests.e2e.helpers import PROFILE_A, put_profile
from tests.e2e.test_flows import result_at, wait_capabilities, wait_session
from tests.proxy.csms import FIRST_TRANSACTION_ID, TestCsms


async def session_when(gateway: Gateway, session_id: str, check: Callable[[Session], bool]) -> Session:
    """The session once ``check`` holds for it (the observer learns right after relaying)."""
    for _ in range(250):
        session = await gateway.app[SESSIONS].get(session_id)
        if session is not None and check(session):
            return session
        await asyncio.sleep(0.02)
    raise AssertionError(f"session {session_id} never reached the expected state")


async def steered(
    gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
) -> tuple[SimulatedStation, str]:
    """A station with a running session on which the SCSP's profile is applied."""
    station = await station_factory(gateway, protocol=protocol)
    session_id = await station.start_transaction(connector_id=1)
    await wait_session(gateway, session_id)
    url = mock_scsp.result_url("steer")
    await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
    assert (await result_at(mock_scsp, url)).body == {"result": "ACCEPTED"}
    await session_when(gateway, session_id, lambda s: s.applied_profile is not None)
    return station, session_id


class TestSessions:
    async def test_v16_transaction_id_comes_from_the_csms(
        self, proxy: Gateway, csms: TestCsms, station_factory: StationFactory
    ) -> None:
        """1.6: the session opens with the transactionId the CSMS assigned, and ends on StopTransaction."""
        station = await station_factory(proxy, "CS-16", protocol="ocpp1.6")
        session_id = await station.start_transaction(connector_id=1)
        assert session_id == str(FIRST_TRANSACTION_ID)
        session = await session_when(proxy, session_id, lambda s: True)
        assert (session.station_id, session.transaction_id, session.connector_id) == ("CS-16", "7001", 1)
        await station.stop_transaction(session_id)
        await session_when(proxy, session_id, lambda s: s.status is SessionStatus.COMPLETED)

    async def test_v201_transaction_events_open_and_end_the_session(
        self, proxy: Gateway, csms: TestCsms, station_factory: StationFactory
    ) -> None:
        """2.0.1: relayed TransactionEvent Started/Ended open and end the station's session."""
        station = await station_factory(proxy, "CS-201", protocol="ocpp2.0.1")
        session_id = await station.start_transaction(connector_id=1)
        session = await session_when(proxy, session_id, lambda s: True)
        assert (session.station_id, session.evse_id) == ("CS-201", 1)
        await station.stop_transaction(session_id)
        await session_when(proxy, session_id, lambda s: s.status is SessionStatus.COMPLETED)


class TestCapabilities:
    @pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
    async def test_capabilities_come_from_the_csms_configuration_read(
        self, proxy: Gateway, csms: TestCsms, station_factory: StationFactory, protocol: str
    ) -> None:
        """A CSMS that reads the configuration after boot gives the gateway its capabilities: no own call."""
        csms.read_configuration = True
        station = await station_factory(
            proxy, protocol=protocol, allowed_units=frozenset({"A"}), max_periods=7
        )
        await wait_capabilities(proxy, "CS-1")
        link = proxy.app[STATIONS].get("CS-1")
        assert link is not None
        assert (link.capabilities.allowed_units, link.capabilities.max_periods) == (frozenset({"A"}), 7)
        reads = [a for a, _ in station.received if a in ("GetConfiguration", "GetVariables")]
        assert len(reads) == 1

    async def test_gateway_asks_itself_when_the_csms_does_not(
        self, proxy: Gateway, csms: TestCsms, station_factory: StationFactory
    ) -> None:
        """Without a relayed configuration read the gateway asks; the answer never reaches the CSMS."""
        station = await station_factory(proxy, allowed_units=frozenset({"W"}))
        await wait_capabilities(proxy, "CS-1")
        link = proxy.app[STATIONS].get("CS-1")
        assert link is not None
        assert link.capabilities.allowed_units == frozenset({"W"})
        assert [a for a, _ in station.received] == ["GetConfiguration"]
        assert all("configurationKey" not in text for text in (await csms.connection("CS-1")).received)


def _v16_profile(stack_level: int, transaction_id: int) -> Any:
    return call16.SetChargingProfile(
        connector_id=1,
        cs_charging_profiles={
            "charging_profile_id": 77,
            "stack_level": stack_level,
            "charging_profile_purpose": "TxProfile",
            "charging_profile_kind": "Relative",
            "transaction_id": transaction_id,
            "charging_schedule": {
                "charging_rate_unit": "A",
                "charging_schedule_period": [{"start_period": 0, "limit": 8.0}],
            },
        },
    )


class TestCsmsProfiles:
    async def test_csms_profile_at_the_gateway_level_is_recorded(
        self, proxy: Gateway, csms: TestCsms, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """1.6: the CSMS's accepted TxProfile at the gateway's stack level is a CsmsChargingProfile event;
        one at another level is not."""
        _, session_id = await steered(proxy, station_factory, mock_scsp, "ocpp1.6")
        upstream = await csms.connection("CS-1")
        other = await upstream.cp.call(_v16_profile(5, int(session_id)))
        same = await upstream.cp.call(_v16_profile(proxy.settings.ocpp.stack_level, int(session_id)))
        assert (other.status, same.status) == ("Accepted", "Accepted")
        session = await session_when(proxy, session_id, lambda s: bool(s.profile_events))
        assert session.profile_events == ["CsmsChargingProfile"]

    async def test_csms_clear_that_may_hit_the_scsp_profile_is_recorded(
        self, proxy: Gateway, csms: TestCsms, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """2.0.1: the CSMS clearing every TxProfile on the station is a CsmsChargingProfile event."""
        _, session_id = await steered(proxy, station_factory, mock_scsp, "ocpp2.0.1")
        upstream = await csms.connection("CS-1")
        criteria = {"charging_profile_purpose": "TxProfile"}
        answer = await upstream.cp.call(call201.ClearChargingProfile(charging_profile_criteria=criteria))
        assert answer.status == "Accepted"
        await session_when(proxy, session_id, lambda s: "CsmsChargingProfile" in s.profile_events)
