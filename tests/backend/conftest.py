"""Both backends behind one fixture, so every contract test runs on embedded and on Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ocpi_gateway.backend.base import Backend
from ocpi_gateway.backend.memory import MemoryBackend
from ocpi_gateway.backend.redis.backend import RedisBackend
from ocpi_gateway.config import RedisSettings

BackendFactory = Callable[[str], Backend]


@pytest.fixture(params=["embedded", "redis"])
async def make_backend(request: pytest.FixtureRequest) -> AsyncIterator[BackendFactory]:
    """Make backends that share state like nodes of one deployment (same Redis prefix)."""
    made: list[Backend] = []
    settings: dict[str, Any] | None = None
    if request.param == "redis":
        settings = request.getfixturevalue("redis_settings")
    shared_memory: list[MemoryBackend] = []

    def make(node: str = "node-a") -> Backend:
        backend: Backend
        if settings is None:
            if not shared_memory:
                shared_memory.append(MemoryBackend(node))
            backend = shared_memory[0]
        else:
            backend = RedisBackend(RedisSettings(**settings), node)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.close()


@pytest.fixture
async def backend(make_backend: BackendFactory) -> Backend:
    return make_backend("node-a")
