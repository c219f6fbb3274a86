"""The OCPI response envelope: every OCPI answer, success or error, is wrapped in it.

Kept apart from the views so the error middleware and the views render the same shape,
with the same ``YYYY-MM-DDTHH:MM:SSZ`` timestamp (OCPI forbids ``+00:00`` offsets).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ocpi_gateway.timeutil import format_utc, utcnow

JSON_CONTENT_TYPE = "application/json"


def envelope(
    data: Any = None, *, status_code: int = 1000, status_message: str | None = None
) -> dict[str, Any]:
    """Build ``{data?, status_code, status_message?, timestamp}``.

    ``data`` is left out when ``None``: OCPI 2.2.1-d2 asks senders to omit fields the
    endpoint does not define rather than send ``null``.
    """
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    body["status_code"] = status_code
    if status_message is not None:
        body["status_message"] = status_message
    body["timestamp"] = format_utc(utcnow())
    return body


def json_response(
    data: Any = None,
    *,
    status_code: int = 1000,
    status_message: str | None = None,
    http_status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """An ``application/json`` response carrying an envelope, serialised with the stdlib."""
    return web.json_response(
        envelope(data, status_code=status_code, status_message=status_message),
        status=http_status,
        headers=headers,
        dumps=json.dumps,
    )
