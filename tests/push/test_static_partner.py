"""A partner configured in ``[[ocpi.parties]]`` only (no handshake) learns nothing itself: the gateway
reads its version details and pushes to it like to any partner (issue 16, point 1).

Everything is real: the gateway on a socket, the mock SCSP publishing versions and endpoints,
simulated stations. Nothing here stores endpoints by hand (compare ``support.give_endpoints``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ocpi_gateway.appkeys import PARTIES
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from ocpi_gateway.core.endpoints import MIN_REREAD_SECONDS, PartnerEndpoints
from tests.conftest import Gateway, GatewayFactory, StationFactory
from tests.push.support import CP_PREFIX, SESSIONS_PREFIX, admin, limits, next_push, steer

WINDOW = 0.2


async def party_view(gateway: Gateway, key: str = "NL*SCS") -> dict[str, Any]:
    """``GET /admin/parties``: the partner's row."""
    rows = (await admin(gateway, "GET", "/admin/parties")).json()
    return next(row for row in rows if row["key"] == key)


async def row_when(gateway: Gateway, field: str, want: bool, polls: int = 200) -> dict[str, Any]:
    """Poll the partner's admin row until ``bool(row[field]) == want`` (10 s at most); the row."""
    for _ in range(polls):
        row = await party_view(gateway)
        if bool(row[field]) == want:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"{field} never became {want}: {row}")


async def endpoints_known(gateway: Gateway) -> dict[str, Any]:
    """Wait until the gateway has read the partner's endpoints; its admin row."""
    return await row_when(gateway, "endpoints_known", want=True)


@pytest.fixture
async def static(gateway_factory: GatewayFactory, mock_scsp: MockScsp) -> Gateway:
    """The test settings' NL*SCS: token, their_token and versions_url from configuration only."""
    return await gateway_factory(ocpi={"push_coalesce_seconds": WINDOW, "session_patch_interval": 0})


class TestEndpointsLearnt:
    async def test_read_at_start_and_shown_by_the_admin_api(
        self, static: Gateway, mock_scsp: MockScsp
    ) -> None:
        """The partner's chargingprofiles SENDER and sessions RECEIVER, when they were read, no error."""
        row = await endpoints_known(static)
        assert row["chargingprofiles_url"] == f"{mock_scsp.base_url}/ocpi/2.2.1/chargingprofiles"
        assert row["sessions_url"] == f"{mock_scsp.base_url}/ocpi/2.2.1/sessions"
        assert row["endpoints_read_at"].endswith("Z")
        assert row["endpoints_error"] is None

    async def test_partner_down_at_start_is_read_once_it_answers(
        self, gateway_factory: GatewayFactory, mock_scsp: MockScsp
    ) -> None:
        """Versions failing at start: the error is shown; once they answer, the endpoints follow."""
        mock_scsp.versions_status = 503
        gateway = await gateway_factory()
        row = await row_when(gateway, "endpoints_error", want=True)
        assert not row["endpoints_known"]
        assert "503" in row["endpoints_error"]
        mock_scsp.versions_status = 200
        row = await endpoints_known(gateway)
        assert row["endpoints_error"] is None

    async def test_admin_refresh_reads_them_now(self, static: Gateway, mock_scsp: MockScsp) -> None:
        """``POST /admin/parties/{key}/endpoints``: a new read, the answer says what it found."""
        first = await endpoints_known(static)
        mock_scsp.omitted_endpoints = {"sessions"}
        answer = await admin(static, "POST", "/admin/parties/NL*SCS/endpoints")
        assert answer.status_code == 200
        assert answer.json()["sessions_url"] is None
        assert answer.json()["chargingprofiles_url"] is not None
        assert answer.json()["endpoints_read_at"] >= first["endpoints_read_at"]
        assert (await party_view(static))["sessions_url"] is None  # stored, not only answered
        assert (await admin(static, "POST", "/admin/parties/NL*NOPE/endpoints")).status_code == 404


class TestPushesToAStaticPartner:
    async def test_session_put_patch_completed(
        self, static: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """The Sessions module reaches a configured partner: PUT at start, PATCH, PATCH COMPLETED."""
        await endpoints_known(static)
        station = await station_factory(static, protocol=protocol)
        session_id = await station.start_transaction(connector_id=1)
        await station.send_meter_values(session_id, 1500, power_w=7400)
        await station.stop_transaction(session_id)
        done = await mock_scsp.wait_for(
            lambda r: r.path == SESSIONS_PREFIX + session_id and (r.body or {}).get("status") == "COMPLETED"
        )
        calls = [r for r in mock_scsp.received if r.path == SESSIONS_PREFIX + session_id and r.status < 300]
        assert calls[0].method == "PUT"
        assert "PATCH" in [c.method for c in calls[1:-1]]
        assert done.method == "PATCH"

    async def test_active_profile_pushed_on_notify_charging_limit(
        self, static: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """A 2.0.1 NotifyChargingLimit on a steered session: one ActiveChargingProfile PUT."""
        await endpoints_known(static)
        station: SimulatedStation = await station_factory(static, protocol="ocpp2.0.1")
        session_id = await station.start_transaction(connector_id=1)
        await steer(static, mock_scsp, session_id)
        await station.notify_charging_limit(1, 8.0)
        push = await next_push(mock_scsp, session_id)
        assert push.path == CP_PREFIX + session_id
        assert limits(push) == [16.0]

    async def test_active_profile_pushed_on_a_station_limit(
        self, static: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """The CPO's station-wide limit reaches the configured partner as the new composite."""
        await endpoints_known(static)
        station = await station_factory(static, protocol=protocol)
        session_id = await station.start_transaction(connector_id=1)
        await steer(static, mock_scsp, session_id)
        answer = await admin(static, "PUT", f"/admin/stations/{station.station_id}/limit", {"limit": 10.0})
        assert answer.status_code == 202
        assert limits(await next_push(mock_scsp, session_id)) == [10.0]


class TestStaleEndpoints:
    async def test_a_failed_push_reads_them_again_at_most_once_a_minute(
        self, static: Gateway, mock_scsp: MockScsp
    ) -> None:
        """``stale`` (what a 404 or a dropped push calls) reads again; once more within a minute does not."""
        await endpoints_known(static)
        now = [1000.0]
        async with httpx.AsyncClient() as client:
            endpoints = PartnerEndpoints(static.app[PARTIES], client, clock=lambda: now[0])
            mock_scsp.omitted_endpoints = {"sessions"}
            endpoints.stale("NL*SCS", "push failed")
            await row_when(static, "sessions_url", want=False)
            mock_scsp.omitted_endpoints = set()
            now[0] += 30
            endpoints.stale("NL*SCS", "push failed again")
            await asyncio.sleep(0.5)
            assert (await party_view(static))["sessions_url"] is None  # bounded: no second read yet
            now[0] += MIN_REREAD_SECONDS
            endpoints.stale("NL*SCS", "a minute later")
            await row_when(static, "sessions_url", want=True)
            await endpoints.close()
