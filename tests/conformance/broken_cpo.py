"""A small OCPI 2.2.1 CPO for the conformance tests that gets everything right, except one named fault.

With ``fault=None`` every required check of the kit passes against it; each fault breaks exactly
one rule, so a test can show that the check about that rule fails, and only it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from ocpi_gateway.partners.parties import encode_token, token_candidates
from ocpi_gateway.timeutil import format_utc, utcnow

TOKEN_C = "broken-cpo-token-c"  # test value: what the kit calls us with
TOKEN_B = "broken-cpo-token-b"  # test value: what we POST results with
SESSION = "S-1"
TIMEOUT = 2


@dataclass
class BrokenCpo:
    """The CPO and the fault it has (``None``: none)."""

    fault: str | None = None
    base_url: str = ""
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ocpi/versions", self.versions)
        app.router.add_get("/ocpi/2.2.1", self.details)
        app.router.add_route("*", "/ocpi/2.2.1/chargingprofiles/{session_id}", self.profiles)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- answers -------------------------------------------------------------------------

    def envelope(self, data: Any = None, status_code: int = 1000, http: int = 200) -> web.Response:
        stamp = format_utc(utcnow())
        if self.fault == "envelope_offset":
            stamp = stamp.replace("Z", "+00:00")
        body: dict[str, Any] = {"status_code": status_code, "timestamp": stamp}
        if data is not None:
            body["data"] = data
        return web.json_response(body, status=http)

    def authorised(self, request: web.Request) -> bool:
        return self.fault == "no_401" or TOKEN_C in token_candidates(request.headers.get("Authorization"))

    async def versions(self, request: web.Request) -> web.Response:
        if not self.authorised(request):
            return self.envelope(status_code=2000, http=401)
        return self.envelope([{"version": "2.2.1", "url": f"{self.base_url}/ocpi/2.2.1"}])

    async def details(self, request: web.Request) -> web.Response:
        if not self.authorised(request):
            return self.envelope(status_code=2000, http=401)
        role = "SENDER" if self.fault == "no_receiver" else "RECEIVER"
        url = f"{self.base_url}/ocpi/2.2.1/chargingprofiles"
        return self.envelope(
            {"version": "2.2.1", "endpoints": [{"identifier": "chargingprofiles", "role": role, "url": url}]}
        )

    async def profiles(self, request: web.Request) -> web.Response:
        if not self.authorised(request):
            return self.envelope(status_code=2000, http=401)
        if self.fault == "slow":
            await asyncio.sleep(1.1)
        session_id = request.match_info["session_id"]
        body: dict[str, Any] = {}
        if request.method == "PUT":
            try:
                body = json.loads(await request.read())
                unit = body["charging_profile"]["charging_rate_unit"]
                url = body["response_url"]
                if unit not in ("A", "W") or not isinstance(url, str):
                    raise ValueError(unit)
            except (ValueError, KeyError, TypeError):
                if self.fault == "malformed_accepted":
                    return self.envelope({"result": "ACCEPTED", "timeout": TIMEOUT})
                return self.envelope(status_code=2001, http=400)
        else:
            url = request.query["response_url"]
            unit = None
        if session_id != SESSION:
            result = "ACCEPTED" if self.fault == "unknown_accepted" else "UNKNOWN_SESSION"
            return self.envelope({"result": result, "timeout": 0})
        timeout: Any = TIMEOUT
        if self.fault == "string_timeout" and unit == "W":
            timeout = str(TIMEOUT)
        task = asyncio.create_task(self.post_result(request.method, unit, url, request.headers))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return self.envelope({"result": "ACCEPTED", "timeout": timeout})

    async def post_result(self, method: str, unit: str | None, url: str, asked: Any) -> None:
        """The asynchronous result, as OCPI asks, unless the fault says otherwise."""
        await asyncio.sleep(0.1)
        if method == "PUT" and unit == "W" and self.fault in ("no_result", "string_timeout"):
            return
        body: dict[str, Any] = {"result": "ACCEPTED"}
        if method == "GET":
            start = format_utc(utcnow())
            if self.fault == "profile_offset":
                start = start.replace("Z", "+00:00")
            periods = [{"start_period": 0, "limit": 16.0}, {"start_period": 900, "limit": 10.0}]
            if self.fault == "periods_descending":
                periods = [{"start_period": 0, "limit": 16.0}, {"start_period": 900, "limit": 10.0},
                           {"start_period": 600, "limit": 8.0}]  # fmt: skip
            body["profile"] = {
                "start_date_time": start,
                "charging_profile": {"charging_rate_unit": "A", "charging_profile_period": periods},
            }
        if method == "PUT" and unit == "A" and self.fault == "wrong_result_object":
            body = {"result": "OK", "status": "fine"}
        headers = {
            "Authorization": f"Token {TOKEN_B}" if self.fault == "raw_token" else encode_token(TOKEN_B),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": asked.get("X-Correlation-ID", ""),
            "OCPI-from-country-code": "NL",
            "OCPI-from-party-id": "CPO",
            "OCPI-to-country-code": asked.get("OCPI-from-country-code", ""),
            "OCPI-to-party-id": asked.get("OCPI-from-party-id", ""),
        }
        if self.fault == "wrong_correlation":
            headers["X-Correlation-ID"] = str(uuid.uuid4())
        if self.fault == "no_routing_headers":
            headers = {k: v for k, v in headers.items() if not k.startswith("OCPI-")}
        if self.fault == "late_result" and method == "PUT" and unit == "W":
            await asyncio.sleep(TIMEOUT + 0.3)
        async with httpx.AsyncClient() as client:
            await client.post(url, json=body, headers=headers)
            if self.fault == "two_results" and method == "PUT" and unit == "W":
                await client.post(url, json=body, headers=headers)
