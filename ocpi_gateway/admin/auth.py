"""Admin authentication, JSON errors and bodies: the admin API speaks plain JSON, not OCPI envelopes.

The admin token is compared as SHA-256 digests with :func:`hmac.compare_digest`, so the
comparison takes the same time whatever the presented token. Without a configured token
the admin API is closed: every call answers 401.
"""

from __future__ import annotations

import hmac
import json
from typing import TypeVar

from aiohttp import hdrs, web
from pydantic import BaseModel, ValidationError

from ocpi_gateway.appkeys import SETTINGS
from ocpi_gateway.config import Settings, token_digest
from ocpi_gateway.models.ocpi import describe_validation_error
from ocpi_gateway.partners.parties import token_candidates

JSON = "application/json"

ModelT = TypeVar("ModelT", bound=BaseModel)


def json_error(error: type[web.HTTPException], message: str) -> web.HTTPException:
    """An aiohttp HTTP error whose body is ``{"error": message}``.

    Being JSON, it passes the OCPI error middleware unchanged (only plain-text router
    errors are turned into OCPI envelopes there).
    """
    return error(text=json.dumps({"error": message}), content_type=JSON)


async def read_body(request: web.Request, model: type[ModelT]) -> ModelT:
    """The request's JSON body as ``model``; HTTP 400 naming the field when it is not."""
    try:
        data = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise json_error(web.HTTPBadRequest, "body is not valid JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise json_error(web.HTTPBadRequest, describe_validation_error(exc)) from None


def admin_token_matches(settings: Settings, header_value: str | None) -> bool:
    """Does ``Authorization: Token X`` (X raw or Base64) carry the configured admin token?"""
    configured = settings.admin.token.get_secret_value() if settings.admin.token else ""
    if not configured:
        return False
    expected = token_digest(configured)
    matched = False
    for candidate in token_candidates(header_value):
        matched |= hmac.compare_digest(token_digest(candidate), expected)
    return matched


def require_admin(request: web.Request) -> None:
    """Refuse the request with a JSON 401 unless it carries the admin token."""
    if not admin_token_matches(request.app[SETTINGS], request.headers.get(hdrs.AUTHORIZATION)):
        error = json_error(web.HTTPUnauthorized, "missing or wrong admin token")
        error.headers[hdrs.WWW_AUTHENTICATE] = "Token"
        raise error
