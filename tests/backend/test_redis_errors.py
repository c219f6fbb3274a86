"""``redis_errors()``: what a Redis call's failure becomes, and what it leaves alone."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from ocpi_gateway.backend.redis.store import redis_errors
from ocpi_gateway.errors import BackendError


@pytest.mark.parametrize(
    "failure",
    [RedisConnectionError("gone"), ResponseError("WRONGTYPE"), TimeoutError("slow"), ConnectionResetError()],
)
async def test_redis_and_socket_failures_become_backend_errors(failure: Exception) -> None:
    with pytest.raises(BackendError, match=type(failure).__name__) as raised:
        async with redis_errors():
            raise failure
    assert raised.value.__cause__ is failure


@pytest.mark.parametrize("other", [ValueError("ours"), asyncio.CancelledError(), KeyboardInterrupt()])
async def test_anything_else_passes_unchanged(other: BaseException) -> None:
    with pytest.raises(type(other)) as raised:
        async with redis_errors():
            raise other
    assert raised.value is other


async def test_a_call_that_succeeds_is_untouched() -> None:
    async with redis_errors():
        value = 42
    assert value == 42
