"""``/metrics``, ``/health`` and ``/ready``: what an operator's Prometheus and load balancer read."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.errors import StationTimeout
from ocpi_gateway.metrics import (
    REGISTRY,
    counted_callback,
    ocpi_module,
    station_call,
    timed_callback_attempt,
)
from tests.conftest import ADMIN_TOKEN, Gateway, StationFactory
from tests.e2e.helpers import ocpi_headers
from tests.ops.support import steer

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(gateway: Gateway) -> Samples:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{gateway.base_url}/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TestEndpoints:
    async def test_health_is_ok(self, gateway: Gateway) -> None:
        """/health answers 200 {"status": "ok"} while the process serves."""
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{gateway.base_url}/health")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    async def test_ready_with_embedded_backend(self, gateway: Gateway) -> None:
        """/ready answers 200 {"ready": true} when the backend answers."""
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{gateway.base_url}/ready")
        assert (response.status_code, response.json()) == (200, {"ready": True})

    async def test_state_gauges(self, gateway: Gateway, station_factory: StationFactory) -> None:
        """Connected stations by protocol, active sessions, jobs gauges and backend_up are exposed."""
        station = await station_factory(gateway, "CS-G1", protocol="ocpp2.0.1")
        await station_factory(gateway, "CS-G2", protocol="ocpp1.6")
        await station.start_transaction(connector_id=1)
        for _ in range(100):
            samples = await scrape(gateway)
            if value(samples, "ocpi_gateway_sessions_active") == 1:
                break
            await asyncio.sleep(0.02)
        assert value(samples, "ocpi_gateway_stations_connected", protocol="ocpp2.0.1") == 1
        assert value(samples, "ocpi_gateway_stations_connected", protocol="ocpp1.6") == 1
        assert value(samples, "ocpi_gateway_sessions_active") == 1
        assert value(samples, "ocpi_gateway_backend_up") == 1
        assert ("ocpi_gateway_jobs_queued", frozenset()) in samples
        assert ("ocpi_gateway_jobs_in_flight", frozenset()) in samples


class TestFlowCounters:
    async def test_put_flow_is_counted(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """One PUT moves the OCPI, station-call, callback and job counters by one each."""
        # No Sessions pushes in this count: the partner stops publishing its sessions endpoint.
        mock_scsp.omitted_endpoints = {"sessions"}
        async with httpx.AsyncClient() as client:
            refreshed = await client.post(
                f"{gateway.base_url}/admin/parties/NL*SCS/endpoints",
                headers={"Authorization": f"Token {ADMIN_TOKEN}"},
            )
        assert refreshed.json()["sessions_url"] is None
        put = {"method": "PUT", "module": "chargingprofiles", "result": "ACCEPTED"}
        call = {"action": "SetChargingProfile", "outcome": "answered"}
        before = await scrape(gateway)
        await steer(gateway, station_factory, mock_scsp)
        for _ in range(100):
            after = await scrape(gateway)
            if value(after, "ocpi_gateway_jobs_finished_total", kind="set", result="ACCEPTED") > value(
                before, "ocpi_gateway_jobs_finished_total", kind="set", result="ACCEPTED"
            ):
                break
            await asyncio.sleep(0.02)

        def delta(name: str, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        assert delta("ocpi_gateway_ocpi_requests_total", **put) == 1
        assert delta("ocpi_gateway_station_call_seconds_count", **call) == 1
        assert delta("ocpi_gateway_callback_attempts_total", outcome="ok") == 1
        assert delta("ocpi_gateway_callback_attempt_seconds_count") == 1
        assert delta("ocpi_gateway_jobs_finished_total", kind="set", result="ACCEPTED") == 1

    async def test_refusal_is_counted_by_error(self, gateway: Gateway) -> None:
        """A request with an unknown token counts as result=Unauthorized."""
        labels = {"method": "GET", "module": "versions", "result": "Unauthorized"}
        before = counted("ocpi_gateway_ocpi_requests_total", **labels)
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{gateway.base_url}/ocpi/versions", headers=ocpi_headers("wrong"))
        assert response.status_code == 401
        assert counted("ocpi_gateway_ocpi_requests_total", **labels) == before + 1


class TestHelpers:
    @pytest.mark.parametrize(
        ("path", "module"),
        [
            ("/ocpi/versions", "versions"),
            ("/ocpi/2.2.1/", "version_details"),
            ("/ocpi/2.2.1/credentials", "credentials"),
            ("/ocpi/2.2.1/chargingprofiles/4711", "chargingprofiles"),
            ("/ocpi/2.2.1/tariffs", "other"),
            ("/admin/sessions", None),
        ],
    )
    def test_module_labels_are_bounded(self, path: str, module: str | None) -> None:
        """Paths map to a few module names, never to the session id itself."""
        assert ocpi_module(path) == module

    def test_station_call_timeout_is_labelled(self) -> None:
        """A call that ends in StationTimeout is observed with outcome=timeout, and the error passes."""
        labels = {"action": "GetCompositeSchedule", "outcome": "timeout"}
        before = counted("ocpi_gateway_station_call_seconds_count", **labels)
        with pytest.raises(StationTimeout), station_call("GetCompositeSchedule"):
            raise StationTimeout("silent")
        assert counted("ocpi_gateway_station_call_seconds_count", **labels) == before + 1

    async def test_callback_attempt_outcomes(self) -> None:
        """Attempts are counted as ok, refused, server_error or network_error."""

        @timed_callback_attempt
        async def post(status: int) -> tuple[int, bytes]:
            if status == 0:
                raise httpx.ConnectError("refused")
            return status, b""

        before = {
            o: counted("ocpi_gateway_callback_attempts_total", outcome=o)
            for o in ("refused", "network_error")
        }
        await post(404)
        with pytest.raises(httpx.ConnectError):
            await post(0)
        for outcome, count in before.items():
            assert counted("ocpi_gateway_callback_attempts_total", outcome=outcome) == count + 1

    async def test_undelivered_results_are_counted(self) -> None:
        """A delivery that returns False adds one failure; a delivered one does not."""

        @counted_callback
        async def deliver(ok: bool) -> bool:
            return ok

        before = counted("ocpi_gateway_callback_failures_total")
        await deliver(True)
        await deliver(False)
        assert counted("ocpi_gateway_callback_failures_total") == before + 1
