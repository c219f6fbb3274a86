"""The ChargingProfiles Receiver views: parse and check the HTTP request, call Steering, answer.

Knows no OCPP and stores nothing: everything past validation is ``Steering``'s job, so the
same use cases can be driven from other entry points (admin, partner formats).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import structlog
from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from ocpi_gateway.appkeys import SETTINGS, STEERING
from ocpi_gateway.config import Settings
from ocpi_gateway.errors import InvalidParameters
from ocpi_gateway.metrics import OCPI_RESULT
from ocpi_gateway.models.ocpi import (
    ChargingProfileResponse,
    ChargingProfileResponseType,
    ResponseUrl,
    SetChargingProfile,
    describe_validation_error,
    validate_session_id,
)
from ocpi_gateway.web.envelope import json_response
from ocpi_gateway.web.middlewares import parse_body, request_context, require_party

log = structlog.get_logger(__name__)

MAX_DURATION = 86400
OUR_QUERY_PARAMS = frozenset({"duration", "response_url"})

_RESPONSE_URL: TypeAdapter[str] = TypeAdapter(ResponseUrl)
_DIGITS = re.compile(r"[0-9]{1,9}")


def recover_response_url(raw_query: str, parsed: str | None) -> str | None:
    """The ``response_url`` the sender meant, even when it did not percent-encode it.

    OCPI's own example puts an un-encoded URL with its own ``?a=1&b=2`` in the query
    (spec ambiguity §1.6 #3). When the raw text after ``response_url=`` holds a ``&``
    followed by a parameter that is not ours, the parsed value was cut at that ``&``:
    take the raw text up to the next ``&duration=`` (or the end) and percent-decode it.
    """
    marker = "response_url="
    if raw_query.startswith(marker):
        start = len(marker)
    else:
        index = raw_query.find("&" + marker)
        if index < 0:
            return parsed
        start = index + 1 + len(marker)
    remainder = raw_query[start:]
    following = remainder.split("&")[1:]
    if all(part.partition("=")[0] in OUR_QUERY_PARAMS for part in following):
        return parsed
    end = remainder.find("&duration=")
    return unquote(remainder if end < 0 else remainder[:end])


def response_url_from_query(request: web.Request) -> str:
    """The required ``response_url`` query parameter, recovered and validated like the PUT body's.

    Raises:
        InvalidParameters: missing, not an absolute http(s) URL, or longer than 255 characters.
    """
    value = recover_response_url(request.rel_url.raw_query_string, request.query.get("response_url"))
    if not value:
        raise InvalidParameters("response_url: required query parameter")
    try:
        return _RESPONSE_URL.validate_python(value)
    except ValidationError as exc:
        raise InvalidParameters(describe_validation_error(exc, prefix="response_url")) from None


def duration_from_query(request: web.Request) -> int:
    """The required ``duration`` query parameter: whole seconds, 1 to 86400.

    Raises:
        InvalidParameters: naming ``duration``.
    """
    raw = request.query.get("duration")
    if raw is None or not raw.strip():
        raise InvalidParameters("duration: required query parameter")
    if not _DIGITS.fullmatch(raw.strip()):
        raise InvalidParameters("duration: must be a positive whole number of seconds")
    duration = int(raw)
    if not 1 <= duration <= MAX_DURATION:
        raise InvalidParameters(f"duration: must be between 1 and {MAX_DURATION} seconds")
    return duration


def _answer(
    request: web.Request, settings: Settings, session_id: str, response: ChargingProfileResponse
) -> web.Response:
    request[OCPI_RESULT] = response.result.value  # counted by metrics.ocpi_requests
    log.info(
        "chargingprofiles_answered",
        method=request.method,
        session_id=session_id,
        result=response.result.value,
        timeout=response.timeout,
    )
    if response.result is ChargingProfileResponseType.UNKNOWN_SESSION:
        return json_response(
            response.to_json_dict(),
            status_code=settings.ocpi.unknown_session_status_code,
            status_message=f"Unknown session {session_id}",
        )
    return json_response(response.to_json_dict(), status_message="Success")


async def put_profile(request: web.Request) -> web.Response:
    """``PUT …/chargingprofiles/{session_id}``: set or replace the session's profile."""
    party = await require_party(request)
    session_id = validate_session_id(request.match_info["session_id"])
    body = await parse_body(request, SetChargingProfile)
    response = await request.app[STEERING].set_profile(party, session_id, body, request_context(request))
    return _answer(request, request.app[SETTINGS], session_id, response)


async def get_profile(request: web.Request) -> web.Response:
    """``GET …/chargingprofiles/{session_id}?duration=&response_url=``: ask for the active profile."""
    party = await require_party(request)
    session_id = validate_session_id(request.match_info["session_id"])
    duration = duration_from_query(request)
    response_url = response_url_from_query(request)
    response = await request.app[STEERING].get_profile(
        party, session_id, duration, response_url, request_context(request)
    )
    return _answer(request, request.app[SETTINGS], session_id, response)


async def delete_profile(request: web.Request) -> web.Response:
    """``DELETE …/chargingprofiles/{session_id}?response_url=``: clear the gateway's profile."""
    party = await require_party(request)
    session_id = validate_session_id(request.match_info["session_id"])
    response_url = response_url_from_query(request)
    response = await request.app[STEERING].clear_profile(
        party, session_id, response_url, request_context(request)
    )
    return _answer(request, request.app[SETTINGS], session_id, response)
