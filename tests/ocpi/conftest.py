"""Fixtures for the OCPI edge: the OCPI routes and middlewares served on a real socket.

Settings are built per test (``make_client(**ocpi_overrides)``) so a test can flip one option.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.ocpi.ocpi_support import ClientFactory, RecordingSteering, build_app, make_settings


@pytest.fixture(name="steering")
def fixture_steering() -> RecordingSteering:
    return RecordingSteering()


@pytest.fixture(name="make_client")
async def fixture_make_client(steering: RecordingSteering) -> AsyncIterator[ClientFactory]:
    """Factory: a client for an app built with ``make_settings(**ocpi)``; closed after the test."""
    clients: list[TestClient[web.Request, web.Application]] = []

    async def create(**ocpi: Any) -> TestClient[web.Request, web.Application]:
        client = TestClient(TestServer(build_app(make_settings(**ocpi), steering)))
        await client.start_server()
        clients.append(client)
        return client

    yield create
    for client in clients:
        await client.close()


@pytest.fixture(name="client")
async def fixture_client(make_client: ClientFactory) -> TestClient[web.Request, web.Application]:
    return await make_client()
