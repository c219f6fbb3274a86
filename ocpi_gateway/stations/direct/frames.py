"""Reading one OCPP-J frame from a station, and the answer the spec names when it is broken.

Pure: text in, a :class:`Frame` (a readable CALL, CALLRESULT or CALLERROR) or a
:class:`BadFrame` out, never an exception. A ``BadFrame`` may carry the CALLERROR to send
back, chosen by OCPP-J:

* 2.0.1 (section 4.2.3): a frame that is not JSON or whose message id cannot be read gets
  ``RpcFrameworkError`` with message id ``"-1"``; an unknown message type number gets
  ``MessageTypeNotSupported``; a CALL whose payload is not an object gets ``FormatViolation``.
* 1.6 names no answer for a frame whose message id cannot be read, nor for unknown message
  types. Silence leaves a station's developer guessing, so the gateway answers them as 2.0.1
  does, with 1.6's own code: ``ProtocolError`` (to message id ``"-1"`` when none can be read).
  A CALL with a readable id but the wrong shape gets ``FormationViolation`` (1.6 spells it so).

Responses (CALLRESULT / CALLERROR) are never answered, whatever is wrong with them. Every
``BadFrame`` counts towards the station's limit of broken frames (``ocpp.max_bad_frames``,
enforced by the caller, which then closes the socket).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CALL, CALLRESULT, CALLERROR = 2, 3, 4
MAX_UNIQUE_ID = 36
UNREADABLE_ID = "-1"


@dataclass(frozen=True)
class Frame:
    """A well-formed frame: ``action`` and ``payload`` for a CALL; ``error`` for a CALLERROR."""

    message_type: int
    unique_id: str
    action: str = ""
    payload: Any = None
    error: tuple[str, str, Any] | None = None


@dataclass(frozen=True)
class BadFrame:
    """A frame that cannot be routed: why (for the log) and the CALLERROR to send, if any."""

    reason: str
    answer: str | None = None


def call_error(unique_id: str, code: str, description: str) -> str:
    """A CALLERROR frame as text (details always ``{}``)."""
    return json.dumps([CALLERROR, unique_id, code, description, {}], separators=(",", ":"))


def _is_201(version: str) -> bool:
    return not version.startswith("1.")


def spelled_for(code: str, version: str) -> str:
    """An OCPP-J error code as the station's version spells it.

    OCPP 1.6 names the code ``FormationViolation`` where 2.0.1 says ``FormatViolation``; the
    ``ocpp`` package's schema check says ``FormatViolation`` for both versions.
    """
    if code == "FormatViolation" and not _is_201(version):
        return "FormationViolation"
    return code


def _readable_id(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_UNIQUE_ID else None


def _unreadable(version: str, reason: str) -> BadFrame:
    """No message id to answer to: the CALLERROR goes to id "-1" (2.0.1's rule, applied to 1.6 too)."""
    code = "RpcFrameworkError" if _is_201(version) else "ProtocolError"
    return BadFrame(reason, call_error(UNREADABLE_ID, code, reason))


def read_frame(raw: str, version: str) -> Frame | BadFrame:
    """Check the OCPP-J envelope of ``raw`` for OCPP ``version`` ("1.6" or "2.0.1")."""
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):  # bad JSON, digits past Python's limit, deep nesting
        return _unreadable(version, "message is not valid JSON")
    if not isinstance(message, list) or not message or type(message[0]) is not int:
        return _unreadable(version, "message is not an array starting with a message type number")
    kind = message[0]
    unique_id = _readable_id(message[1]) if len(message) > 1 else None
    if kind not in (CALL, CALLRESULT, CALLERROR):
        reason = f"message type {kind} is not supported"
        if unique_id is not None:
            code = "MessageTypeNotSupported" if _is_201(version) else "ProtocolError"
            return BadFrame(reason, call_error(unique_id, code, reason))
        return _unreadable(version, reason)
    if unique_id is None:
        if kind == CALL:
            return _unreadable(version, "message id is missing, not a string or longer than 36")
        return BadFrame("response without a readable message id")
    if kind == CALL:
        return _read_call(message, unique_id, version)
    if kind == CALLRESULT:
        if len(message) != 3 or not isinstance(message[2], dict):
            return BadFrame("CALLRESULT is not [3, id, {payload}]")
        return Frame(CALLRESULT, unique_id, payload=message[2])
    if (
        len(message) != 5
        or not isinstance(message[2], str)
        or not isinstance(message[3], str)
        or not isinstance(message[4], dict)
    ):
        return BadFrame("CALLERROR is not [4, id, code, description, {details}]")
    return Frame(CALLERROR, unique_id, error=(message[2], message[3], message[4]))


def _read_call(message: list[Any], unique_id: str, version: str) -> Frame | BadFrame:
    if len(message) != 4 or not isinstance(message[2], str) or not message[2]:
        reason = "CALL is not [2, id, action, {payload}]"
        code = "RpcFrameworkError" if _is_201(version) else "FormationViolation"
        return BadFrame(reason, call_error(unique_id, code, reason))
    if not isinstance(message[3], dict):
        reason = "CALL payload is not a JSON object"
        return BadFrame(reason, call_error(unique_id, spelled_for("FormatViolation", version), reason))
    return Frame(CALL, unique_id, action=message[2], payload=message[3])
