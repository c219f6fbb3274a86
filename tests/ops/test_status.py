"""The status page: its token rules, its JSON endpoints, and the chart as a real Chromium draws it."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocpi_gateway.appkeys import HISTORY
from ocpi_gateway.cli.mockscsp import MockScsp
from tests.conftest import ADMIN_TOKEN, Gateway, GatewayFactory, StationFactory
from tests.ops.support import admin_headers, steer

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


async def wait_jobs(gateway: Gateway, count: int) -> None:
    """History is written just after delivery; wait until ``count`` jobs are recorded."""
    for _ in range(100):
        if len(gateway.app[HISTORY].recent_jobs()) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("job never reached the history")


async def get(gateway: Gateway, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(gateway.base_url + path, **kwargs)


class TestPageAccess:
    async def test_page_refuses_without_token(self, gateway: Gateway) -> None:
        """GET /admin/status without a token is a JSON 401."""
        response = await get(gateway, "/admin/status")
        assert response.status_code == 401
        assert response.json() == {"error": "missing or wrong admin token"}

    async def test_page_refuses_wrong_query_token(self, gateway: Gateway) -> None:
        """A wrong ?token= is refused like a wrong header."""
        assert (await get(gateway, "/admin/status", params={"token": "nope"})).status_code == 401

    @pytest.mark.parametrize("how", ["header", "query"])
    async def test_page_served_with_token(self, gateway: Gateway, how: str) -> None:
        """The page is served for the admin token as header or as ?token=, with a strict CSP."""
        kwargs: dict[str, Any] = (
            {"headers": admin_headers()} if how == "header" else {"params": {"token": ADMIN_TOKEN}}
        )
        response = await get(gateway, "/admin/status", **kwargs)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/html")
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert '<script src="/admin/status/status.js"' in response.text

    async def test_assets_need_no_token(self, gateway: Gateway) -> None:
        """The page's script and style hold no data and are served to a <script src> without a token."""
        script = await get(gateway, "/admin/status/status.js")
        style = await get(gateway, "/admin/status/status.css")
        assert script.status_code == style.status_code == 200
        assert "drawChart" in script.text
        assert script.headers["Content-Type"].startswith("text/javascript")

    async def test_json_endpoints_need_header_token(self, gateway: Gateway) -> None:
        """The JSON endpoints take the header only: a ?token= does not open them."""
        response = await get(gateway, "/admin/status/overview", params={"token": ADMIN_TOKEN})
        assert response.status_code == 401


class TestStatusData:
    async def test_overview_lists_station_session_and_job(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """After a steered PUT the overview shows the connected station, its session and the job's outcome."""
        steered = await steer(gateway, station_factory, mock_scsp, protocol="ocpp2.0.1")
        await wait_jobs(gateway, 1)
        data = (await get(gateway, "/admin/status/overview", headers=admin_headers())).json()
        [station] = data["stations"]
        assert (station["station_id"], station["protocol"], station["state"]) == (
            "CS-OPS",
            "ocpp2.0.1",
            "connected",
        )
        assert station["active_sessions"] == 1
        [session] = data["sessions"]
        assert session["session_id"] == steered.session_id
        assert session["has_profile"] is True
        [job] = data["jobs"]
        assert (job["kind"], job["result"], job["delivered"]) == ("set", "ACCEPTED", True)
        assert job["correlation_id"] == steered.headers["X-Correlation-ID"]

    async def test_configured_station_not_connected_is_offline(self, gateway_factory: GatewayFactory) -> None:
        """A configured station that is connected nowhere is listed as offline."""
        gateway = await gateway_factory(ocpp={"stations": [{"station_id": "CS-OFF"}]})
        data = (await get(gateway, "/admin/status/overview", headers=admin_headers())).json()
        assert [(s["station_id"], s["state"]) for s in data["stations"]] == [("CS-OFF", "offline")]

    async def test_chart_has_requested_and_live_composite(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """The chart endpoint returns the requested profile and a composite fetched live from the station."""
        steered = await steer(gateway, station_factory, mock_scsp)
        response = await get(
            gateway, f"/admin/status/sessions/{steered.session_id}/chart", headers=admin_headers()
        )
        data = response.json()
        assert data["unit"] == "A"
        assert [p["limit"] for p in data["requested"]["points"]] == [16.0, 10.5]
        assert data["composite_source"] == "live"
        assert data["composite"]["points"][0]["limit"] == 16.0

    async def test_chart_without_live_uses_last_get(
        self, gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """With live=false the composite is the one the last GET job learnt, or none."""
        steered = await steer(gateway, station_factory, mock_scsp)
        path = f"/admin/status/sessions/{steered.session_id}/chart"
        before = (await get(gateway, path, headers=admin_headers(), params={"live": "false"})).json()
        assert before["composite"] is None
        assert before["composite_source"] is None
        results = f"/get-results/{steered.session_id}"
        async with httpx.AsyncClient() as client:
            await client.get(
                f"{gateway.base_url}/ocpi/2.2.1/chargingprofiles/{steered.session_id}",
                params={"duration": 600, "response_url": mock_scsp.base_url + results},
                headers=steered.headers,
            )
        await mock_scsp.wait_for(lambda r: r.path == results)
        await wait_jobs(gateway, 2)
        after = (await get(gateway, path, headers=admin_headers(), params={"live": "false"})).json()
        assert after["composite_source"] == "get_job"
        assert after["composite"]["points"]

    async def test_chart_of_unknown_session_is_404(self, gateway: Gateway) -> None:
        """A chart for a session the gateway does not know answers 404."""
        response = await get(gateway, "/admin/status/sessions/nope/chart", headers=admin_headers())
        assert response.status_code == 404


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and not os.environ.get("OCPI_GATEWAY_REQUIRE_CHROMIUM"):
        pytest.skip("chromium is not installed (CI sets OCPI_GATEWAY_REQUIRE_CHROMIUM=1 and installs it)")
    assert found is not None, "OCPI_GATEWAY_REQUIRE_CHROMIUM is set but no chromium binary was found"
    return found


async def _dump_dom(chromium: str, url: str, profile_dir: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile_dir}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), 45)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return out.decode()


def _polyline_points(dom: str, series: str) -> list[tuple[float, float]]:
    match = re.search(rf'<polyline class="series {series}"[^>]*points="([^"]*)"', dom)
    assert match, f"no {series} series in the chart"
    return [tuple(float(v) for v in pair.split(",")) for pair in match.group(1).split()]  # type: ignore[misc]


@pytest.mark.timeout(90)
async def test_chart_renders_in_headless_chromium(
    gateway: Gateway, station_factory: StationFactory, mock_scsp: MockScsp, tmp_path: Path
) -> None:
    """Chromium loads the page with ?token=, and the SVG chart has both series with their steps."""
    chromium = _chromium()
    profile = {
        "charging_rate_unit": "A",
        "charging_profile_period": [{"start_period": 0, "limit": 16.0}, {"start_period": 1800, "limit": 8.0}],
    }
    steered = await steer(gateway, station_factory, mock_scsp, profile=profile)
    url = f"{gateway.base_url}/admin/status?token={ADMIN_TOKEN}&session={steered.session_id}"
    dom = await _dump_dom(chromium, url, tmp_path / "chromium")
    assert '<svg id="chart"' in dom, dom[-2000:]
    requested = _polyline_points(dom, "requested")
    composite = _polyline_points(dom, "composite")
    assert len(requested) == 4  # two periods, each a horizontal step
    assert len(composite) >= 2
    assert requested[0][1] < requested[2][1]  # 16 A is drawn higher (smaller y) than 8 A
    assert "CS-OPS" in dom  # the stations table was filled too
