"""Lean benchmark stations: raw OCPP-J on one aiohttp websocket each, canned answers.

The full :class:`ocpi_gateway.cli.simulator.SimulatedStation` validates every frame against the
OCPP JSON schemas and keeps a real profile store; in the end-to-end benchmark that cost
about half of what the gateway itself spent per flow, on the same two cores, so the
station process, not the gateway, set the pace. A benchmark peer only has to speak the
protocol correctly enough for the gateway: this one parses each frame once, dispatches on
the action, answers from pre-built text and calls ``time.time()`` only when it accepts a
SetChargingProfile (the bench's "added latency" is measured from that moment).

What it sends at bring-up copies :class:`SimulatedStation` exactly (BootNotification,
StatusNotification, and 2.0.1 TransactionEvent Started + Updated or 1.6 StartTransaction +
StatusNotification), so the gateway creates the same sessions with the same ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any
from urllib.parse import quote

import aiohttp

V16 = "ocpp1.6"
V201 = "ocpp2.0.1"
VENDOR = "ocpi-gateway"
CONTROLLER = "SmartChargingCtrlr"
CALL, RESULT, ERROR = 2, 3, 4

# What the station reports (the SimulatedStation defaults).
V201_VARIABLES = {
    "Available": "true",
    "Enabled": "true",
    "RateUnit": "A,W",
    "PeriodsPerSchedule": "24",
    "ProfileStackLevel": "10",
    "Entries": "0",
}
V16_CONFIGURATION = {
    "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
    "ChargeProfileMaxStackLevel": "10",
    "ChargingScheduleMaxPeriods": "24",
    "MaxChargingProfilesInstalled": "32",
    "SupportedFeatureProfiles": "Core,SmartCharging",
    "NumberOfConnectors": "1",
}
FALLBACK_SCHEDULE: dict[str, Any] = {
    "chargingRateUnit": "A",
    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32.0}],
}

# Tails of pre-built CALLRESULTs: ``"[3," + quoted id + tail``.
_ACCEPTED_TAIL = ',{"status":"Accepted"}]'


class CallFailed(Exception):
    """The gateway answered one of the station's CALLs with a CALLERROR."""


def now_text() -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``, as ``ocpi_gateway.timeutil.format_utc`` renders it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(uid: str, code: str, description: str) -> str:
    return f"[4,{encode_basestring(uid)},{json.dumps(code)},{json.dumps(description)},{{}}]"


class LeanStation:
    """One station: a websocket, a reader task and the CALLs it is waiting on."""

    __slots__ = (
        "_next_id",
        "answers",
        "interval",
        "pending",
        "protocol",
        "reader",
        "schedule",
        "station_id",
        "ws",
    )

    def __init__(self, station_id: str, protocol: str, answers: dict[str, list[float]]) -> None:
        self.station_id = station_id
        self.protocol = protocol
        self.answers = answers  # shared by the fleet: station id -> Accepted SetChargingProfile times
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.pending: dict[str, asyncio.Future[Any]] = {}
        # The last accepted schedule (camelCase), answered by GetCompositeSchedule.
        self.schedule: dict[str, Any] = FALLBACK_SCHEDULE
        self.reader: asyncio.Task[None] | None = None
        self.interval = 0  # the heartbeat interval the gateway gave at boot
        self._next_id = 0

    # --- bring-up --------------------------------------------------------------------

    async def connect(self, session: aiohttp.ClientSession, url: str) -> None:
        """Open the websocket, start reading, boot and report the connector(s).

        Raises:
            aiohttp.ClientError: the handshake failed.
            RuntimeError: the gateway did not agree on the subprotocol.
            CallFailed: the gateway answered a CALL with a CALLERROR.
        """
        target = f"{url.rstrip('/')}/{quote(self.station_id, safe='')}"
        ws = await session.ws_connect(target, protocols=[self.protocol], autoping=True)
        if ws.protocol != self.protocol:
            await ws.close()
            raise RuntimeError(f"{target}: the gateway did not accept {self.protocol}")
        self.ws = ws
        self.reader = asyncio.create_task(self._read(ws))
        await self._boot()
        stamp = now_text()
        if self.protocol == V16:
            for connector in (0, 1):
                await self.call("StatusNotification", _status_v16(connector, "Available", stamp))
        else:
            await self.call(
                "StatusNotification",
                {"timestamp": stamp, "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
            )

    async def _boot(self) -> None:
        if self.protocol == V16:
            payload: dict[str, Any] = {"chargePointModel": "SimCP", "chargePointVendor": VENDOR}
        else:
            payload = {"chargingStation": {"model": "SimCS", "vendorName": VENDOR}, "reason": "PowerUp"}
        while True:
            result = await self.call("BootNotification", payload)
            if result.get("status") == "Accepted":
                self.interval = int(result.get("interval", 0))
                return
            await asyncio.sleep(max(1, int(result.get("interval", 1))))

    async def start_transaction(self, id_tag: str = "TAG1") -> str:
        """Start a transaction on connector/EVSE 1; its id as text (1.6: the gateway's integer)."""
        started = now_text()
        if self.protocol == V16:
            payload = {"connectorId": 1, "idTag": id_tag, "meterStart": 0, "timestamp": started}
            tx_id = str((await self.call("StartTransaction", payload))["transactionId"])
            await self.call("StatusNotification", _status_v16(1, "Charging", now_text()))
            return tx_id
        tx_id = uuid.uuid4().hex
        energy = {"value": 0, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}}
        begin = {
            "eventType": "Started",
            "timestamp": started,
            "triggerReason": "Authorized",
            "seqNo": 0,
            "transactionInfo": {"transactionId": tx_id, "chargingState": "EVConnected"},
            "evse": {"id": 1, "connectorId": 1},
            "idToken": {"idToken": id_tag, "type": "ISO14443"},
            "meterValue": [{"timestamp": started, "sampledValue": [energy]}],
        }
        await self.call("TransactionEvent", begin)
        charging = {
            "eventType": "Updated",
            "timestamp": now_text(),
            "triggerReason": "ChargingStateChanged",
            "seqNo": 1,
            "transactionInfo": {"transactionId": tx_id, "chargingState": "Charging"},
        }
        await self.call("TransactionEvent", charging)
        return tx_id

    def _frame(self, action: str, payload: dict[str, Any]) -> tuple[str, str]:
        self._next_id += 1
        uid = f"{self.station_id}-{self._next_id}"
        return uid, json.dumps([CALL, uid, action, payload], separators=(",", ":"))

    async def call(self, action: str, payload: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        """Send a CALL and wait for its CALLRESULT payload.

        Raises:
            CallFailed: the gateway answered with a CALLERROR.
            TimeoutError: no answer within ``timeout`` seconds.
        """
        assert self.ws is not None
        uid, text = self._frame(action, payload)
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[uid] = waiter
        try:
            await self.ws.send_str(text)
            async with asyncio.timeout(timeout):
                result: dict[str, Any] = await waiter
        finally:
            self.pending.pop(uid, None)
        return result

    async def send_only(self, action: str, payload: dict[str, Any]) -> None:
        """Send a CALL whose answer nobody waits for (the heartbeat)."""
        if self.ws is not None and not self.ws.closed:
            await self.ws.send_str(self._frame(action, payload)[1])

    # --- the receive loop --------------------------------------------------------------

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        text_type = aiohttp.WSMsgType.TEXT
        loads = json.loads
        while True:
            msg = await ws.receive()
            if msg.type is not text_type:
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    break
                continue
            frame = loads(msg.data)
            kind = frame[0]
            if kind == CALL:
                await ws.send_str(self._answer(frame[1], frame[2], frame[3]))
            else:
                waiter = self.pending.get(frame[1])
                if waiter is not None and not waiter.done():
                    if kind == RESULT:
                        waiter.set_result(frame[2])
                    else:
                        waiter.set_exception(CallFailed(f"{self.station_id}: {frame[2:]}"))
        for waiter in self.pending.values():
            if not waiter.done():
                waiter.set_exception(ConnectionError(f"{self.station_id}: websocket closed"))

    def _answer(self, uid: str, action: str, payload: dict[str, Any]) -> str:
        """The reply frame to one CALL from the gateway."""
        if action == "SetChargingProfile":
            profile = payload.get("chargingProfile") or payload.get("csChargingProfiles") or {}
            schedule = profile.get("chargingSchedule")
            if isinstance(schedule, list):  # 2.0.1: a list, of which only the first is used
                schedule = schedule[0] if schedule else None
            if isinstance(schedule, dict):
                self.schedule = schedule
            stamp = time.time()
            times = self.answers.get(self.station_id)
            if times is None:
                self.answers[self.station_id] = [stamp]
            else:
                times.append(stamp)
            return "[3," + encode_basestring(uid) + _ACCEPTED_TAIL
        if action == "ClearChargingProfile":
            return "[3," + encode_basestring(uid) + _ACCEPTED_TAIL
        handler = _OTHER_CALLS.get(action)
        if handler is None:
            return _error(uid, "NotImplemented", f"{action} is not implemented by the lean bench station")
        return "[3," + encode_basestring(uid) + "," + json.dumps(handler(self, payload)) + "]"

    # --- the rarer CALLs ----------------------------------------------------------------

    def composite(self, payload: dict[str, Any]) -> dict[str, Any]:
        """GetCompositeSchedule: the last accepted schedule's periods within ``duration``, from now."""
        schedule = self.schedule
        duration = int(payload.get("duration", 0))
        periods = [
            {"startPeriod": p["startPeriod"], "limit": p["limit"]}
            for p in schedule["chargingSchedulePeriod"]
            if p["startPeriod"] == 0 or p["startPeriod"] < duration
        ]
        unit = schedule.get("chargingRateUnit", "A")
        if self.protocol == V16:
            connector = payload.get("connectorId", 1)
            body = {"duration": duration, "chargingRateUnit": unit, "chargingSchedulePeriod": periods}
            return {
                "status": "Accepted",
                "connectorId": connector,
                "scheduleStart": now_text(),
                "chargingSchedule": body,
            }
        return {
            "status": "Accepted",
            "schedule": {
                "evseId": payload.get("evseId", 1),
                "duration": duration,
                "scheduleStart": now_text(),
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": periods,
            },
        }

    def get_variables(self, payload: dict[str, Any]) -> dict[str, Any]:
        """2.0.1 GetVariables on SmartChargingCtrlr (what the gateway's capability probe asks)."""
        results = []
        for item in payload.get("getVariableData", []):
            component, variable = item["component"], item["variable"]
            attribute = item.get("attributeType") or "Actual"
            result = {"component": component, "variable": variable, "attributeType": attribute}
            value = V201_VARIABLES.get(variable.get("name", ""))
            if component.get("name") != CONTROLLER:
                result["attributeStatus"] = "UnknownComponent"
            elif value is None:
                result["attributeStatus"] = "UnknownVariable"
            elif attribute != "Actual":
                result["attributeStatus"] = "NotSupportedAttributeType"
            else:
                result |= {"attributeStatus": "Accepted", "attributeValue": value}
            results.append(result)
        return {"getVariableResult": results}

    def get_configuration(self, payload: dict[str, Any]) -> dict[str, Any]:
        """1.6 GetConfiguration (what the gateway's capability probe asks)."""
        wanted = payload.get("key") or list(V16_CONFIGURATION)
        answer: dict[str, Any] = {
            "configurationKey": [
                {"key": k, "readonly": True, "value": V16_CONFIGURATION[k]}
                for k in wanted
                if k in V16_CONFIGURATION
            ]
        }
        unknown = [k for k in wanted if k not in V16_CONFIGURATION]
        if unknown:
            answer["unknownKey"] = unknown
        return answer

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader


def _status_v16(connector: int, status: str, stamp: str) -> dict[str, Any]:
    return {"connectorId": connector, "errorCode": "NoError", "status": status, "timestamp": stamp}


_OTHER_CALLS: dict[str, Callable[[LeanStation, dict[str, Any]], dict[str, Any]]] = {
    "GetCompositeSchedule": LeanStation.composite,
    "GetVariables": LeanStation.get_variables,
    "GetConfiguration": LeanStation.get_configuration,
}
