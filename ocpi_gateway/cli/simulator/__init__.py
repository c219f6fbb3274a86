"""Simulated OCPP 1.6J / 2.0.1 charging stations for tests, demos and load.

:class:`SimulatedStation` is one real charge point over a websocket whose answers tests
can steer; :func:`run_simulation` runs many of them for ``ocpi-gateway simulate``.
"""

from ocpi_gateway.cli.simulator.link import StationLinkClosed
from ocpi_gateway.cli.simulator.run import run_simulation
from ocpi_gateway.cli.simulator.station import SimulatedStation

__all__ = ["SimulatedStation", "StationLinkClosed", "run_simulation"]
