"""Per-station driver choice: one deployment, stations reached directly and through a CSMS API."""

from __future__ import annotations

import pytest

from ocpi_gateway.app import create_app
from ocpi_gateway.appkeys import BACKEND
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.errors import ConfigError
from tests.conftest import SCSP_TOKEN, Gateway, GatewayFactory, StationFactory, make_settings
from tests.drivers.flows import register_session
from tests.drivers.mock_csms import MockCsms
from tests.e2e.helpers import PROFILE_A, put_profile
from tests.e2e.test_flows import result_at, started


async def mixed_gateway(gateway_factory: GatewayFactory, mock_csms: MockCsms) -> Gateway:
    return await gateway_factory(
        ocpp={
            "mode": "direct",
            "allow_unknown_stations": True,
            "stations": [{"station_id": "CS-HTTP", "mode": "csms_http"}],
            "csms_http": mock_csms.settings(),
        }
    )


async def test_each_station_goes_through_its_own_driver(
    gateway_factory: GatewayFactory, mock_csms: MockCsms, mock_scsp: MockScsp, station_factory: StationFactory
) -> None:
    """A direct station gets OCPP-J, a station configured ``mode = "csms_http"`` gets the CSMS POST."""
    gateway = await mixed_gateway(gateway_factory, mock_csms)
    station, direct_session = await started(station_factory, gateway, "ocpp2.0.1")
    await register_session(gateway, "S-HTTP", "CS-HTTP")
    direct_url, http_url = mock_scsp.result_url("direct"), mock_scsp.result_url("http")
    await put_profile(gateway.base_url, SCSP_TOKEN, direct_session, PROFILE_A, direct_url)
    await put_profile(gateway.base_url, SCSP_TOKEN, "S-HTTP", PROFILE_A, http_url)
    assert (await result_at(mock_scsp, direct_url)).body == {"result": "ACCEPTED"}
    assert (await result_at(mock_scsp, http_url)).body == {"result": "ACCEPTED"}
    await station.wait_for_call("SetChargingProfile")
    assert [r.station_id for r in mock_csms.requests] == ["CS-HTTP"]


async def test_configured_remote_station_is_announced_at_start(
    gateway_factory: GatewayFactory, mock_csms: MockCsms
) -> None:
    """A station configured for csms_http is in the registry before any session exists."""
    gateway = await mixed_gateway(gateway_factory, mock_csms)
    assert await gateway.app[BACKEND].stations.lookup("CS-HTTP") is not None
    assert await gateway.app[BACKEND].stations.lookup("CS-ELSEWHERE") is None


def test_direct_and_proxy_cannot_be_mixed() -> None:
    """Both modes are the /ocpp/{station_id} endpoint: mixing them stops start-up naming the key."""
    settings = make_settings(
        8080,
        ocpp={"upstream_url": "ws://127.0.0.1:1/ocpp", "stations": [{"station_id": "CS-P", "mode": "proxy"}]},
    )
    with pytest.raises(ConfigError, match=r"ocpp\.stations"):
        create_app(settings)
