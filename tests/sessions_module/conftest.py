"""Fixtures for the Sessions module tests: NL*SCS (the mock SCSP) publishes a sessions RECEIVER."""

from __future__ import annotations

import pytest

from ocpi_gateway.cli.mockscsp import MockScsp
from tests.conftest import Gateway, GatewayFactory
from tests.push.support import give_endpoints


@pytest.fixture(params=["ocpp1.6", "ocpp2.0.1"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def feeding(gateway_factory: GatewayFactory, mock_scsp: MockScsp) -> Gateway:
    """Every meter reading may be PATCHed at once (``session_patch_interval = 0``)."""
    gateway = await gateway_factory(ocpi={"session_patch_interval": 0})
    await give_endpoints(gateway, mock_scsp, chargingprofiles=False)
    return gateway
