"""End to end over real sockets: SCSP -> gateway (OCPI) -> simulated station (OCPP) -> SCSP.

Every test runs on both OCPP 1.6 and 2.0.1 stations: an SCSP must not notice the difference.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from ocpi_gateway.cli.mockscsp import MockScsp
from tests.conftest import GATEWAY_TOKEN, SCSP_TOKEN, Gateway, StationFactory
from tests.e2e.helpers import PROFILE_A, delete_profile, get_profile, ocpi_headers, put_profile


@pytest.fixture(params=["ocpp1.6", "ocpp2.0.1"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def profile_of(protocol: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The charging profile inside a SetChargingProfile payload, flattened across versions."""
    if protocol == "ocpp1.6":
        profile = payload["csChargingProfiles"]
        return {
            "id": profile["chargingProfileId"],
            "target": payload["connectorId"],
            "transaction_id": str(profile["transactionId"]),
            "purpose": profile["chargingProfilePurpose"],
            "kind": profile["chargingProfileKind"],
            "schedule": profile["chargingSchedule"],
        }
    profile = payload["chargingProfile"]
    return {
        "id": profile["id"],
        "target": payload["evseId"],
        "transaction_id": profile["transactionId"],
        "purpose": profile["chargingProfilePurpose"],
        "kind": profile["chargingProfileKind"],
        "schedule": profile["chargingSchedule"][0],
    }


async def started(
    station_factory: StationFactory, gateway: Gateway, protocol: str, **kw: Any
) -> tuple[Any, str]:
    station = await station_factory(gateway, protocol=protocol, **kw)
    session_id = await station.start_transaction(connector_id=1)
    await wait_session(gateway, session_id)
    return station, session_id


async def wait_session(gateway: Gateway, session_id: str) -> None:
    from ocpi_gateway.appkeys import SESSIONS

    for _ in range(100):
        if await gateway.app[SESSIONS].get(session_id) is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"session {session_id} never appeared")


def path_of(scsp: MockScsp, url: str) -> str:
    return url.removeprefix(scsp.base_url)


async def result_at(scsp: MockScsp, url: str, timeout: float = 10.0) -> Any:
    path = path_of(scsp, url)
    return await scsp.wait_for(lambda r: r.path == path and r.method == "POST", timeout=timeout)


class TestPut:
    async def test_put_reaches_station_and_result_reaches_scsp(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """PUT: ACCEPTED at once, TxProfile with the transaction on the station, ACCEPTED posted back."""
        station, session_id = await started(station_factory, gateway, protocol)
        url = mock_scsp.result_url("put-1")
        headers = ocpi_headers(SCSP_TOKEN)
        resp = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url, **headers)
        body = resp.json()
        assert resp.status_code == 200
        assert body["status_code"] == 1000
        assert body["data"]["result"] == "ACCEPTED"
        assert body["data"]["timeout"] >= gateway.settings.ocpi.result_timeout
        call = profile_of(protocol, await station.wait_for_call("SetChargingProfile"))
        assert call["purpose"] == "TxProfile"
        assert call["kind"] == "Relative"
        assert call["transaction_id"] == station_tx(station, session_id)
        assert [p["limit"] for p in call["schedule"]["chargingSchedulePeriod"]] == [16.0, 10.5]
        received = await result_at(mock_scsp, url)
        assert received.body == {"result": "ACCEPTED"}
        assert (
            received.headers["Authorization"] == "Token " + base64.b64encode(GATEWAY_TOKEN.encode()).decode()
        )
        assert received.headers["X-Correlation-ID"] == headers["X-Correlation-ID"]
        assert received.headers["OCPI-to-party-id"] == "SCS"
        assert received.headers["OCPI-from-party-id"] == "GWY"

    async def test_absolute_profile_keeps_start_schedule(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """A profile with start_date_time becomes an Absolute OCPP profile with that startSchedule."""
        station, session_id = await started(station_factory, gateway, protocol)
        profile = {**PROFILE_A, "start_date_time": "2030-01-01T10:00:00Z", "duration": 3600}
        url = mock_scsp.result_url("abs")
        resp = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, profile, url)
        assert resp.json()["data"]["result"] == "ACCEPTED"
        call = profile_of(protocol, await station.wait_for_call("SetChargingProfile"))
        assert call["kind"] == "Absolute"
        assert call["schedule"]["startSchedule"] == "2030-01-01T10:00:00Z"
        assert call["schedule"]["duration"] == 3600
        assert (await result_at(mock_scsp, url)).body == {"result": "ACCEPTED"}

    async def test_watts_converted_to_amps_for_an_amps_only_station(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """W -> A by the station's allowed unit: 11000 W on 3 phases at 230 V is floored to 15.9 A."""
        station, session_id = await started(
            station_factory, gateway, protocol, allowed_units=frozenset({"A"})
        )
        await wait_capabilities(gateway, station.station_id)
        profile = {
            "charging_rate_unit": "W",
            "charging_profile_period": [{"start_period": 0, "limit": 11000.0}],
        }
        url = mock_scsp.result_url("w2a")
        resp = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, profile, url)
        assert resp.json()["data"]["result"] == "ACCEPTED"
        schedule = profile_of(protocol, await station.wait_for_call("SetChargingProfile"))["schedule"]
        assert schedule["chargingRateUnit"] == "A"
        assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 15.9, "numberPhases": 3}]
        assert (await result_at(mock_scsp, url)).body == {"result": "ACCEPTED"}

    async def test_second_put_reuses_the_profile_id(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """A new PUT replaces the session's profile: same id, so the station keeps one gateway profile."""
        station, session_id = await started(station_factory, gateway, protocol)
        first, second = mock_scsp.result_url("p1"), mock_scsp.result_url("p2")
        await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, first)
        id1 = profile_of(protocol, await station.wait_for_call("SetChargingProfile"))["id"]
        assert (await result_at(mock_scsp, first)).body == {"result": "ACCEPTED"}
        lower = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 8.0}]}
        await put_profile(gateway.base_url, SCSP_TOKEN, session_id, lower, second)
        id2 = profile_of(protocol, await station.wait_for_call("SetChargingProfile"))["id"]
        assert id1 == id2
        assert (await result_at(mock_scsp, second)).body == {"result": "ACCEPTED"}
        assert len(station_profiles(station)) == 1

    async def test_station_rejecting_gives_rejected(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """The station answers Rejected: the SCSP gets REJECTED."""
        station, session_id = await started(station_factory, gateway, protocol)
        station.behaviour = "reject"
        url = mock_scsp.result_url("rej")
        resp = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        assert resp.json()["data"]["result"] == "ACCEPTED"
        assert (await result_at(mock_scsp, url)).body == {"result": "REJECTED"}

    async def test_station_callerror_gives_rejected(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """The station answers CALLERROR: the SCSP gets REJECTED."""
        station, session_id = await started(station_factory, gateway, protocol)
        station.behaviour = "callerror"
        url = mock_scsp.result_url("err")
        await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        assert (await result_at(mock_scsp, url)).body == {"result": "REJECTED"}

    async def test_silent_station_gives_rejected_before_the_timeout(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """A silent station: REJECTED reaches the SCSP after the call timeout, within the announced one."""
        station, session_id = await started(station_factory, gateway, protocol)
        station.behaviour = "silent"
        url = mock_scsp.result_url("silent")
        resp = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        sent_at = asyncio.get_running_loop().time()
        announced = resp.json()["data"]["timeout"]
        received = await result_at(mock_scsp, url, timeout=announced)
        assert received.body == {"result": "REJECTED"}
        assert asyncio.get_running_loop().time() - sent_at <= announced

    async def test_station_dropping_mid_call_gives_rejected(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """The station closes its websocket while the call is open: REJECTED."""
        station, session_id = await started(station_factory, gateway, protocol)
        station.behaviour = "disconnect"
        url = mock_scsp.result_url("drop")
        await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        assert (await result_at(mock_scsp, url)).body == {"result": "REJECTED"}

    async def test_callback_failing_twice_is_delivered_once(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """The SCSP answers 500 twice: the gateway retries and the result arrives exactly once."""
        _station, session_id = await started(station_factory, gateway, protocol)
        mock_scsp.fail_next(2)
        url = mock_scsp.result_url("retry")
        await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        received = await result_at(mock_scsp, url)
        assert received.body == {"result": "ACCEPTED"}
        await asyncio.sleep(0.5)
        delivered = [r for r in mock_scsp.received if r.path == path_of(mock_scsp, url) and r.status == 200]
        assert len(delivered) == 1


class TestGetAndDelete:
    async def test_get_returns_the_active_profile(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """GET: GetCompositeSchedule on the session's connector, ActiveChargingProfile posted back."""
        station, session_id = await started(station_factory, gateway, protocol)
        put_url, get_url = mock_scsp.result_url("g-put"), mock_scsp.result_url("g-get")
        await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, put_url)
        await result_at(mock_scsp, put_url)
        resp = await get_profile(gateway.base_url, SCSP_TOKEN, session_id, 900, get_url)
        assert resp.json()["data"]["result"] == "ACCEPTED"
        call = await station.wait_for_call("GetCompositeSchedule")
        assert call["duration"] == 900
        body = (await result_at(mock_scsp, get_url)).body
        assert body["result"] == "ACCEPTED"
        active = body["profile"]
        assert active["start_date_time"].endswith("Z")
        assert active["charging_profile"]["charging_profile_period"][0] == {"start_period": 0, "limit": 16.0}

    async def test_delete_clears_exactly_the_gateway_profile(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """DELETE: ClearChargingProfile by the profile id; a second DELETE finds nothing (UNKNOWN)."""
        station, session_id = await started(station_factory, gateway, protocol)
        put_url = mock_scsp.result_url("d-put")
        await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, put_url)
        profile_id = profile_of(protocol, await station.wait_for_call("SetChargingProfile"))["id"]
        await result_at(mock_scsp, put_url)
        del_url = mock_scsp.result_url("d-del")
        resp = await delete_profile(gateway.base_url, SCSP_TOKEN, session_id, del_url)
        assert resp.json()["data"]["result"] == "ACCEPTED"
        clear = await station.wait_for_call("ClearChargingProfile")
        assert clear.get("id", clear.get("chargingProfileId")) == profile_id
        assert (await result_at(mock_scsp, del_url)).body == {"result": "ACCEPTED"}
        again = mock_scsp.result_url("d-again")
        await delete_profile(gateway.base_url, SCSP_TOKEN, session_id, again)
        assert (await result_at(mock_scsp, again)).body == {"result": "UNKNOWN"}


class TestRefusals:
    async def test_unknown_session(self, gateway: Gateway, mock_scsp: MockScsp) -> None:
        """An unknown session answers UNKNOWN_SESSION at once and nothing is posted later."""
        url = mock_scsp.result_url("unknown")
        resp = await put_profile(gateway.base_url, SCSP_TOKEN, "NO-SUCH-SESSION", PROFILE_A, url)
        assert resp.status_code == 200
        assert resp.json()["data"] == {"result": "UNKNOWN_SESSION", "timeout": 0}
        await asyncio.sleep(0.3)
        assert not [r for r in mock_scsp.received if r.path == path_of(mock_scsp, url)]

    async def test_ended_session_is_unknown(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """After the transaction stops, requests for its session answer UNKNOWN_SESSION."""
        station, session_id = await started(station_factory, gateway, protocol)
        await station.stop_transaction(station_tx(station, session_id))
        for _ in range(100):
            resp = await put_profile(
                gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, mock_scsp.result_url("e")
            )
            if resp.json()["data"]["result"] == "UNKNOWN_SESSION":
                break
            await asyncio.sleep(0.02)
        assert resp.json()["data"]["result"] == "UNKNOWN_SESSION"

    async def test_bad_token_is_401_and_changes_nothing(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """An unknown token gets HTTP 401 and the station is not called."""
        station, session_id = await started(station_factory, gateway, "ocpp1.6")
        resp = await put_profile(
            gateway.base_url, "not-a-token", session_id, PROFILE_A, mock_scsp.result_url("x")
        )
        assert resp.status_code == 401
        await asyncio.sleep(0.2)
        assert not [a for a, _ in station.received if a == "SetChargingProfile"]

    async def test_malformed_body_names_the_field_and_changes_nothing(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """A limit with two decimals is OCPI 2001 naming the field; the station is not called."""
        station, session_id = await started(station_factory, gateway, "ocpp1.6")
        bad = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 10.55}]}
        resp = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, bad, mock_scsp.result_url("bad"))
        body = resp.json()
        assert body["status_code"] == 2001
        assert "charging_profile.charging_profile_period[0].limit" in body["status_message"]
        await asyncio.sleep(0.2)
        assert not [a for a, _ in station.received if a == "SetChargingProfile"]

    async def test_station_offline_is_rejected(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """A session whose station is not connected answers REJECTED synchronously."""
        station, session_id = await started(station_factory, gateway, protocol)
        await station.close()
        for _ in range(100):
            resp = await put_profile(
                gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, mock_scsp.result_url("o")
            )
            if resp.json()["data"]["result"] == "REJECTED":
                break
            await asyncio.sleep(0.02)
        assert resp.json()["data"] == {"result": "REJECTED", "timeout": 0}

    async def test_callback_host_not_allowed_is_rejected(
        self, gateway: Gateway, station_factory: StationFactory
    ) -> None:
        """A response_url outside the party's allowed hosts answers REJECTED; the station is not called."""
        station, session_id = await started(station_factory, gateway, "ocpp1.6")
        resp = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, "http://evil.example/x")
        assert resp.json()["data"]["result"] == "REJECTED"
        await asyncio.sleep(0.2)
        assert not [a for a, _ in station.received if a == "SetChargingProfile"]

    async def test_too_many_periods_is_rejected_synchronously(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """More periods than the station's maximum: REJECTED at once, nothing sent."""
        station, session_id = await started(station_factory, gateway, protocol, max_periods=2)
        await wait_capabilities(gateway, station.station_id)
        periods = [{"start_period": i * 600, "limit": 16.0} for i in range(3)]
        profile = {"charging_rate_unit": "A", "charging_profile_period": periods}
        resp = await put_profile(
            gateway.base_url, SCSP_TOKEN, session_id, profile, mock_scsp.result_url("many")
        )
        assert resp.json()["data"]["result"] == "REJECTED"


class TestReconnect:
    async def test_profile_is_reapplied_after_reconnect(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, protocol: str
    ) -> None:
        """A station that drops and reconnects gets its session's SCSP profile again, same id."""
        station, session_id = await started(station_factory, gateway, protocol)
        url = mock_scsp.result_url("re")
        await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
        first = profile_of(protocol, await station.wait_for_call("SetChargingProfile"))
        await result_at(mock_scsp, url)
        await station.reconnect()
        again = profile_of(protocol, await station.wait_for_call("SetChargingProfile", timeout=10))
        assert again["id"] == first["id"]
        assert again["schedule"]["chargingSchedulePeriod"] == first["schedule"]["chargingSchedulePeriod"]


def station_tx(station: Any, session_id: str) -> str:
    """The station's own transaction id for a session (they are equal unless ids clashed)."""
    return session_id


def station_profiles(station: Any) -> list[Any]:
    return [p for p in station.profiles if getattr(p, "purpose", "TxProfile") == "TxProfile"]


async def wait_capabilities(gateway: Gateway, station_id: str) -> None:
    from ocpi_gateway.appkeys import STATIONS

    for _ in range(200):
        link = gateway.app[STATIONS].get(station_id)
        if link is not None and link.capabilities.reported:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("capabilities never reported")
