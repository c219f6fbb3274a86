"""`ocpi-gateway serve` as an operator runs it: the start-up warning and TLS served by the process."""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import httpx
import pytest
import trustme

from ocpi_gateway.cli.simulator import SimulatedStation
from ocpi_gateway.models.passwords import hash_password
from tests.conftest import free_port

from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 15.0


async def spawn(**env: str) -> asyncio.subprocess.Process:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OCPI_GATEWAY__")}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocpi_gateway",
        "serve",
        "--config",
        "config/gateway.toml",
        cwd=ROOT,
        env={**clean, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def wait_health(url: str, verify: ssl.SSLContext | bool = True) -> None:
    async with asyncio.timeout(START_TIMEOUT), httpx.AsyncClient(verify=verify) as client:
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.1)


async def stop(proc: asyncio.subprocess.Process) -> str:
    """SIGTERM the process and return what it wrote to stderr."""
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), START_TIMEOUT)
    return err.decode()


@pytest.fixture
async def processes() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    made: list[asyncio.subprocess.Process] = []
    yield made
    for proc in made:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_profile_0_is_warned_about_at_start(processes: list[asyncio.subprocess.Process]) -> None:
    """Serving with security profile 0 logs a warning that any client can be any station."""
    port = free_port()
    proc = await spawn(OCPI_GATEWAY__HTTP__PORT=str(port), OCPI_GATEWAY__OCPP__SECURITY_PROFILE="0")
    processes.append(proc)
    await wait_health(f"http://127.0.0.1:{port}/health")
    assert "station_authentication_disabled" in await stop(proc)


async def test_serve_speaks_tls_with_its_own_certificate(
    processes: list[asyncio.subprocess.Process], tmp_path: Path
) -> None:
    """Profile 2 with tls_cert/tls_key: the process serves HTTPS/WSS; a station with its password boots.

    The station's password hash comes from the environment, as an operator keeps secrets.
    """
    authority = trustme.CA()
    server = authority.issue_cert("127.0.0.1")
    cert, key = tmp_path / "gateway.crt", tmp_path / "gateway.key"
    server.private_key_and_cert_chain_pem.write_to_path(str(cert))
    server.private_key_pem.write_to_path(str(key))
    trust = ssl.create_default_context()
    authority.configure_trust(trust)
    port = free_port()
    proc = await spawn(
        OCPI_GATEWAY__HTTP__PORT=str(port),
        OCPI_GATEWAY__OCPP__SECURITY_PROFILE="2",
        OCPI_GATEWAY__OCPP__TLS_CERT=str(cert),
        OCPI_GATEWAY__OCPP__TLS_KEY=str(key),
        OCPI_GATEWAY__OCPP__STATIONS__0__STATION_ID="CS-1",
        OCPI_GATEWAY__OCPP__STATIONS__0__PASSWORD_HASH=hash_password(PASSWORD, n=2**8),
    )
    processes.append(proc)
    await wait_health(f"https://127.0.0.1:{port}/health", verify=trust)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trust)) as session:
        station = SimulatedStation("CS-1", f"wss://127.0.0.1:{port}/ocpp", password=PASSWORD, session=session)
        try:
            await station.connect()
            assert station.connected
        finally:
            await station.close()
    err = await stop(proc)
    assert proc.returncode == 0
    assert PASSWORD not in err
