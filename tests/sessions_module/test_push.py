"""OCPI Sessions pushes, end to end: a session's life reaches the SCSP as PUT, PATCHes and COMPLETED."""

from __future__ import annotations

import asyncio

from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.mockscsp.server import Received
from tests.conftest import Gateway, GatewayFactory, StationFactory
from tests.push.support import SESSIONS_PREFIX, admin, give_endpoints


def session_calls(scsp: MockScsp, session_id: str) -> list[Received]:
    return [r for r in scsp.received if r.path == SESSIONS_PREFIX + session_id and r.status < 300]


async def calls_until_completed(scsp: MockScsp, session_id: str) -> list[Received]:
    await scsp.wait_for(
        lambda r: r.path == SESSIONS_PREFIX + session_id and (r.body or {}).get("status") == "COMPLETED"
    )
    return session_calls(scsp, session_id)


def energy(received: Received) -> list[float]:
    return [
        d["volume"]
        for period in received.body.get("charging_periods", [])
        for d in period["dimensions"]
        if d["type"] == "ENERGY"
    ]


class TestLifecycle:
    async def test_start_meter_stop_arrive_as_put_patch_completed(
        self, feeding: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """Start: PUT of the whole Session; meter: PATCH with kWh and a period; stop: PATCH COMPLETED."""
        station = await station_factory(feeding, protocol=protocol)
        session_id = await station.start_transaction(connector_id=1, id_tag="TAG1")
        await station.send_meter_values(session_id, 1500, power_w=7400)
        await station.stop_transaction(session_id)
        calls = await calls_until_completed(mock_scsp, session_id)
        assert [c.method for c in calls] == ["PUT", "PATCH", "PATCH"]
        put, patch, done = (c.body for c in calls)
        assert put["id"] == session_id
        assert put["status"] == "ACTIVE"
        assert put["kwh"] == 0
        assert (put["country_code"], put["party_id"], put["currency"]) == ("NL", "GWY", "EUR")
        assert put["cdr_token"]["uid"] == "TAG1"
        assert put["auth_method"] == "WHITELIST"
        assert (put["location_id"], put["evse_uid"], put["connector_id"]) == ("CS-1", "CS-1-1", "1")
        assert patch["kwh"] == 1.5
        assert patch["last_updated"]
        assert patch["charging_periods"][0]["dimensions"] == [
            {"type": "ENERGY", "volume": 1.5},
            {"type": "POWER", "volume": 7.4},
        ]
        assert done["status"] == "COMPLETED"
        assert done["kwh"] == 1.5
        assert done["end_date_time"]

    async def test_patches_within_the_interval_fold_into_the_final_one(
        self, gateway_factory: GatewayFactory, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """session_patch_interval = 60: two readings send no PATCH; COMPLETED carries all the energy."""
        gateway = await gateway_factory()
        await give_endpoints(gateway, mock_scsp, chargingprofiles=False)
        station = await station_factory(gateway, protocol="ocpp1.6")
        session_id = await station.start_transaction(connector_id=1)
        await mock_scsp.wait_for(lambda r: r.path == SESSIONS_PREFIX + session_id)
        await station.send_meter_values(session_id, 1000)
        await station.send_meter_values(session_id, 2000)
        await station.stop_transaction(session_id)
        calls = await calls_until_completed(mock_scsp, session_id)
        assert [c.method for c in calls] == ["PUT", "PATCH"]
        assert calls[1].body["kwh"] == 2.0
        assert energy(calls[1]) == [2.0]

    async def test_location_and_evse_ids_come_from_station_configuration(
        self, gateway_factory: GatewayFactory, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """[[ocpp.stations]] location_id and evses name the OCPI location and EVSE of the session."""
        station_config = {
            "station_id": "CS-LOC",
            "location_id": "LOC-7",
            "evses": [{"evse_id": 1, "evse_uid": "NL*GWY*E7"}],
        }
        gateway = await gateway_factory(ocpp={"stations": [station_config], "allow_unknown_stations": True})
        await give_endpoints(gateway, mock_scsp, chargingprofiles=False)
        station = await station_factory(gateway, "CS-LOC", protocol="ocpp2.0.1")
        session_id = await station.start_transaction(connector_id=1)
        put = await mock_scsp.wait_for(lambda r: r.path == SESSIONS_PREFIX + session_id)
        assert (put.body["location_id"], put.body["evse_uid"]) == ("LOC-7", "NL*GWY*E7")


class TestWhoIsTold:
    async def test_only_sessions_the_partner_may_steer_are_pushed(
        self, feeding: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """steer = registered: an OCPP session is not pushed; one registered for the partner is."""
        response = await admin(feeding, "PATCH", "/admin/parties/NL*SCS", {"steer": "registered"})
        assert response.status_code == 200
        station = await station_factory(feeding, protocol="ocpp1.6")
        foreign = await station.start_transaction(connector_id=1)
        body = {"station_id": "CS-1", "connector_id": 1, "transaction_id": "77", "owner": "NL*SCS"}
        assert (await admin(feeding, "PUT", "/admin/sessions/EXT-77", body)).status_code == 201
        put = await mock_scsp.wait_for(lambda r: r.path == SESSIONS_PREFIX + "EXT-77")
        assert put.method == "PUT"
        assert put.body["auth_method"] == "COMMAND"
        await asyncio.sleep(0.2)
        assert session_calls(mock_scsp, foreign) == []
