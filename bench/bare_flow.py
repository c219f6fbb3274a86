"""The floor a flow cannot go below: the same flow with nothing but the I/O.

An aiohttp process that does only what every flow must do on the wire: take the OCPI PUT and
answer ``ACCEPTED``, send one SetChargingProfile frame over the station's websocket, wait for
the answer and POST a result to the ``response_url``. No validation, no storage, no logging, no
metrics, no translation: whatever the gateway spends above this per flow is the price of what it
does besides the I/O, and ``make bench`` prints the gateway's CPU per flow as a multiple of it.

It speaks just enough OCPP-J for the bench stations (boot, status, transactions) to bring up
their sessions: the OCPI session id is the 2.0.1 transaction id, or the 1.6 integer it hands out.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from typing import Any

import aiohttp
from aiohttp import web

from bench.baseline import health  # the same answer as the bare baseline

TOKEN = (
    "Token ZGV2LWdhdGV3YXktdG9rZW4tYg=="  # base64 of the mock SCSP's default token, as the gateway sends it
)
PROFILE_ID = 1000


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Bare:
    """Stations by session id, the calls in flight, one HTTP client for the results."""

    def __init__(self) -> None:
        self.by_session: dict[str, tuple[web.WebSocketResponse, str]] = {}
        self.waiting: dict[str, asyncio.Future[Any]] = {}
        self.ids = itertools.count(1)
        self.tx_ids = itertools.count(1)
        self.client: aiohttp.ClientSession | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def put(self, request: web.Request) -> web.Response:
        body = await request.json()
        session_id = request.match_info["session_id"]
        task = asyncio.create_task(self.flow(session_id, body))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        answer = {"data": {"result": "ACCEPTED", "timeout": 60}, "status_code": 1000, "timestamp": _now()}
        return web.Response(text=json.dumps(answer), content_type="application/json")

    async def flow(self, session_id: str, body: dict[str, Any]) -> None:
        ws, protocol = self.by_session[session_id]
        profile = body["charging_profile"]
        schedule = {
            "id": PROFILE_ID,
            "chargingRateUnit": profile["charging_rate_unit"],
            "chargingSchedulePeriod": [
                {"startPeriod": p["start_period"], "limit": p["limit"]}
                for p in profile["charging_profile_period"]
            ],
        }
        if protocol == "ocpp1.6":
            payload: dict[str, Any] = {
                "connectorId": 1,
                "csChargingProfiles": {
                    "chargingProfileId": PROFILE_ID, "transactionId": int(session_id), "stackLevel": 1,
                    "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
                    "chargingSchedule": {k: v for k, v in schedule.items() if k != "id"},
                },
            }  # fmt: skip
        else:
            payload = {
                "evseId": 1,
                "chargingProfile": {
                    "id": PROFILE_ID, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
                    "chargingProfileKind": "Relative", "transactionId": session_id,
                    "chargingSchedule": [schedule],
                },
            }  # fmt: skip
        uid = str(next(self.ids))
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting[uid] = waiter
        await ws.send_str(json.dumps([2, uid, "SetChargingProfile", payload], separators=(",", ":")))
        answer = await waiter
        result = {"result": "ACCEPTED" if answer.get("status") == "Accepted" else "REJECTED"}
        assert self.client is not None
        async with self.client.post(body["response_url"], json=result, headers={"Authorization": TOKEN}) as r:
            await r.read()

    async def station(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("ocpp2.0.1", "ocpp1.6"))
        await ws.prepare(request)
        protocol = ws.ws_protocol or "ocpp1.6"
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            if frame[0] == 2:  # a CALL from the station
                answer = self.answer(ws, protocol, frame[2], frame[3])
                await ws.send_str(json.dumps([3, frame[1], answer], separators=(",", ":")))
            elif (waiter := self.waiting.pop(frame[1], None)) is not None:
                waiter.set_result(frame[2] if frame[0] == 3 else {})
        return ws

    def answer(self, ws: web.WebSocketResponse, protocol: str, action: str, payload: dict[str, Any]) -> Any:
        if action == "BootNotification":
            return {"status": "Accepted", "currentTime": _now(), "interval": 300}
        if action == "Heartbeat":
            return {"currentTime": _now()}
        if action == "StartTransaction":
            tx_id = next(self.tx_ids)
            self.by_session[str(tx_id)] = (ws, protocol)
            return {"transactionId": tx_id, "idTagInfo": {"status": "Accepted"}}
        if action == "TransactionEvent":
            self.by_session[payload["transactionInfo"]["transactionId"]] = (ws, protocol)
            return {}
        return {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    bare = Bare()

    async def client_ctx(_app: web.Application) -> Any:
        bare.client = aiohttp.ClientSession()
        yield
        await bare.client.close()

    app = web.Application()
    app.cleanup_ctx.append(client_ctx)
    app.router.add_put("/ocpi/2.2.1/chargingprofiles/{session_id}", bare.put)
    app.router.add_get("/ocpp/{station_id}", bare.station)
    app.router.add_get("/health", health)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
