"""The conformance kit: ``ocpi-gateway conformance`` plays the SCSP against any CPO's OCPI 2.2.1
ChargingProfiles receiver and reports, check by check, what holds (terminal, JUnit XML, JSON).

A tool like the rest of ``cli/``: it may import anything (it reuses the OCPI models, the mock
SCSP as its callback server and the token helpers); nothing outside ``cli/`` imports it.
"""

from ocpi_gateway.cli.conformance.runner import Options, run_conformance

__all__ = ["Options", "run_conformance"]
