"""ActiveChargingProfile pushes, end to end: real stations of both versions, the real mock SCSP.

Each trigger the issue names gives exactly one PUT to ``{chargingprofiles SENDER}/{session_id}``
carrying the composite schedule the station reports; partners that never PUT a profile for a
session are never told.
"""

from __future__ import annotations

import base64

import pytest

from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from tests.conftest import GATEWAY_TOKEN, SCSP_TOKEN, Gateway, GatewayFactory, StationFactory
from tests.push.conftest import EVSE_MAX, JDX_TOKEN, WINDOW
from tests.push.support import admin, give_endpoints, limits, next_push, pushes, quiet, steer


async def charging(
    gateway: Gateway, station_factory: StationFactory, protocol: str
) -> tuple[SimulatedStation, str]:
    station = await station_factory(gateway, protocol=protocol)
    return station, await station.start_transaction(connector_id=1)


class TestCpoLevers:
    async def test_station_limit_pushes_the_new_composite_once(
        self, informed: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """PUT /admin/stations/{id}/limit: one push whose profile is the station's new composite (10 A)."""
        station, session_id = await charging(informed, station_factory, protocol)
        await steer(informed, mock_scsp, session_id)
        response = await admin(
            informed, "PUT", f"/admin/stations/{station.station_id}/limit", {"limit": 10.0}
        )
        assert response.status_code == 202
        push = await next_push(mock_scsp, session_id)
        assert limits(push) == [10.0]
        assert push.body["charging_profile"]["charging_rate_unit"] == "A"
        await quiet(informed, WINDOW)
        assert len(pushes(mock_scsp, session_id)) == 1

    async def test_clearing_the_station_limit_pushes_again(
        self, informed: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """DELETE /admin/stations/{id}/limit clears exactly the gateway's maximum; the SCSP sees 16 A."""
        station, session_id = await charging(informed, station_factory, protocol)
        await steer(informed, mock_scsp, session_id)
        await admin(informed, "PUT", f"/admin/stations/{station.station_id}/limit", {"limit": 10.0})
        await next_push(mock_scsp, session_id)
        response = await admin(informed, "DELETE", f"/admin/stations/{station.station_id}/limit")
        assert response.status_code == 202
        assert limits(await next_push(mock_scsp, session_id, after=1)) == [16.0]
        assert [p.purpose for p in station.profiles] == ["TxProfile"]

    async def test_cpo_clearing_the_session_profile_pushes_the_evse_maximum(
        self, informed: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """DELETE /admin/sessions/{id}/profile: the profile goes; the SCSP is shown the station's maximum."""
        _station, session_id = await charging(informed, station_factory, protocol)
        await steer(informed, mock_scsp, session_id)
        response = await admin(informed, "DELETE", f"/admin/sessions/{session_id}/profile")
        assert response.status_code == 202
        assert limits(await next_push(mock_scsp, session_id)) == [32.0]  # the simulator's EVSE maximum

    async def test_limit_for_an_offline_station_is_404(self, informed: Gateway) -> None:
        """A station connected to no node cannot take a limit: 404, nothing stored."""
        response = await admin(informed, "PUT", "/admin/stations/NOPE/limit", {"limit": 10.0})
        assert response.status_code == 404


class TestStationReports:
    @pytest.mark.parametrize(
        "report",
        ["notify_charging_limit", "cleared_charging_limit", "charging_rate_changed"],
    )
    async def test_201_report_gives_one_push(
        self, informed: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, report: str
    ) -> None:
        """NotifyChargingLimit / ClearedChargingLimit / ChargingRateChanged: one push of the composite."""
        station, session_id = await charging(informed, station_factory, "ocpp2.0.1")
        await steer(informed, mock_scsp, session_id)
        if report == "notify_charging_limit":
            await station.notify_charging_limit(1, 8.0)
        elif report == "cleared_charging_limit":
            await station.cleared_charging_limit(1)
        else:
            await station.transaction_updated(session_id)
        assert limits(await next_push(mock_scsp, session_id)) == [16.0]
        await quiet(informed, WINDOW)
        assert len(pushes(mock_scsp, session_id)) == 1

    async def test_reports_within_the_window_coalesce(
        self, informed: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """Three reports in quick succession give one PUT."""
        station, session_id = await charging(informed, station_factory, "ocpp2.0.1")
        await steer(informed, mock_scsp, session_id)
        await station.notify_charging_limit(1, 8.0)
        await station.transaction_updated(session_id)
        await station.notify_charging_limit(1, 6.0)
        await next_push(mock_scsp, session_id)
        await quiet(informed, WINDOW)
        assert len(pushes(mock_scsp, session_id)) == 1

    async def test_rejected_composite_pushes_the_configured_evse_maximum(
        self, informed: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """No usable composite: the push shows ocpp.evse_max_current in A over the push horizon."""
        station, session_id = await charging(informed, station_factory, "ocpp2.0.1")
        await steer(informed, mock_scsp, session_id)
        station.behaviour = "reject"
        await station.notify_charging_limit(1, 8.0)
        push = await next_push(mock_scsp, session_id)
        assert limits(push) == [EVSE_MAX]
        assert push.body["charging_profile"]["duration"] == 900

    async def test_reapply_after_reconnect_pushes(
        self, informed: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """The gateway re-applies the SCSP's profile after a reconnect, then tells the SCSP once."""
        station, session_id = await charging(informed, station_factory, protocol)
        await steer(informed, mock_scsp, session_id)
        await station.reconnect()
        assert limits(await next_push(mock_scsp, session_id)) == [16.0]
        await quiet(informed, WINDOW)
        assert len(pushes(mock_scsp, session_id)) == 1


class TestOtherPartner:
    async def test_other_partners_profile_and_clear_push_to_the_first(
        self, two_partners: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, jedlix: MockScsp
    ) -> None:
        """JDX replaces SCS's profile (SCS sees 6 A), then clears it (SCS sees 32 A); JDX gets no push."""
        _station, session_id = await charging(two_partners, station_factory, "ocpp1.6")
        await steer(two_partners, mock_scsp, session_id)
        six = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 6.0}]}
        await steer(two_partners, jedlix, session_id, six, token=JDX_TOKEN)
        assert limits(await next_push(mock_scsp, session_id)) == [6.0]
        url = jedlix.result_url()
        answer = await jedlix.delete_profile(two_partners.base_url, JDX_TOKEN, session_id, url)
        assert answer["data"]["result"] == "ACCEPTED"
        assert limits(await next_push(mock_scsp, session_id, after=1)) == [32.0]
        await quiet(two_partners, WINDOW)
        assert pushes(jedlix, session_id) == []
        assert len(pushes(mock_scsp, session_id)) == 2


class TestWhoIsTold:
    async def test_no_push_for_a_session_the_partner_never_steered(
        self, informed: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """A station limit changes the session, but the SCSP never PUT a profile for it: no push."""
        station, session_id = await charging(informed, station_factory, protocol)
        await admin(informed, "PUT", f"/admin/stations/{station.station_id}/limit", {"limit": 10.0})
        await station.wait_for_call("SetChargingProfile")
        await quiet(informed, WINDOW)
        assert pushes(mock_scsp, session_id) == []

    async def test_a_get_does_not_make_a_partner_steering(
        self, informed: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """Only a PUT counts: after a GET, a station limit pushes nothing."""
        station, session_id = await charging(informed, station_factory, "ocpp1.6")
        url = mock_scsp.result_url()
        await mock_scsp.get_profile(informed.base_url, SCSP_TOKEN, session_id, 900, url)
        await mock_scsp.wait_for(lambda r: r.path == url.removeprefix(mock_scsp.base_url))
        await admin(informed, "PUT", f"/admin/stations/{station.station_id}/limit", {"limit": 10.0})
        await station.wait_for_call("SetChargingProfile")
        await quiet(informed, WINDOW)
        assert pushes(mock_scsp, session_id) == []

    async def test_no_push_once_the_session_ended(
        self, informed: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """Pushes concern ongoing sessions only: after the stop, a limit pushes nothing."""
        station, session_id = await charging(informed, station_factory, "ocpp1.6")
        await steer(informed, mock_scsp, session_id)
        await station.stop_transaction(session_id)
        await admin(informed, "PUT", f"/admin/stations/{station.station_id}/limit", {"limit": 10.0})
        await station.wait_for_call("SetChargingProfile")
        await quiet(informed, WINDOW)
        assert pushes(mock_scsp, session_id) == []

    @pytest.mark.parametrize(("push_after", "expected"), [("sync", 1), ("async", 0)])
    async def test_station_rejected_put_counts_only_under_sync(
        self,
        gateway_factory: GatewayFactory,
        station_factory: StationFactory,
        mock_scsp: MockScsp,
        push_after: str,
        expected: int,
    ) -> None:
        """ocpi.push_after: a PUT answered ACCEPTED but rejected by the station counts only for "sync"."""
        gateway = await gateway_factory(ocpi={"push_coalesce_seconds": WINDOW, "push_after": push_after})
        await give_endpoints(gateway, mock_scsp, sessions=False)
        station, session_id = await charging(gateway, station_factory, "ocpp1.6")
        station.behaviour = "reject"
        assert (await steer(gateway, mock_scsp, session_id))["result"] == "REJECTED"
        station.behaviour = "accept"
        await admin(gateway, "PUT", f"/admin/stations/{station.station_id}/limit", {"limit": 10.0})
        await station.wait_for_call("SetChargingProfile")
        await station.wait_for_call("SetChargingProfile")
        await quiet(gateway, WINDOW)
        assert len(pushes(mock_scsp, session_id)) == expected


class TestDelivery:
    async def test_push_is_retried_and_carries_ocpi_headers(
        self, informed: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """Two 500s, then the PUT arrives once, with our token for them and the routing headers."""
        station, session_id = await charging(informed, station_factory, "ocpp1.6")
        await steer(informed, mock_scsp, session_id)
        mock_scsp.fail_next(2, 500, methods=("PUT",))
        await admin(informed, "PUT", f"/admin/stations/{station.station_id}/limit", {"limit": 10.0})
        push = await next_push(mock_scsp, session_id)
        failed = [r for r in mock_scsp.received if r.method == "PUT" and r.status == 500]
        assert len(failed) == 2
        assert push.headers["Authorization"] == "Token " + base64.b64encode(GATEWAY_TOKEN.encode()).decode()
        assert (push.headers["OCPI-to-country-code"], push.headers["OCPI-to-party-id"]) == ("NL", "SCS")
        assert (push.headers["OCPI-from-country-code"], push.headers["OCPI-from-party-id"]) == ("NL", "GWY")
        assert push.headers["X-Correlation-ID"]
