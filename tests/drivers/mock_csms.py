"""A mock CSMS offering an HTTP API for OCPP 2.0.1 charging profiles (a real aiohttp server).

It checks the Bearer token, records every request, keeps the profiles it was given per
station and EVSE, and answers ``{"response": ..., "statusInfo"?}``. ``behaviour`` steers it:
``accept``, ``reject``, ``error`` (HTTP 500), ``silent`` (never answers in time).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ocpi_gateway.cli.demo import free_port

CSMS_TOKEN = "csms-api-token"


@dataclass
class CsmsRequest:
    path: str
    station_id: str
    evse_id: int
    body: dict[str, Any]
    authorization: str


@dataclass
class MockCsms:
    behaviour: str = "accept"
    requests: list[CsmsRequest] = field(default_factory=list)
    profiles: dict[tuple[str, int], dict[int, dict[str, Any]]] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, *, composite: bool = False, timeout: float = 2.0) -> dict[str, Any]:
        """The ``[ocpp.csms_http]`` section that points at this mock."""
        station = self.base_url + "/api/stations/{station_id}/evses/{evse_id}"
        return {
            "set_profile_url": station + "/charging-profiles",
            "clear_profile_url": station + "/charging-profiles/clear",
            "composite_url": station + "/composite-schedule" if composite else "",
            "token": CSMS_TOKEN,
            "timeout": timeout,
        }

    async def start(self) -> None:
        app = web.Application()
        base = "/api/stations/{station_id}/evses/{evse_id}"
        app.router.add_post(base + "/charging-profiles", self._set)
        app.router.add_post(base + "/charging-profiles/clear", self._clear)
        app.router.add_post(base + "/composite-schedule", self._composite)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def next_request(self, suffix: str, timeout: float = 5.0) -> CsmsRequest:
        """The first recorded request whose path ends with ``suffix`` (waiting for it)."""
        async with asyncio.timeout(timeout):
            while True:
                found = [r for r in self.requests if r.path.endswith(suffix)]
                if found:
                    return found[0]
                self._arrived.clear()
                await self._arrived.wait()

    async def _record(self, request: web.Request) -> tuple[CsmsRequest, web.Response | None]:
        item = CsmsRequest(
            path=request.path,
            station_id=request.match_info["station_id"],
            evse_id=int(request.match_info["evse_id"]),
            body=await request.json(),
            authorization=request.headers.get("Authorization", ""),
        )
        self.requests.append(item)
        self._arrived.set()
        if item.authorization != f"Bearer {CSMS_TOKEN}":
            return item, web.json_response({"error": "unauthorized"}, status=401)
        if self.behaviour == "error":
            return item, web.json_response({"error": "boom"}, status=500)
        if self.behaviour == "silent":
            await asyncio.sleep(5)
        if self.behaviour == "reject":
            info = {"reasonCode": "InvalidSchedule", "additionalInfo": "mock says no"}
            return item, web.json_response({"response": "Rejected", "statusInfo": info})
        return item, None

    async def _set(self, request: web.Request) -> web.Response:
        item, refusal = await self._record(request)
        if refusal is not None:
            return refusal
        profile = item.body["chargingProfile"]
        self.profiles.setdefault((item.station_id, item.evse_id), {})[profile["id"]] = profile
        return web.json_response({"response": "Accepted"})

    async def _clear(self, request: web.Request) -> web.Response:
        item, refusal = await self._record(request)
        if refusal is not None:
            return refusal
        held = self.profiles.get((item.station_id, item.evse_id), {})
        found = held.pop(item.body.get("chargingProfileId"), None)
        return web.json_response({"response": "Accepted" if found is not None else "Unknown"})

    async def _composite(self, request: web.Request) -> web.Response:
        item, refusal = await self._record(request)
        if refusal is not None:
            return refusal
        schedule = {
            "evseId": item.evse_id,
            "duration": item.body["duration"],
            "scheduleStart": "2030-01-01T00:00:00Z",
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 13.0}],
        }
        return web.json_response({"response": "Accepted", "schedule": schedule})
