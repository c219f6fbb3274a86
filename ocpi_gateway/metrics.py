"""Prometheus instrumentation: the metric objects and the few helpers that feed them.

Counters and histograms live in one process-wide :data:`REGISTRY` (as in any
``prometheus_client`` program: one gateway process, one set of counters). Gauges that
describe *state* (stations connected, sessions active, jobs queued and in flight) are not
kept here: ``ops/health.py`` reads them from the running app at scrape time, so they can never
drift from the truth.

Instrumented modules make one call per point and never touch metric objects directly:

* :func:`ocpi_requests` is a middleware counting OCPI requests by method, module and result
  (the ChargingProfileResponse result a view stores under :data:`OCPI_RESULT`, else ``ok``
  or the error's name);
* :func:`station_call` times one OCPP call by action and outcome;
* :func:`timed_callback_attempt` / :func:`counted_callback` wrap the result delivery;
* :func:`job_finished` counts jobs by kind and result.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, Counter, Histogram, PlatformCollector, ProcessCollector

from ocpi_gateway.errors import (
    CallbackUrlInvalid,
    GatewayError,
    StationCallError,
    StationDisconnected,
    StationOffline,
    StationTimeout,
)

P = ParamSpec("P")

NAMESPACE = "ocpi_gateway"

#: Every counter and histogram of the gateway (plus process and platform facts).
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

#: Where a ChargingProfiles view leaves its answer's result for :func:`ocpi_requests`.
OCPI_RESULT = web.RequestKey("metrics_ocpi_result", str)

# Station calls take from milliseconds to ``ocpp.call_timeout``; callbacks up to
# ``delivery.request_timeout``.
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

OCPI_REQUESTS = Counter(
    "requests",
    "OCPI requests answered, by method, module and result.",
    ["method", "module", "result"],
    namespace=NAMESPACE,
    subsystem="ocpi",
    registry=REGISTRY,
)
STATION_CALL_SECONDS = Histogram(
    "station_call_seconds",
    "OCPP calls to stations: time until the answer (or the failure), by action and outcome.",
    ["action", "outcome"],
    namespace=NAMESPACE,
    buckets=_SECONDS,
    registry=REGISTRY,
)
CALLBACK_ATTEMPTS = Counter(
    "callback_attempts",
    "POSTs of results to response_url, by outcome (ok, refused, server_error, network_error).",
    ["outcome"],
    namespace=NAMESPACE,
    registry=REGISTRY,
)
CALLBACK_SECONDS = Histogram(
    "callback_attempt_seconds",
    "Duration of one result POST to response_url.",
    namespace=NAMESPACE,
    buckets=_SECONDS,
    registry=REGISTRY,
)
CALLBACK_FAILURES = Counter(
    "callback_failures",
    "Results that could not be delivered (refused, deadline passed, bad URL, no token).",
    namespace=NAMESPACE,
    registry=REGISTRY,
)
JOBS_FINISHED = Counter(
    "jobs_finished",
    "Jobs that reached their terminal result, by kind and result.",
    ["kind", "result"],
    namespace=NAMESPACE,
    registry=REGISTRY,
)

_MODULES = {
    "/ocpi/versions": "versions",
    "/ocpi/2.2.1": "version_details",
    "/ocpi/2.2.1/credentials": "credentials",
}


def ocpi_module(path: str) -> str | None:
    """The OCPI module a path belongs to (bounded label values), or None for non-OCPI paths."""
    if not path.startswith("/ocpi/"):
        return None
    trimmed = path.rstrip("/")
    if trimmed in _MODULES:
        return _MODULES[trimmed]
    if trimmed.startswith("/ocpi/2.2.1/chargingprofiles/"):
        return "chargingprofiles"
    if trimmed == "/ocpi/2.2.1/sessions":
        return "sessions"
    return "other"


@web.middleware
async def ocpi_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count each OCPI request once it is answered or refused.

    Placed innermost (inside the OCPI error middleware), so refusals still arrive here as
    exceptions and are labelled by their error class (``Unauthorized``, ``InvalidParameters``…).
    """
    module = ocpi_module(request.path)
    if module is None:
        return await handler(request)
    result = "cancelled"  # the client went away before the answer
    try:
        response = await handler(request)
        result = request.get(OCPI_RESULT) or "ok"
        return response
    except GatewayError as exc:  # OcpiError refusals, BackendError
        result = type(exc).__name__
        raise
    except web.HTTPException as exc:
        result = f"http_{exc.status}"
        raise
    except Exception:
        result = "ServerError"
        raise
    finally:
        OCPI_REQUESTS.labels(request.method, module, result).inc()


_STATION_OUTCOMES: tuple[tuple[type[Exception], str], ...] = (
    (StationTimeout, "timeout"),
    (StationDisconnected, "disconnected"),
    (StationCallError, "call_error"),
    (StationOffline, "offline"),
)


@contextmanager
def station_call(action: str) -> Iterator[None]:
    """Time one OCPP call; the outcome is ``answered`` or the kind of failure that ended it."""
    started = time.perf_counter()
    outcome = "answered"
    try:
        yield
    except Exception as exc:
        outcome = next((name for kind, name in _STATION_OUTCOMES if isinstance(exc, kind)), "error")
        raise
    finally:
        STATION_CALL_SECONDS.labels(action, outcome).observe(time.perf_counter() - started)


def _attempt_outcome(status: int) -> str:
    if 200 <= status < 300:
        return "ok"
    return "server_error" if status >= 500 else "refused"


def timed_callback_attempt(
    post: Callable[P, Awaitable[tuple[int, bytes]]],
) -> Callable[P, Awaitable[tuple[int, bytes]]]:
    """Decorate the one-POST coroutine of the delivery client: count and time every attempt."""

    @functools.wraps(post)
    async def timed(*args: P.args, **kwargs: P.kwargs) -> tuple[int, bytes]:
        started = time.perf_counter()
        outcome = "network_error"
        try:
            status, body = await post(*args, **kwargs)
            outcome = _attempt_outcome(status)
            return status, body
        except CallbackUrlInvalid:
            outcome = "invalid_url"
            raise
        finally:
            CALLBACK_SECONDS.observe(time.perf_counter() - started)
            CALLBACK_ATTEMPTS.labels(outcome).inc()

    return timed


def counted_callback(deliver: Callable[P, Awaitable[bool]]) -> Callable[P, Awaitable[bool]]:
    """Decorate the delivery coroutine (True = delivered): count the results that never arrived."""

    @functools.wraps(deliver)
    async def counted(*args: P.args, **kwargs: P.kwargs) -> bool:
        delivered = await deliver(*args, **kwargs)
        if not delivered:
            CALLBACK_FAILURES.inc()
        return delivered

    return counted


def job_finished(kind: str, result: str) -> None:
    """A job reached its terminal OCPI result (delivered or not)."""
    JOBS_FINISHED.labels(kind, result).inc()
