"""Fixtures for the push tests: a gateway whose partner NL*SCS (the mock SCSP) has its endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from ocpi_gateway.cli.mockscsp import MockScsp
from tests.conftest import GATEWAY_TOKEN, SCSP_TOKEN, Gateway, GatewayFactory
from tests.push.support import give_endpoints

WINDOW = 0.2  # ocpi.push_coalesce_seconds in these tests
EVSE_MAX = 25.0  # ocpp.evse_max_current: differs from the simulator's 32 A on purpose
JDX_TOKEN = "jdx-token-c"
GATEWAY_TOKEN_JDX = "gateway-token-jdx"


@pytest.fixture(params=["ocpp1.6", "ocpp2.0.1"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def party(country: str, party_id: str, token: str, their_token: str, scsp: MockScsp) -> dict[str, Any]:
    return {
        "country_code": country,
        "party_id": party_id,
        "token": token,
        "their_token": their_token,
        "versions_url": f"{scsp.base_url}/ocpi/versions",
        "response_url_hosts": ["127.0.0.1"],
        "allow_private_callbacks": True,
    }


@pytest.fixture
async def jedlix() -> AsyncIterator[MockScsp]:
    """A second SCSP (NL*JDX), configured statically next to NL*SCS."""
    scsp = MockScsp(token=GATEWAY_TOKEN_JDX, our_token=JDX_TOKEN, party_id="JDX", quiet=True)
    await scsp.start()
    yield scsp
    await scsp.stop()


@pytest.fixture
async def informed(gateway_factory: GatewayFactory, mock_scsp: MockScsp) -> Gateway:
    """The gateway with short push windows; NL*SCS has chargingprofiles SENDER (no sessions)."""
    gateway = await gateway_factory(
        ocpi={"push_coalesce_seconds": WINDOW}, ocpp={"evse_max_current": EVSE_MAX}
    )
    await give_endpoints(gateway, mock_scsp, sessions=False)
    return gateway


@pytest.fixture
async def two_partners(gateway_factory: GatewayFactory, mock_scsp: MockScsp, jedlix: MockScsp) -> Gateway:
    """NL*SCS and NL*JDX may both steer every session; both have chargingprofiles SENDER."""
    gateway = await gateway_factory(
        ocpi={
            "push_coalesce_seconds": WINDOW,
            "parties": [
                party("NL", "SCS", SCSP_TOKEN, GATEWAY_TOKEN, mock_scsp),
                party("NL", "JDX", JDX_TOKEN, GATEWAY_TOKEN_JDX, jedlix),
            ],
        }
    )
    await give_endpoints(gateway, mock_scsp, sessions=False)
    await give_endpoints(gateway, jedlix, "NL*JDX", sessions=False)
    return gateway
