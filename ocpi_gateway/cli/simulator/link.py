"""One open websocket from a simulated station to its CSMS, and the loop that reads it.

The ``ocpp`` package's ``call()`` waits its whole timeout when the socket dies under it;
a station must notice at once, so :meth:`Link.call` races the answer against the end of
the receive loop. Tasks tied to the connection (the heartbeat) end with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

from ocpi_gateway.cli.simulator.base import ResultHook, SimulatedChargePoint
from ocpi_gateway.errors import StationDisconnected
from ocpi_gateway.stations.direct.connection import WebSocketConnection

CLOSE_TIMEOUT = 5.0

ChargePointFactory = Callable[[WebSocketConnection], SimulatedChargePoint]


class StationLinkClosed(ConnectionError):
    """The station's websocket is not open (never connected, or dropped)."""


class Link:
    """A live connection: the websocket, its ChargePoint and the tasks bound to it."""

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, cp: SimulatedChargePoint, on_closed: Callable[[], None]
    ) -> None:
        self._ws = ws
        self._cp = cp
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_closed = on_closed
        self._receiver = asyncio.create_task(self._receive(), name=f"sim-{cp.id}")

    @classmethod
    async def open(
        cls,
        session: aiohttp.ClientSession,
        url: str,
        protocol: str,
        authorization: str | None,
        make_cp: ChargePointFactory,
        on_closed: Callable[[], None],
    ) -> Link:
        """Dial ``url`` offering only ``protocol`` (with ``authorization`` as the header) and start reading.

        Raises:
            aiohttp.ClientError: the handshake failed (refused, 401, 404 ...).
            StationLinkClosed: the CSMS did not agree on the subprotocol.
        """
        headers = {"Authorization": authorization} if authorization else None
        ws = await session.ws_connect(url, protocols=[protocol], headers=headers, autoping=True)
        if ws.protocol != protocol:
            await ws.close()
            raise StationLinkClosed(f"{url}: the CSMS did not accept {protocol}")
        return cls(ws, make_cp(WebSocketConnection(ws)), on_closed)

    @property
    def is_open(self) -> bool:
        return not self._receiver.done()

    async def _receive(self) -> None:
        try:
            await self._cp.start()
        except (StationDisconnected, aiohttp.ClientError, ConnectionError):
            pass
        finally:
            for task in self._tasks:
                task.cancel()
            self._on_closed()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` for as long as the connection lives."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def expect_result(self, unique_id: str, hook: ResultHook) -> None:
        self._cp.expect_result(unique_id, hook)

    async def call(self, payload: Any, *, unique_id: str | None = None) -> Any:
        """Send one CALL and return its result, failing at once if the link drops meanwhile.

        Raises:
            StationLinkClosed: the link is closed or dropped before the answer.
            TimeoutError: no answer within the ChargePoint's response timeout.
            ocpp.exceptions.OCPPError: the CSMS answered CALLERROR.
        """
        if not self.is_open:
            raise StationLinkClosed(f"{self._cp.id}: not connected")
        call = asyncio.ensure_future(self._cp.call(payload, suppress=False, unique_id=unique_id))
        done, _ = await asyncio.wait({call, self._receiver}, return_when=asyncio.FIRST_COMPLETED)
        if call not in done:
            call.cancel()
            raise StationLinkClosed(f"{self._cp.id}: link closed during {type(payload).__name__}")
        try:
            return call.result()
        except StationDisconnected as exc:
            raise StationLinkClosed(f"{self._cp.id}: link closed") from exc

    async def wait_closed(self, timeout: float | None) -> None:  # mirrors the station API
        async with asyncio.timeout(timeout):
            await asyncio.shield(self._receiver)

    async def close(self) -> None:
        """Close the websocket (code 1000); a receive loop that hangs is cancelled."""
        for task in self._tasks:
            task.cancel()
        if not self._ws.closed:
            await self._ws.close()
        if not self._receiver.done():
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await self._receiver
