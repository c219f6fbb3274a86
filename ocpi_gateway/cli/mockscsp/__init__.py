"""A mock SCSP for tests, demos and integration work: records what the gateway sends it
(result POSTs, ActiveChargingProfile and Sessions pushes) and sends OCPI PUT/GET/DELETE.
"""

from ocpi_gateway.cli.mockscsp.run import run_mock_scsp
from ocpi_gateway.cli.mockscsp.server import MockScsp, Received

__all__ = ["MockScsp", "Received", "run_mock_scsp"]
