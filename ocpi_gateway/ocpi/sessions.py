"""The Sessions module, Sender interface (the CPO owns sessions): ``GET /ocpi/2.2.1/sessions``.

A paginated list of the sessions the calling partner may steer (``ownership.may_steer``),
whose ``last_updated`` lies in ``[date_from, date_to)``, oldest change first. ``date_from``
is required (the module text marks it so); ``offset`` defaults to 0 and ``limit`` to
:data:`MAX_LIMIT`, which is also its cap. The answer carries ``X-Total-Count`` (all matching
sessions), ``X-Limit`` (the limit applied) and, unless this is the last page,
``Link: <next page URL>; rel="next"`` with the same filters.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlencode

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from ocpi_gateway.appkeys import SESSIONS, SETTINGS
from ocpi_gateway.errors import InvalidParameters
from ocpi_gateway.models.ocpi import OcpiDateTime
from ocpi_gateway.ocpi import versions
from ocpi_gateway.partners.ownership import may_steer
from ocpi_gateway.sessions.objects import last_updated, to_ocpi_session
from ocpi_gateway.web.envelope import json_response
from ocpi_gateway.web.middlewares import require_party

SESSIONS_PATH = versions.SESSIONS_PATH
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000_000

_DATETIME: TypeAdapter[datetime] = TypeAdapter(OcpiDateTime)
_DIGITS = re.compile(r"[0-9]{1,10}")


def _date(request: web.Request, name: str) -> datetime | None:
    """A date-time query parameter, ``None`` when absent."""
    raw = request.query.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return _DATETIME.validate_python(raw.strip())
    except ValidationError:
        raise InvalidParameters(f"{name}: must be an RFC 3339 date-time (2024-05-01T12:00:00Z)") from None


def _count(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or not raw.strip():
        return default
    if not _DIGITS.fullmatch(raw.strip()) or not low <= int(raw) <= high:
        raise InvalidParameters(f"{name}: must be a whole number from {low} to {high}")
    return int(raw)


async def get_sessions(request: web.Request) -> web.Response:
    """``GET /ocpi/2.2.1/sessions?date_from=&date_to=&offset=&limit=``: one page of Session objects."""
    party = await require_party(request)
    date_from = _date(request, "date_from")
    if date_from is None:
        raise InvalidParameters("date_from: required query parameter")
    date_to = _date(request, "date_to")
    offset = _count(request, "offset", 0, 0, MAX_OFFSET)
    limit = min(_count(request, "limit", MAX_LIMIT, 1, MAX_OFFSET), MAX_LIMIT)
    settings = request.app[SETTINGS]
    token_owners = settings.ocpi.token_owners
    matching = sorted(
        (
            s
            for s in await request.app[SESSIONS].list_sessions()
            if may_steer(party, s, token_owners)
            and last_updated(s) >= date_from
            and (date_to is None or last_updated(s) < date_to)
        ),
        key=lambda s: (last_updated(s), s.session_id),
    )
    page = matching[offset : offset + limit]
    headers = {"X-Total-Count": str(len(matching)), "X-Limit": str(limit)}
    if offset + limit < len(matching):
        query = {k: request.query[k].strip() for k in ("date_from", "date_to") if request.query.get(k)}
        query |= {"offset": str(offset + limit), "limit": str(limit)}
        headers["Link"] = f'<{settings.http.base_url}{SESSIONS_PATH}?{urlencode(query)}>; rel="next"'
    body = [to_ocpi_session(s, settings).to_json_dict() for s in page]
    return json_response(body, headers=headers)
