"""Pushes across nodes sharing Redis: the trigger may arrive anywhere, the push runs where the station is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from ocpi_gateway.app import create_app
from ocpi_gateway.cli.demo import free_port
from ocpi_gateway.cli.mockscsp import MockScsp
from tests.conftest import Gateway, StationFactory, make_settings
from tests.push.conftest import WINDOW
from tests.push.support import admin, give_endpoints, limits, next_push, pushes, quiet, steer

NodeFactory = Callable[[str], Awaitable[Gateway]]


@pytest.fixture
async def node(redis_settings: dict[str, Any], mock_scsp: MockScsp) -> AsyncIterator[NodeFactory]:
    """Gateways in this process with their own node ids, all on the test's Redis."""
    runners: list[web.AppRunner] = []

    async def start(name: str) -> Gateway:
        port = free_port()
        settings = make_settings(
            port, mock_scsp.base_url, redis=redis_settings, ocpi={"push_coalesce_seconds": WINDOW}
        )
        app = create_app(settings, node_id=name)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return Gateway(app, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ocpp", settings)

    yield start
    for runner in reversed(runners):
        await runner.cleanup()


async def test_limit_asked_on_one_node_is_pushed_once_from_the_stations_node(
    node: NodeFactory, station_factory: StationFactory, mock_scsp: MockScsp
) -> None:
    """Station on node A, SCSP and CPO talk to node B: one push, computed by A's station."""
    node_a, node_b = await node("node-a"), await node("node-b")
    await give_endpoints(node_b, mock_scsp, sessions=False)
    station = await station_factory(node_a, protocol="ocpp2.0.1")
    session_id = await station.start_transaction(connector_id=1)
    await steer(node_b, mock_scsp, session_id)
    response = await admin(node_b, "PUT", f"/admin/stations/{station.station_id}/limit", {"limit": 12.0})
    assert response.status_code == 202
    assert limits(await next_push(mock_scsp, session_id)) == [12.0]
    await quiet(node_a, WINDOW)
    assert len(pushes(mock_scsp, session_id)) == 1
