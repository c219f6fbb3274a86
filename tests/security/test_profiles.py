"""Security profiles 0 and 1 on the live gateway: who may connect, and what the logs keep."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from structlog.testing import capture_logs

from ocpi_gateway.cli.simulator import run_simulation
from ocpi_gateway.stations.direct.auth import basic_authorization
from tests.conftest import GatewayFactory, StationFactory

from .conftest import (
    OTHER_PASSWORD,
    PASSWORD,
    RawConnect,
    connected,
    eventually,
    secured_gateway,
    station_entry,
)


class TestProfile0:
    async def test_any_client_connects_without_credentials(
        self, gateway_factory: GatewayFactory, station_factory: StationFactory
    ) -> None:
        """Profile 0 with no station list lets an unlisted station connect without a password."""
        gateway = await gateway_factory(ocpp={"security_profile": 0})
        station = await station_factory(gateway, "ANY-1")
        assert station.connected
        assert await connected(gateway, "ANY-1")

    async def test_unlisted_id_is_404_once_stations_are_listed(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect
    ) -> None:
        """Even under profile 0 a station list turns unlisted ids away with 404 before the upgrade."""
        gateway = await gateway_factory(ocpp={"security_profile": 0, "stations": [station_entry("CS-1")]})
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await raw_connect(gateway, "CS-9")
        assert refused.value.status == 404


class TestProfile1:
    @pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
    async def test_right_password_boots(
        self, gateway_factory: GatewayFactory, station_factory: StationFactory, protocol: str
    ) -> None:
        """A listed station with its own password connects and boots, in both OCPP versions."""
        gateway = await secured_gateway(gateway_factory)
        station = await station_factory(gateway, "CS-1", protocol=protocol, password=PASSWORD)
        assert station.heartbeat_interval == gateway.settings.ocpp.heartbeat_interval
        assert await connected(gateway, "CS-1")

    @pytest.mark.parametrize(
        ("password", "user"),
        [(None, None), ("wrong-password-123", None), (OTHER_PASSWORD, None), (PASSWORD, "CS-2")],
        ids=["missing", "wrong", "another-stations-password", "another-user-name"],
    )
    async def test_bad_credentials_get_401_before_the_upgrade(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect, password: str | None, user: str | None
    ) -> None:
        """No, wrong or someone else's credentials answer HTTP 401 and no station appears."""
        gateway = await secured_gateway(gateway_factory)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await raw_connect(gateway, "CS-1", password, user=user)
        assert refused.value.status == 401
        assert refused.value.headers is not None
        assert refused.value.headers["WWW-Authenticate"].startswith("Basic")
        assert not await connected(gateway, "CS-1")

    async def test_unknown_id_gets_404_even_with_credentials(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect
    ) -> None:
        """An id not in [[ocpp.stations]] answers 404 whatever password it brings."""
        gateway = await secured_gateway(gateway_factory)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await raw_connect(gateway, "CS-404", PASSWORD)
        assert refused.value.status == 404

    async def test_listed_station_without_hash_cannot_connect(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect
    ) -> None:
        """A listed station with no password_hash is refused with 401 under profile 1."""
        gateway = await secured_gateway(gateway_factory, stations=[station_entry("CS-1", password=None)])
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await raw_connect(gateway, "CS-1", PASSWORD)
        assert refused.value.status == 401

    async def test_refusals_are_logged_with_id_and_reason_never_the_password(
        self, gateway_factory: GatewayFactory, raw_connect: RawConnect
    ) -> None:
        """A refused handshake logs station id and reason, but neither the password nor the header."""
        gateway = await secured_gateway(gateway_factory)
        wrong = "wrong-password-456"
        with capture_logs() as logs, pytest.raises(aiohttp.WSServerHandshakeError):
            await raw_connect(gateway, "CS-1", wrong)
        refusals = [entry for entry in logs if entry["event"] == "station_refused"]
        assert refusals == [
            {
                "event": "station_refused",
                "station_id": "CS-1",
                "reason": "wrong password",
                "log_level": "warning",
            }
        ]
        text = repr(logs)
        assert wrong not in text
        assert basic_authorization("CS-1", wrong).split()[1] not in text


class TestSimulatorPassword:
    async def test_simulate_with_password_connects_to_a_secured_gateway(
        self, gateway_factory: GatewayFactory, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`simulate --password` (run_simulation) authenticates its stations under profile 1."""
        gateway = await secured_gateway(gateway_factory, stations=[station_entry("SIM-0001")])
        stop = asyncio.Event()
        running = asyncio.create_task(
            run_simulation(gateway.ws_url, 1, "ocpp1.6", False, PASSWORD, prefix="SIM", stop=stop)
        )
        try:
            await eventually(lambda: connected(gateway, "SIM-0001"))
        finally:
            stop.set()
            await running
        assert "connection failed" not in capsys.readouterr().out
