"""Shared fixtures: a real gateway on a real socket, a real mock SCSP, simulated stations.

Each factory fixture cleans up what it made, so tests stay independent.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import structlog
from aiohttp import web

from ocpi_gateway.app import create_app
from ocpi_gateway.cli.demo import free_port
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.cli.simulator import SimulatedStation
from ocpi_gateway.config import Settings, settings_from_mapping
from tests.redis_support import DEFAULT_URL, RedisServer, answers, delete_prefix, require_or_skip

SCSP_TOKEN = "scsp-token-c"
GATEWAY_TOKEN = "gateway-token-b"
ADMIN_TOKEN = "admin-token"
TOKEN_A_ONLY = "token-a-only"


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def make_settings(port: int, scsp_base: str = "http://127.0.0.1:1", **sections: dict[str, Any]) -> Settings:
    """Test settings: short timeouts, one registered SCSP and one token-A-only party."""
    base: dict[str, Any] = {
        "http": {"host": "127.0.0.1", "port": port},
        "ocpi": {
            "result_timeout": 8,
            "parties": [
                {
                    "country_code": "NL",
                    "party_id": "SCS",
                    "token": SCSP_TOKEN,
                    "their_token": GATEWAY_TOKEN,
                    "versions_url": f"{scsp_base}/ocpi/versions",
                    "response_url_hosts": ["127.0.0.1"],
                    "allow_private_callbacks": True,
                },
                {"country_code": "DE", "party_id": "NEW", "token": TOKEN_A_ONLY},
            ],
        },
        "admin": {"token": ADMIN_TOKEN},
        "ocpp": {"call_timeout": 2, "heartbeat_interval": 60},
        "delivery": {"backoff_initial": 0.05, "backoff_max": 0.2, "request_timeout": 2},
        "log": {"level": "warning"},
    }
    return settings_from_mapping(_merge(base, sections))


@dataclass
class Gateway:
    """A running gateway: its app and its URLs."""

    app: web.Application
    base_url: str
    ws_url: str
    settings: Settings


GatewayFactory = Callable[..., Awaitable[Gateway]]


@pytest.fixture(autouse=True)
def _reset_log_context() -> None:
    structlog.contextvars.clear_contextvars()


@pytest.fixture
async def mock_scsp() -> AsyncIterator[MockScsp]:
    scsp = MockScsp(token=GATEWAY_TOKEN, our_token=SCSP_TOKEN, quiet=True)
    await scsp.start()
    yield scsp
    await scsp.stop()


@pytest.fixture
async def gateway_factory(mock_scsp: MockScsp) -> AsyncIterator[GatewayFactory]:
    runners: list[web.AppRunner] = []

    async def make(node_id: str = "test-node", **sections: dict[str, Any]) -> Gateway:
        port = free_port()
        settings = make_settings(port, mock_scsp.base_url, **sections)
        app = create_app(settings, node_id=node_id)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return Gateway(app, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ocpp", settings)

    yield make
    for runner in reversed(runners):
        await runner.cleanup()


@pytest.fixture
async def gateway(gateway_factory: GatewayFactory) -> Gateway:
    return await gateway_factory()


StationFactory = Callable[..., Awaitable[SimulatedStation]]


@pytest.fixture
async def station_factory() -> AsyncIterator[StationFactory]:
    made: list[SimulatedStation] = []

    async def make(gw: Gateway, station_id: str = "CS-1", **kwargs: Any) -> SimulatedStation:
        station = SimulatedStation(station_id, gw.ws_url, **kwargs)
        made.append(station)
        await station.connect()
        return station

    yield make
    for station in made:
        await station.close()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis URL that answers (see ``tests/redis_support.py``)."""
    url = os.environ.get("OCPI_GATEWAY_TEST_REDIS_URL", DEFAULT_URL)
    if answers(url):
        yield url
        return
    if shutil.which("redis-server") is None:
        require_or_skip(f"no Redis answers at {url} and no redis-server binary")
    server = RedisServer(free_port(), tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_settings(redis_url: str) -> Iterator[dict[str, Any]]:
    """The ``[redis]`` settings section for one test: its own key prefix, cleaned afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield {"url": redis_url, "key_prefix": prefix, "node_ttl": 1.5}
    delete_prefix(redis_url, prefix)
