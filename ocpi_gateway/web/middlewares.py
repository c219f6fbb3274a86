"""OCPI transport rules applied around every handler: request ids, routing headers, errors, auth.

Views raise :class:`~ocpi_gateway.errors.OcpiError` and never build error responses
themselves; the error middleware renders one envelope for every failure so that OCPI
clients always get the same shape, status code and ids, whatever went wrong.

Each aiohttp request runs in its own task, so values bound with ``structlog.contextvars``
inside a handler (``party``) end with the request and never leak into the next one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import structlog
from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict
from pydantic import BaseModel, ValidationError

from ocpi_gateway.appkeys import PARTIES
from ocpi_gateway.config import Settings
from ocpi_gateway.core.steering import RequestContext
from ocpi_gateway.errors import (
    BackendError,
    BackendUnavailable,
    InvalidJson,
    InvalidParameters,
    OcpiError,
    ServerError,
    Unauthorized,
)
from ocpi_gateway.models.ocpi import describe_validation_error
from ocpi_gateway.partners.parties import Party
from ocpi_gateway.web.envelope import JSON_CONTENT_TYPE, json_response

log = structlog.get_logger(__name__)

REQUEST_ID = "X-Request-ID"
CORRELATION_ID = "X-Correlation-ID"
MAX_ID_LENGTH = 255
FUNCTIONAL_PREFIXES = ("/ocpi/2.2.1/chargingprofiles", "/ocpi/2.2.1/sessions")

REQUEST_CONTEXT = web.RequestKey("ocpi_request_context", RequestContext)
PARTY = web.RequestKey("ocpi_party", Party)

ModelT = TypeVar("ModelT", bound=BaseModel)


def request_context(request: web.Request) -> RequestContext:
    """The ids of this request (set by the request-id middleware, generated if it did not run)."""
    ctx = request.get(REQUEST_CONTEXT)
    if isinstance(ctx, RequestContext):
        return ctx
    ctx = RequestContext(request_id=str(uuid.uuid4()), correlation_id=str(uuid.uuid4()))
    request[REQUEST_CONTEXT] = ctx
    return ctx


async def require_party(request: web.Request, *, registered: bool = True) -> Party:
    """The party behind the request's token, or :class:`Unauthorized` (HTTP 401).

    Args:
        request: the incoming request; its ``Authorization: Token …`` header (Base64 or raw).
        registered: refuse a party that holds only a credentials token A. Versions and
            credentials pass ``False``: token A is exactly what they exist for.
    """
    party = await request.app[PARTIES].authenticate(request.headers.get(hdrs.AUTHORIZATION))
    if party is None:
        raise Unauthorized()
    if registered and not party.registered:
        raise Unauthorized("Credentials token A is valid only for versions and credentials")
    request[PARTY] = party
    structlog.contextvars.bind_contextvars(party=party.key)
    return party


def _is_json_type(content_type: str) -> bool:
    return content_type == JSON_CONTENT_TYPE or content_type.endswith("+json")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def read_json(request: web.Request, parse_float: Callable[[str], Any] | None = None) -> Any:
    """The request body parsed as JSON (floats through ``parse_float`` when given).

    A missing ``Content-Type`` is tolerated (lenient towards sloppy peers) as long as the
    body parses; a non-JSON content type is refused. ``NaN``/``Infinity`` are not JSON.
    Every JSON body of the OCPI module and the OCPP-format API is read here.

    Raises:
        InvalidJson: wrong content type, empty body or unparsable JSON (HTTP 400).
        web.HTTPRequestEntityTooLarge: the body exceeds ``client_max_size`` (HTTP 413).
    """
    if hdrs.CONTENT_TYPE in request.headers and not _is_json_type(request.content_type):
        raise InvalidJson(f"Content-Type must be {JSON_CONTENT_TYPE}")
    raw = await request.read()
    if not raw.strip():
        raise InvalidJson("Request body is empty")
    try:
        return json.loads(raw, parse_float=parse_float, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise InvalidJson() from None


async def parse_body(request: web.Request, model: type[ModelT]) -> ModelT:
    """The JSON body validated into ``model``; a failure names the field (status 2001)."""
    data = await read_json(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidParameters(describe_validation_error(exc)) from None


def _clean_id(value: str | None) -> str | None:
    """A caller's id header if it is sane to echo (printable ASCII, ≤ 255 chars), else ``None``."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_ID_LENGTH or not (value.isascii() and value.isprintable()):
        return None
    return value


def _stamp_ids(headers: CIMultiDict[str], ctx: RequestContext) -> None:
    headers[REQUEST_ID] = ctx.request_id
    headers[CORRELATION_ID] = ctx.correlation_id


def _is_functional(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in FUNCTIONAL_PREFIXES)


def _make_request_ids() -> Middleware:
    @web.middleware
    async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Read or create X-Request-ID / X-Correlation-ID, bind them for logs, echo them back."""
        ctx = RequestContext(
            request_id=_clean_id(request.headers.get(REQUEST_ID)) or str(uuid.uuid4()),
            correlation_id=_clean_id(request.headers.get(CORRELATION_ID)) or str(uuid.uuid4()),
        )
        request[REQUEST_CONTEXT] = ctx
        with structlog.contextvars.bound_contextvars(
            request_id=ctx.request_id, correlation_id=ctx.correlation_id
        ):
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                _stamp_ids(exc.headers, ctx)
                raise
        if not response.prepared:  # a websocket upgrade has already sent its headers
            _stamp_ids(response.headers, ctx)
        return response

    return request_ids


def _make_routing_headers(settings: Settings) -> Middleware:
    ours = (settings.ocpi.country_code.upper(), settings.ocpi.party_id.upper())

    def stamp(headers: CIMultiDict[str], request: web.Request) -> None:
        headers["OCPI-from-country-code"], headers["OCPI-from-party-id"] = ours
        party = request.get(PARTY)
        if isinstance(party, Party):
            headers["OCPI-to-country-code"] = party.country_code
            headers["OCPI-to-party-id"] = party.party_id

    @web.middleware
    async def routing_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Functional modules answer with OCPI routing headers: from = us, to = the caller."""
        if not _is_functional(request.path):
            return await handler(request)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            stamp(exc.headers, request)
            raise
        if not response.prepared:
            stamp(response.headers, request)
        return response

    return routing_headers


def _render(exc: OcpiError, http_status: int, headers: Iterable[tuple[str, str]] = ()) -> web.Response:
    return json_response(
        status_code=exc.status_code,
        status_message=exc.message,
        http_status=http_status,
        headers=dict(headers),
    )


def _make_errors(settings: Settings) -> Middleware:
    invalid_params_status = settings.ocpi.invalid_params_http_status
    max_body = settings.http.max_body_bytes

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Turn every failure into an OCPI envelope with the right status code and HTTP status."""
        try:
            return await handler(request)
        except OcpiError as exc:
            http = exc.http
            if isinstance(exc, InvalidParameters) and exc.http_status_override is None:
                http = invalid_params_status
            log.info(
                "ocpi_request_refused",
                method=request.method,
                path=request.path,
                status_code=exc.status_code,
                http_status=http,
                reason=exc.message,
            )
            extra = [(hdrs.WWW_AUTHENTICATE, "Token")] if isinstance(exc, Unauthorized) else []
            return _render(exc, http, extra)
        except BackendError as exc:
            log.warning("backend_unavailable", method=request.method, path=request.path, error=str(exc))
            return _render(BackendUnavailable(), BackendUnavailable.http_status)
        except web.HTTPException as exc:
            # Our own JSON errors (admin API) pass through; the router's and aiohttp's
            # plain-text 404/405/413 become envelopes so OCPI clients can parse them.
            if exc.status not in (404, 405, 413) or exc.content_type == JSON_CONTENT_TYPE:
                raise
            message = {
                404: "Not found",
                405: f"Method {request.method} not allowed",
                413: f"Request body larger than {max_body} bytes",
            }[exc.status]
            allow = [(hdrs.ALLOW, exc.headers[hdrs.ALLOW])] if hdrs.ALLOW in exc.headers else []
            return json_response(
                status_code=2000, status_message=message, http_status=exc.status, headers=dict(allow)
            )
        except Exception:
            log.exception("request_failed", method=request.method, path=request.path)
            return _render(ServerError(), ServerError.http_status)

    return errors


def middlewares(settings: Settings) -> list[Middleware]:
    """The OCPI middlewares in order, outermost first: ids, routing headers, errors.

    Ids and routing headers sit outside the error middleware so error envelopes carry them too.
    """
    return [_make_request_ids(), _make_routing_headers(settings), _make_errors(settings)]
