"""A smart-charging service on the MQTT bus: answers the gateway's requests, for the tests.

It subscribes to the request topic with its own ``aiomqtt`` connection, records every
request and publishes a response with the same id on the reply topic. ``behaviour``:
``accept``, ``reject``, ``unknown``, ``silent`` (no answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit

import aiomqtt


class SmartChargingResponder:
    def __init__(self, url: str, request_topic: str, response_topic: str) -> None:
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 1883
        self.request_topic = request_topic
        self.response_topic = response_topic
        self.behaviour = "accept"
        self.requests: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._serve())
        async with asyncio.timeout(5):
            await self._ready.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def next_request(self, name: str, timeout: float = 5.0) -> dict[str, Any]:
        """The first recorded request called ``name`` (waiting for it)."""
        async with asyncio.timeout(timeout):
            while True:
                found = [r for r in self.requests if r["name"] == name]
                if found:
                    return found[0]
                self._arrived.clear()
                await self._arrived.wait()

    async def _serve(self) -> None:
        async with aiomqtt.Client(self._host, self._port, identifier="smart-charging-responder") as client:
            await client.subscribe(self.request_topic, qos=1)
            self._ready.set()
            async for message in client.messages:
                request = json.loads(message.payload if isinstance(message.payload, bytes | str) else b"{}")
                if request.get("type") != "request":
                    continue
                self.requests.append(request)
                self._arrived.set()
                if self.behaviour == "silent":
                    continue
                response = {
                    "id": request["id"],
                    "name": request["name"],
                    "type": "response",
                    "data": self._data(request),
                }
                await client.publish(self.response_topic, json.dumps(response), qos=1)

    def _data(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.behaviour == "reject":
            return {"status": "rejected", "status_info": {"reason_code": "NoCapacity"}}
        if self.behaviour == "unknown":
            return {"status": "unknown"}
        if request["name"] == "get_composite_schedule":
            schedule = {
                "evse_id": request["data"]["evse_id"],
                "duration": request["data"]["duration"],
                "schedule_start": "2030-01-01T00:00:00Z",
                "charging_rate_unit": "W",
                "charging_schedule_period": [{"start_period": 0, "limit": 7400.0}],
            }
            return {"status": "accepted", "schedule": schedule}
        return {"status": "accepted"}
