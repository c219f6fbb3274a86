"""Repeated X-Request-IDs and rate limits, on both backends."""

from __future__ import annotations

import asyncio

import httpx

from ocpi_gateway.cli.mockscsp import MockScsp
from tests.api.support import AXLE_BODY, api
from tests.conftest import SCSP_TOKEN, Gateway, GatewayFactory, StationFactory
from tests.e2e.helpers import PROFILE_A, ocpi_headers, put_profile
from tests.e2e.test_flows import path_of, result_at, started


def set_calls(station: object) -> int:
    return sum(1 for action, _ in station.received if action == "SetChargingProfile")  # type: ignore[attr-defined]


class TestIdempotency:
    async def test_repeated_request_id_gets_the_same_answer_and_one_station_call(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """The same X-Request-ID twice: the same answer, one SetChargingProfile, one result."""
        station, session_id = await started(station_factory, gateway, "ocpp1.6")
        url = mock_scsp.result_url("idem")
        headers = ocpi_headers(SCSP_TOKEN)
        first = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url, **headers)
        await result_at(mock_scsp, url)
        second = await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url, **headers)
        assert second.json()["data"] == first.json()["data"]
        await asyncio.sleep(0.5)
        assert set_calls(station) == 1
        assert len([r for r in mock_scsp.received if r.path == path_of(mock_scsp, url)]) == 1

    async def test_concurrent_twins_call_the_station_once(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """Two identical requests at the same moment: one job, both get ACCEPTED."""
        station, session_id = await started(station_factory, gateway, "ocpp2.0.1")
        url = mock_scsp.result_url("twins")
        headers = ocpi_headers(SCSP_TOKEN)
        answers = await asyncio.gather(
            *(
                put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url, **headers)
                for _ in range(2)
            )
        )
        assert [a.json()["data"]["result"] for a in answers] == ["ACCEPTED", "ACCEPTED"]
        await result_at(mock_scsp, url)
        await asyncio.sleep(0.5)
        assert set_calls(station) == 1

    async def test_a_new_request_id_is_a_new_request(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """Different X-Request-IDs are different requests, each reaching the station."""
        station, session_id = await started(station_factory, gateway, "ocpp1.6")
        for tag in ("n1", "n2"):
            url = mock_scsp.result_url(tag)
            await put_profile(gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, url)
            await result_at(mock_scsp, url)
        assert set_calls(station) == 2


class TestRateLimits:
    async def test_too_often_per_session(
        self, gateway_factory: GatewayFactory, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """Beyond the per-session limit the answer is TOO_OFTEN and nothing is queued."""
        gateway = await gateway_factory(ocpi={"rate_limit_session_per_minute": 2})
        station, session_id = await started(station_factory, gateway, "ocpp1.6")
        results = []
        for i in range(3):
            resp = await put_profile(
                gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, mock_scsp.result_url(f"r{i}")
            )
            results.append(resp.json()["data"]["result"])
        assert results == ["ACCEPTED", "ACCEPTED", "TOO_OFTEN"]
        await result_at(mock_scsp, mock_scsp.result_url("r1"))
        await asyncio.sleep(0.3)
        assert set_calls(station) == 2

    async def test_too_often_per_party(
        self, gateway_factory: GatewayFactory, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """The per-party limit counts requests over all of the party's sessions."""
        gateway = await gateway_factory(ocpi={"rate_limit_party_per_minute": 1})
        _station, session_id = await started(station_factory, gateway, "ocpp1.6")
        first = await put_profile(
            gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, mock_scsp.result_url("p1")
        )
        second = await put_profile(
            gateway.base_url, SCSP_TOKEN, "OTHER", PROFILE_A, mock_scsp.result_url("p2")
        )
        assert first.json()["data"]["result"] == "ACCEPTED"
        assert second.json()["data"] == {"result": "TOO_OFTEN", "timeout": 0}


class TestOcppFormatApi:
    """The OCPP-format API claims X-Request-IDs and counts the rate buckets as OCPI does."""

    async def test_repeated_request_id_is_one_job_and_one_station_call(
        self, gateway: Gateway, station_factory: StationFactory
    ) -> None:
        """A retried API PUT (same X-Request-ID) gets the first PUT's job; the station is called once."""
        station, session_id = await started(station_factory, gateway, "ocpp1.6")
        headers = ocpi_headers(SCSP_TOKEN)
        url = f"{gateway.base_url}/api/v1/sessions/{session_id}/charging-profile"
        async with httpx.AsyncClient(timeout=15) as client:
            first = await client.put(url, json=AXLE_BODY, headers=headers)
            second = await client.put(url, json=AXLE_BODY, headers=headers)
        assert first.status_code == 200, first.text
        assert second.status_code == 200, second.text
        assert second.json()["jobId"] == first.json()["jobId"]
        await asyncio.sleep(0.5)
        assert set_calls(station) == 1

    async def test_rate_limits_count_both_ways_in(
        self, gateway_factory: GatewayFactory, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """One bucket per session for OCPI and the API: past the limit the API answers 429 and OCPI
        TOO_OFTEN, and neither reaches the station."""
        gateway = await gateway_factory(ocpi={"rate_limit_session_per_minute": 2})
        station, session_id = await started(station_factory, gateway, "ocpp1.6")
        path = f"/api/v1/sessions/{session_id}/charging-profile"
        ocpi = await put_profile(
            gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, mock_scsp.result_url("b1")
        )
        assert ocpi.json()["data"]["result"] == "ACCEPTED"
        assert (await api("PUT", gateway.base_url, path, SCSP_TOKEN, json=AXLE_BODY)).status_code == 200
        over = await api("PUT", gateway.base_url, path, SCSP_TOKEN, json=AXLE_BODY)
        assert over.status_code == 429
        assert "too many requests" in over.json()["error"]
        ocpi = await put_profile(
            gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, mock_scsp.result_url("b2")
        )
        assert ocpi.json()["data"]["result"] == "TOO_OFTEN"
        await asyncio.sleep(0.5)
        assert set_calls(station) == 2
