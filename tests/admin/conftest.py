"""Fixtures for the admin API: the admin routes served on a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.admin.admin_support import STATION_201, AdminClientFactory, Stations, build_app, make_settings


@pytest.fixture(name="make_admin_client")
async def fixture_make_admin_client() -> AsyncIterator[AdminClientFactory]:
    """Factory: a client for an admin app with the given admin token; closed after the test."""
    clients: list[TestClient[web.Request, web.Application]] = []

    async def create(admin_token: str | None = "admin-secret") -> TestClient[web.Request, web.Application]:
        app = build_app(make_settings(admin_token), Stations([STATION_201]))
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield create
    for client in clients:
        await client.close()


@pytest.fixture(name="admin")
async def fixture_admin(make_admin_client: AdminClientFactory) -> TestClient[web.Request, web.Application]:
    return await make_admin_client()
