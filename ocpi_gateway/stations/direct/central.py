"""What the gateway's CSMS-side ChargePoints share, whatever their OCPP version.

* a typed ``on`` decorator (the ``ocpp`` one is untyped and would make every handler
  ``Any`` under mypy --strict);
* ``route_message`` taken over from the ``ocpp`` package so that no frame can end
  ``start()`` (and with it the station's connection) or grow memory: the envelope is read
  by :mod:`.frames`, which names the OCPP-J answer for a broken one; an unknown action gets
  ``NotImplemented`` and a known one without a handler ``NotSupported`` (the package has the
  two swapped); a handler that fails answers ``InternalError``; a CALLRESULT or CALLERROR
  resolves the future of the call it answers, and a stray or repeated one is dropped;
* ``call`` taken over too: the frame is built by ``translate.wire`` without the package's
  schema check of our own payload (about 0.6 ms for a 2.0.1 SetChargingProfile, once the
  largest single cost of a flow; ``tests/translate`` checks the translation against the same
  schemas); what the station answers is still checked, here, before ``call()`` returns it
  (:mod:`.answers` keeps the verdict on an answer equal to one that passed before);
* the station's identity as learnt at boot, for ``GET /admin/stations``.

Handlers here and in the version modules answer at once and never ``await self.call()``:
``start()`` awaits each handler before reading the next frame, so a call from inside a
handler would wait for an answer nobody reads.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

import structlog
from aiohttp import WSCloseCode
from ocpp.charge_point import ChargePoint, camel_to_snake_case
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, CallResult
from ocpp.routing import on as _ocpp_on
from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201

from ocpi_gateway.config import Settings
from ocpi_gateway.errors import StationDisconnected
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.direct.answers import checked_answers
from ocpi_gateway.stations.direct.frames import (
    CALL,
    CALLRESULT,
    BadFrame,
    Frame,
    call_error,
    read_frame,
    spelled_for,
)
from ocpi_gateway.timeutil import format_utc, parse_utc, utcnow
from ocpi_gateway.translate.wire import encode_call

log = structlog.get_logger(__name__)

Handler = TypeVar("Handler", bound=Callable[..., Any])

# The gateway's own deadline (``StationLink.call(timeout=...)``) governs every call; the
# package's per-call timeout only has to be longer than any of ours.
PACKAGE_RESPONSE_TIMEOUT = 24 * 3600

_KNOWN_ACTIONS: dict[str, frozenset[str]] = {
    "1.6": frozenset(action.value for action in Action16),
    "2.0.1": frozenset(action.value for action in Action201),
}


def on(action: str) -> Callable[[Handler], Handler]:
    """``ocpp.routing.on`` with its type kept, so handlers stay type-checked."""
    return cast(Callable[[Handler], Handler], _ocpp_on(action))


class GatewayChargePoint(ChargePoint):  # type: ignore[misc]  # ocpp ships no type information
    """Base of :class:`~ocpi_gateway.stations.direct.v16.StationV16` and ``v201.StationV201``."""

    def __init__(
        self, station_id: str, connection: Any, *, sessions: SessionRegistry, settings: Settings
    ) -> None:
        super().__init__(station_id, connection, response_timeout=PACKAGE_RESPONSE_TIMEOUT)
        self.station_id = station_id
        self.sessions = sessions
        self.settings = settings
        self.vendor: str | None = None
        self.model: str | None = None
        self.details: dict[str, str] = {}
        # message id -> (action, the future its answer resolves)
        self._awaiting: dict[str, tuple[str, asyncio.Future[CallResult | CallError]]] = {}
        self._bad_frames = 0  # broken frames on this connection (ocpp.max_bad_frames closes it)

    async def call(
        self,
        payload: Any,
        suppress: bool = True,
        unique_id: str | None = None,
        skip_schema_validation: bool = False,
    ) -> Any:
        """Send one CALL and return the package's ``call_result`` dataclass for its answer.

        Replaces the package's ``call``: the frame is built by :mod:`ocpi_gateway.translate.wire` without the
        package's schema check of our own payload (see the module docstring); the answer is
        checked in :meth:`_route_response` and handed over through a future of its own, so
        no response queue, queue-reading task or package timeout is involved. Callers
        (``DirectLink``) hold the one-call-at-a-time turn and the deadline; closing the link
        fails the future (:meth:`fail_waiting`). ``skip_schema_validation`` is kept for the
        package's signature only.
        """
        unique_id = unique_id or str(uuid.uuid4())
        action = type(payload).__name__
        text = encode_call(unique_id, payload)
        answer: asyncio.Future[CallResult | CallError] = asyncio.get_running_loop().create_future()
        self._awaiting[unique_id] = (action, answer)
        try:
            await self._send(text)
            response = await answer
        finally:
            self._awaiting.pop(unique_id, None)
        if isinstance(response, CallError):
            if suppress:
                return None
            raise response.to_exception()
        return getattr(self._call_result, action)(**camel_to_snake_case(response.payload))

    def fail_waiting(self, error: Exception) -> None:
        """Fail every call waiting for an answer (the socket is gone)."""
        for _, answer in self._awaiting.values():
            if not answer.done():
                answer.set_exception(error)

    async def route_message(self, raw_msg: str) -> None:
        """Route one frame; nothing one frame does may end the station's receive loop."""
        frame = read_frame(raw_msg, self._ocpp_version)
        if isinstance(frame, Frame):  # every line about this frame names its OCPP message id
            structlog.contextvars.bind_contextvars(ocpp_message_id=frame.unique_id)
        try:
            if isinstance(frame, BadFrame):
                log.warning(
                    "ocpp_frame_rejected",
                    station_id=self.station_id,
                    reason=frame.reason,
                    size=len(raw_msg),
                    answered=frame.answer is not None,
                )
                if frame.answer is not None:
                    await self._send(frame.answer)
                await self._count_bad_frame()
            elif frame.message_type == CALL:
                await self._route_call(frame)
            else:
                await self._route_response(frame)
        except StationDisconnected:
            log.info("ocpp_reply_not_sent", station_id=self.station_id)
        except Exception:
            log.exception("ocpp_frame_failed", station_id=self.station_id, size=len(raw_msg))
            if isinstance(frame, Frame) and frame.message_type == CALL:
                await self._send_quietly(call_error(frame.unique_id, "InternalError", "the CSMS failed"))
        finally:
            structlog.contextvars.unbind_contextvars("ocpp_message_id")

    async def _count_bad_frame(self) -> None:
        """Close the socket (1002, protocol error) once the station has sent too many broken frames.

        Each broken frame is answered first, so a station's developer sees why; a station that
        keeps sending them is broken or hostile, and answering forever would keep its cost on us.
        """
        self._bad_frames += 1
        limit = self.settings.ocpp.max_bad_frames
        if self._bad_frames >= limit:
            log.warning("ocpp_bad_frames_closed", station_id=self.station_id, bad_frames=self._bad_frames)
            await self._connection.close(
                WSCloseCode.PROTOCOL_ERROR, f"too many malformed OCPP-J frames ({limit})"
            )

    async def _route_call(self, frame: Frame) -> None:
        """Answer a CALL: NotImplemented/NotSupported without a handler, else run the handler."""
        handlers = self.route_map.get(frame.action)
        if not handlers or "_on_action" not in handlers:
            known = frame.action in _KNOWN_ACTIONS.get(self._ocpp_version, frozenset())
            code = "NotSupported" if known else "NotImplemented"
            log.info("ocpp_action_refused", station_id=self.station_id, action=frame.action[:64], code=code)
            await self._send(call_error(frame.unique_id, code, f"{frame.action[:64]} is not handled"))
            return
        message = Call(frame.unique_id, frame.action, frame.payload)
        try:
            await self._handle_call(message)
        except OCPPError as error:  # schema violations and the like: the package's codes, 1.6 spelling
            code = spelled_for(error.code, self._ocpp_version)
            log.info("ocpp_call_invalid", station_id=self.station_id, action=frame.action, code=code)
            await self._send(CallError(frame.unique_id, code, error.description, error.details).to_json())

    async def _route_response(self, frame: Frame) -> None:
        """Hand the answer to the waiting ``call()``; drop answers nobody waits for.

        A CALLRESULT that breaks its schema reaches the caller as the CALLERROR the package
        would have raised for it (``FormatViolation`` and the like).
        """
        waiting = self._awaiting.pop(frame.unique_id, None)  # a repeated answer is unexpected too
        if waiting is None or waiting[1].done():
            log.info("ocpp_unexpected_response", station_id=self.station_id, message_id=frame.unique_id)
            return
        action, answer = waiting
        if frame.message_type == CALLRESULT:
            result = CallResult(frame.unique_id, frame.payload, action)
            try:
                await checked_answers.check(result, self._ocpp_version)
            except OCPPError as error:
                log.info("ocpp_result_invalid", station_id=self.station_id, action=action, code=error.code)
                answer.set_result(CallError(frame.unique_id, error.code, error.description, error.details))
                return
            answer.set_result(result)
        else:
            assert frame.error is not None  # read_frame fills it for every CALLERROR
            answer.set_result(CallError(frame.unique_id, *frame.error))

    async def _send_quietly(self, text: str) -> None:
        try:
            await self._send(text)
        except StationDisconnected:
            log.info("ocpp_reply_not_sent", station_id=self.station_id)

    def remember_boot(self, vendor: str | None, model: str | None, **details: str | None) -> None:
        """Keep what the station said about itself at boot (shown by the admin API)."""
        self.vendor, self.model = vendor, model
        self.details = {key: value for key, value in details.items() if value}
        log.info("station_booted", station_id=self.station_id, vendor=vendor, model=model)

    @staticmethod
    def now_text() -> str:
        """The current time as OCPP wants it in Boot/Heartbeat answers."""
        return format_utc(utcnow())

    @staticmethod
    def timestamp(text: Any) -> datetime | None:
        """A station timestamp, or None (= now) when it is missing or unreadable."""
        if not isinstance(text, str):
            return None
        try:
            return parse_utc(text)
        except ValueError:
            return None
