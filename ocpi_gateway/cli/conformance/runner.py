"""The run: discover the CPO, play PUT/GET/DELETE as an SCSP, judge every answer and callback.

Checks run in a fixed order (a later one may need an earlier one's profile at the station) and
each gives one :class:`~ocpi_gateway.cli.conformance.model.CheckResult`. Required checks run by
default; ``--only`` names exactly the checks to run, optional ones included.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import httpx

from ocpi_gateway.cli.conformance.callbacks import GRACE_SECONDS, CallbackServer
from ocpi_gateway.cli.conformance.flows import Flows
from ocpi_gateway.cli.conformance.model import CheckResult
from ocpi_gateway.cli.conformance.target import Cpo, Party

REQUIRED = (
    "versions", "version_details", "put_absolute_w_sync", "put_absolute_w_result", "put_amps_sync",
    "put_amps_result", "get_active_profile_sync", "get_active_profile_result", "delete_profile_sync",
    "delete_profile_result", "result_headers", "unknown_session", "malformed_body", "missing_token",
    "wrong_token", "envelope", "sync_latency",
)  # fmt: skip
OPTIONAL = ("idempotency", "too_often", "credentials_handshake")


@dataclass(slots=True)
class Options:
    """Everything the command line says (tokens included: they never reach a report)."""

    versions_url: str
    token: str
    session: str
    unknown_session: str = field(default_factory=lambda: f"conformance-{uuid.uuid4().hex[:12]}")
    callback_host: str = "127.0.0.1"
    callback_port: int = 0
    callback_url: str | None = None
    expect_token: str | None = None
    token_a: str | None = None
    party: str = "NL*SCS"
    cpo: str | None = None
    only: tuple[str, ...] = ()
    timeout_cap: float = 60.0
    grace: float = GRACE_SECONDS  # how long after a result (or the deadline) a second or late one is awaited

    @property
    def selected(self) -> tuple[str, ...]:
        return self.only or REQUIRED

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.token, self.expect_token, self.token_a) if s)


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
