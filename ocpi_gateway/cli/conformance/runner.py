"""The run: discover the CPO, play PUT/GET/DELETE as an SCSP, judge every answer and callback.

Checks run in a fixed order (a later one may need an earlier one's profile at the station) and
each gives one :class:`~ocpi_gateway.cli.conformance.model.CheckResult`. Required checks run by
default; ``--only`` names exactly the checks to run, optional ones included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from ocpi_gateway.cli.conformance.callbacks import CallbackServer
from ocpi_gateway.cli.conformance.flows import Flows
from ocpi_gateway.cli.conformance.model import CheckResult
from ocpi_gateway.cli.conformance.options import OPTIONAL, REQUIRED, Options
from ocpi_gateway.cli.conformance.target import Cpo, Party

__all__ = ["OPTIONAL", "REQUIRED", "Options", "Report", "run_conformance"]


@dataclass(slots=True)
class Report:
    """The run's results, in check order, and what it ran against."""

    target: str
    session: str
    results: list[CheckResult]
    started: float
    seconds: float

    @property
    def failed(self) -> bool:
        return any(result.failed for result in self.results)


async def run_conformance(options: Options, *, client: httpx.AsyncClient | None = None) -> Report:
    """Run the selected checks against ``options.versions_url``.

    Raises:
        ocpi_gateway.cli.conformance.target.Unreachable: the versions endpoint gives no answer at all.
    """
    started = time.time()
    us = Party.parse(options.party)
    server = CallbackServer(
        options.callback_host,
        options.callback_port,
        options.callback_url,
        options.token,
        (us.country_code, us.party_id),
    )
    await server.start()
    own = client is None
    http = client or httpx.AsyncClient(timeout=30.0, follow_redirects=False)
    try:
        cpo = Cpo(
            http, options.token, Party.parse(options.party), Party.parse(options.cpo) if options.cpo else None
        )
        flows = Flows(cpo, server, options)
        results = await flows.run(options.selected)
    finally:
        if own:
            await http.aclose()
        await server.stop()
    return Report(options.versions_url, options.session, results, started, time.time() - started)
