"""The command line as a user runs it: real processes, real ports, real signals."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ocpi_gateway.config import settings_from_mapping
from ocpi_gateway.errors import ConfigError
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCPI_GATEWAY__")}
    env.update(overrides)
    return env


async def _spawn(*args: str, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocpi_gateway",
        *args,
        cwd=ROOT,
        env=_env(**env),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _wait_http(url: str, timeout: float = 15.0) -> httpx.Response:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            try:
                return await client.get(url)
            except httpx.TransportError:
                if loop.time() > end:
                    raise
                await asyncio.sleep(0.1)


@pytest.fixture
async def served() -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
    port = free_port()
    proc = await _spawn("serve", "--config", "config/gateway.toml", OCPI_GATEWAY__HTTP__PORT=str(port))
    await _wait_http(f"http://127.0.0.1:{port}/health")
    yield proc, port
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


class TestServe:
    async def test_serves_with_the_shipped_config_and_stops_cleanly_on_sigterm(
        self, served: tuple[asyncio.subprocess.Process, int]
    ) -> None:
        """`serve` answers /health, /ready and OCPI versions, and exits 0 on SIGTERM."""
        proc, port = served
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200
            assert (await client.get(f"http://127.0.0.1:{port}/ready")).json() == {"ready": True}
            versions = await client.get(
                f"http://127.0.0.1:{port}/ocpi/versions", headers={"Authorization": "Token dev-scsp-token-c"}
            )
            assert versions.json()["data"][0]["version"] == "2.2.1"
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0

    async def test_simulated_stations_connect_and_stop_on_sigint(
        self, served: tuple[asyncio.subprocess.Process, int]
    ) -> None:
        """`simulate` connects N stations that start transactions; the admin API lists both."""
        _proc, port = served
        sim = await _spawn(
            "simulate", "--url", f"ws://127.0.0.1:{port}/ocpp", "--stations", "2", "--start-transactions"
        )
        headers = {"Authorization": "Token dev-admin-token"}
        try:
            async with httpx.AsyncClient() as client:
                for _ in range(100):
                    sessions = (
                        await client.get(f"http://127.0.0.1:{port}/admin/sessions", headers=headers)
                    ).json()
                    if len(sessions) == 2:
                        break
                    await asyncio.sleep(0.1)
                stations = (
                    await client.get(f"http://127.0.0.1:{port}/admin/stations", headers=headers)
                ).json()
            assert sorted(s["station_id"] for s in stations) == ["SIM-0001", "SIM-0002"]
            assert {s["status"] for s in sessions} == {"ACTIVE"}
        finally:
            sim.send_signal(signal.SIGINT)
            assert await asyncio.wait_for(sim.wait(), 15) == 0


class TestConfigErrors:
    async def test_invalid_key_stops_start_up_with_one_line_naming_it(self) -> None:
        """A bad value stops `serve` with exit 2 and one stderr line naming the key."""
        proc = await _spawn("serve", "--config", "config/gateway.toml", OCPI_GATEWAY__HTTP__PORT="not-a-port")
        _out, err = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 2
        lines = err.decode().strip().splitlines()
        assert len(lines) == 1
        assert "http.port" in lines[0]

    def test_a_party_role_outside_ocpi_names_the_key(self) -> None:
        """A static partner's ``role`` is an OCPI Role (any case), as in the credentials exchange."""
        party = {"country_code": "NL", "party_id": "ABC"}
        with pytest.raises(ConfigError, match=r"ocpi\.parties\.0\.role"):
            settings_from_mapping({"ocpi": {"parties": [party | {"role": "WIZARD"}]}})
        settings = settings_from_mapping({"ocpi": {"parties": [party | {"role": "emsp"}]}})
        assert settings.ocpi.parties[0].role == "emsp"

    async def test_workers_without_redis_is_one_line_naming_redis_url(self) -> None:
        """`serve --workers 2` on the embedded backend stops at once: exit 2, one line naming the key."""
        proc = await _spawn("serve", "--workers", "2", "--config", "config/gateway.toml")
        _out, err = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 2
        lines = err.decode().strip().splitlines()
        assert len(lines) == 1
        assert "redis.url" in lines[0]
        assert "--workers 2" in lines[0]

    async def test_workers_must_be_positive(self) -> None:
        """`--workers 0` is a usage error (exit 2), not a gateway with no process."""
        proc = await _spawn("serve", "--workers", "0")
        _out, err = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 2
        assert "--workers" in err.decode()


class TestTranslate:
    async def test_prints_the_ocpp_payload(self, tmp_path: Path) -> None:
        """`translate` shows the converted OCPP 1.6 SetChargingProfile for an amps-only station."""
        profile = {
            "charging_rate_unit": "W",
            "charging_profile_period": [{"start_period": 0, "limit": 11000.0}],
        }
        path = tmp_path / "profile.json"
        path.write_text(json.dumps(profile))
        proc = await _spawn("translate", str(path), "--units", "A", "--transaction-id", "42")
        out, _err = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0
        result = json.loads(out)
        assert result["action"] == "SetChargingProfile"
        schedule = result["payload"]["csChargingProfiles"]["chargingSchedule"]
        assert schedule["chargingRateUnit"] == "A"
        assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 15.9, "numberPhases": 3}]
        assert result["payload"]["csChargingProfiles"]["transactionId"] == 42

    async def test_reads_stdin_and_names_a_bad_field(self) -> None:
        """Without a file `translate` reads stdin; an invalid limit is one line naming the field, exit 1."""
        proc = await _spawn("translate")
        bad = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 16.55}]}
        _out, err = await asyncio.wait_for(proc.communicate(json.dumps(bad).encode()), 20)
        assert proc.returncode == 1
        assert "charging_profile_period[0].limit" in err.decode()


class TestDemo:
    @pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
    async def test_demo_walks_put_get_delete(self, protocol: str) -> None:
        """`demo` runs PUT -> GET -> DELETE end to end and exits 0."""
        proc = await _spawn("demo", "--protocol", protocol)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()[-2000:]
        text = out.decode()
        for step in ("SetChargingProfile", "GetCompositeSchedule", "ClearChargingProfile", "Done"):
            assert step in text

    async def test_demo_conformance_runs_the_kit_against_the_demo_gateway(self) -> None:
        """`demo --conformance`: the tester's one-liner; every required check passes, exit 0."""
        proc = await _spawn("demo", "--conformance")
        out, err = await asyncio.wait_for(proc.communicate(), 90)
        assert proc.returncode == 0, (out.decode()[-2000:], err.decode()[-2000:])
        text = out.decode()
        assert "PASS  put_absolute_w_result" in text
        assert "FAIL" not in text
