"""The ``response_url`` server: the mock SCSP, told to accept any token so the checks judge it.

The mock SCSP already records every POST with its headers, body and arrival time, and serves
versions, details and credentials (the optional handshake check needs them). Here it accepts
whatever ``Authorization`` the CPO sends: refusing a wrong token would make the CPO retry and
blur the evidence; the ``*_result_headers`` checks say what was wrong instead.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from ocpi_gateway.cli.mockscsp import MockScsp, Received

GRACE_SECONDS = 1.5  # after the announced timeout: how long a late (or second) POST is still seen


class CallbackServer(MockScsp):
    """The mock SCSP as the tool's callback receiver (``public_url`` when behind a tunnel)."""

    def __init__(
        self, host: str, port: int, public_url: str | None, token: str, party: tuple[str, str]
    ) -> None:
        super().__init__(
            host=host, port=port, token=token, quiet=True, country_code=party[0], party_id=party[1]
        )
        self.public_url = public_url.rstrip("/") if public_url else None

    def _authorised(self, request: web.Request) -> bool:
        return True

    def callback_url(self, tag: str) -> str:
        """Where the CPO must POST the result of the request tagged ``tag``."""
        return f"{self.public_url or self.base_url}/results/{tag}"

    def posts(self, tag: str) -> list[Received]:
        return [r for r in self.received if r.method == "POST" and r.path == f"/results/{tag}"]


async def _until(done: Callable[[], bool], tick: float = 0.05) -> None:
    """Poll ``done`` (the mock SCSP records without waking anyone up for this)."""
    for _ in itertools.count():
        if done():
            return
        await asyncio.sleep(tick)


@dataclass(slots=True)
class Waited:
    """The POSTs a request's callback got, and the window they were judged in."""

    posts: list[Received]
    deadline: float  # wall clock: sent + the announced timeout
    waited_until: float
    capped: bool


async def collect(
    server: CallbackServer, tag: str, sent_at: float, timeout: int, cap: float, grace: float = GRACE_SECONDS
) -> Waited:
    """Wait for the first POST until the announced timeout (at most ``cap`` seconds), then
    :data:`GRACE_SECONDS` more, so a second POST, or one that comes late, is seen too."""
    first_by = sent_at + min(timeout, cap)
    await _until(lambda: bool(server.posts(tag)) or time.time() >= first_by)
    posts = server.posts(tag)
    end = (posts[0].at if posts else first_by) + grace
    await _until(lambda: time.time() >= end)
    return Waited(server.posts(tag), sent_at + timeout, time.time(), timeout > cap)
