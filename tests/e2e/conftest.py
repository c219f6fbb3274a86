"""The end-to-end suite runs once per backend: embedded and real Redis behave the same."""

from __future__ import annotations

import pytest

from tests.conftest import Gateway, GatewayFactory


@pytest.fixture(params=["embedded", "redis"])
async def gateway(request: pytest.FixtureRequest, gateway_factory: GatewayFactory) -> Gateway:
    if request.param == "redis":
        return await gateway_factory(redis=request.getfixturevalue("redis_settings"))
    return await gateway_factory()
