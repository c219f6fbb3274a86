"""What a conformance run is asked to do: the command line as one value, and the check names.

Apart from the runner so the checks can read the options without importing the runner back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from ocpi_gateway.cli.conformance.callbacks import GRACE_SECONDS

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
