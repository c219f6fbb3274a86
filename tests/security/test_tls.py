"""Security profile 2: the gateway serves TLS itself, with a certificate the test suite makes.

``trustme`` makes a throw-away CA and a server certificate for 127.0.0.1; the gateway loads
them through ``ocpp.tls_cert`` / ``ocpp.tls_key`` exactly as ``serve`` does, and simulated
stations connect over ``wss://`` trusting only that CA.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
import trustme
from aiohttp import web

from ocpi_gateway.app import create_app
from ocpi_gateway.cli.demo import free_port
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from ocpi_gateway.config import Settings
from ocpi_gateway.errors import ConfigError
from ocpi_gateway.stations.direct.auth import basic_authorization
from ocpi_gateway.stations.direct.tls import server_ssl_context
from tests.conftest import make_settings

from .conftest import PASSWORD, station_entry


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def cert_files(authority: trustme.CA, tmp_path: Path) -> tuple[Path, Path]:
    """A server certificate for 127.0.0.1 and its key, as PEM files."""
    server = authority.issue_cert("127.0.0.1", "localhost")
    cert, key = tmp_path / "gateway.crt", tmp_path / "gateway.key"
    server.private_key_and_cert_chain_pem.write_to_path(str(cert))
    server.private_key_pem.write_to_path(str(key))
    return cert, key


@pytest.fixture
def client_context(authority: trustme.CA) -> ssl.SSLContext:
    """A client context that trusts only the test CA."""
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


TlsGateway = Callable[[], Awaitable[str]]


@pytest.fixture
async def tls_gateway(cert_files: tuple[Path, Path], mock_scsp: MockScsp) -> AsyncIterator[TlsGateway]:
    """Start the real app under profile 2 over TLS; yields a maker returning the ``wss://`` base URL."""
    runners: list[web.AppRunner] = []

    async def start() -> str:
        port = free_port()
        cert, key = cert_files
        ocpp = {
            "security_profile": 2,
            "tls_cert": str(cert),
            "tls_key": str(key),
            "stations": [station_entry("CS-1")],
        }
        settings: Settings = make_settings(port, mock_scsp.base_url, ocpp=ocpp)
        runner = web.AppRunner(create_app(settings, node_id="tls-node"), access_log=None, shutdown_timeout=1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, ssl_context=server_ssl_context(settings)).start()
        runners.append(runner)
        return f"wss://127.0.0.1:{port}/ocpp"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def tls_client(client_context: ssl.SSLContext) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_context)) as session:
        yield session


class TestProfile2:
    @pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
    async def test_station_with_password_connects_over_wss(
        self, tls_gateway: TlsGateway, tls_client: aiohttp.ClientSession, protocol: str
    ) -> None:
        """A simulated station with the right password boots over wss:// against the gateway's own TLS."""
        url = await tls_gateway()
        station = SimulatedStation("CS-1", url, protocol=protocol, password=PASSWORD, session=tls_client)
        try:
            await station.connect()
            assert station.connected
            assert station.heartbeat_interval is not None
        finally:
            await station.close()

    async def test_wrong_password_over_wss_gets_401(
        self, tls_gateway: TlsGateway, tls_client: aiohttp.ClientSession
    ) -> None:
        """Over TLS a wrong password is still refused with 401 before the upgrade."""
        url = await tls_gateway()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await tls_client.ws_connect(
                f"{url}/CS-1",
                protocols=["ocpp1.6"],
                headers={"Authorization": basic_authorization("CS-1", "wrong-password-789")},
            )
        assert refused.value.status == 401

    async def test_client_that_does_not_trust_the_certificate_cannot_connect(
        self, tls_gateway: TlsGateway
    ) -> None:
        """A station without the CA refuses the self-signed chain: the TLS is real, not a pass-through."""
        url = await tls_gateway()
        async with aiohttp.ClientSession() as untrusting:
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await untrusting.ws_connect(f"{url}/CS-1", protocols=["ocpp1.6"])

    async def test_plain_http_client_gets_no_websocket(self, tls_gateway: TlsGateway) -> None:
        """A plain ws:// client on the TLS port never reaches the OCPP endpoint."""
        url = await tls_gateway()
        async with aiohttp.ClientSession() as plain:
            with pytest.raises(aiohttp.ClientError):
                await plain.ws_connect(url.replace("wss://", "ws://") + "/CS-1", protocols=["ocpp1.6"])


class TestTlsSettings:
    def test_missing_certificate_file_stops_start_up(self, tmp_path: Path) -> None:
        """A tls_cert path that does not exist is a configuration error naming ocpp.tls_cert."""
        settings = make_settings(
            8080, ocpp={"tls_cert": str(tmp_path / "nope.crt"), "tls_key": str(tmp_path / "nope.key")}
        )
        with pytest.raises(ConfigError) as error:
            server_ssl_context(settings)
        assert error.value.key == "ocpp.tls_cert"

    def test_mismatched_key_stops_start_up(self, authority: trustme.CA, tmp_path: Path) -> None:
        """A certificate with another certificate's key cannot be loaded: configuration error."""
        one, two = authority.issue_cert("127.0.0.1"), authority.issue_cert("127.0.0.1")
        cert, key = tmp_path / "a.crt", tmp_path / "b.key"
        one.cert_chain_pems[0].write_to_path(str(cert))
        two.private_key_pem.write_to_path(str(key))
        with pytest.raises(ConfigError, match="cannot load"):
            server_ssl_context(make_settings(8080, ocpp={"tls_cert": str(cert), "tls_key": str(key)}))

    def test_without_files_the_gateway_serves_plain_http(self) -> None:
        """No tls_cert: no context (TLS, if any, is terminated in front)."""
        assert server_ssl_context(make_settings(8080, ocpp={"security_profile": 2})) is None
