"""Capabilities are read from each station right after it connects, then on_connected runs."""

from __future__ import annotations

from ocpi_gateway.domain import Capabilities

from .conftest import Endpoint, StationFactory


async def test_v16_capabilities_are_read_with_get_configuration(
    endpoint: Endpoint, station: StationFactory
) -> None:
    """A 1.6 station's GetConfiguration answer becomes the link's capabilities before on_connected."""
    sim = await station("CP16")
    link = await endpoint.next_connected()
    assert sim.received == ["GetConfiguration"]
    assert link.capabilities == Capabilities(
        allowed_units=frozenset({"A"}),
        max_stack_level=8,
        max_periods=24,
        max_profiles=10,
        smart_charging=True,
        reported=True,
    )


async def test_v201_capabilities_are_read_with_get_variables(
    endpoint: Endpoint, station: StationFactory
) -> None:
    """A 2.0.1 station's GetVariables answer becomes the link's capabilities before on_connected."""
    sim = await station("CP201", "ocpp2.0.1")
    link = await endpoint.next_connected()
    assert sim.received == ["GetVariables"]
    assert link.capabilities == Capabilities(
        allowed_units=frozenset({"W"}), max_stack_level=5, max_periods=48, reported=True
    )


async def test_call_error_keeps_defaults(endpoint: Endpoint, station: StationFactory) -> None:
    """A station answering GetConfiguration with CALLERROR keeps default capabilities."""
    await station("CP16", modes={"GetConfiguration": "error"})
    link = await endpoint.next_connected()
    assert link.capabilities == Capabilities()


async def test_silent_station_keeps_defaults_and_is_still_announced(
    endpoint: Endpoint, station: StationFactory
) -> None:
    """A station that never answers is announced after call_timeout with unreported defaults."""
    await station("CP201", "ocpp2.0.1", modes={"GetVariables": "silent"})
    link = await endpoint.next_connected()
    assert link.capabilities.reported is False
    assert endpoint.directory.get("CP201") is link


async def test_capabilities_show_in_the_directory(endpoint: Endpoint, station: StationFactory) -> None:
    """``stations()`` reports the capabilities that were read."""
    await station("CP16")
    await endpoint.next_connected()
    [info] = endpoint.directory.stations()
    assert (info.node, info.capabilities.allowed_units) == ("node-a", frozenset({"A"}))
