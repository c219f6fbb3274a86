"""structlog set-up: readable console lines in development, one JSON object per line in production.

Context (request ids, session, station, job) is bound with ``structlog.contextvars`` by the
edges, so every line of one flow carries it without passing loggers around. The last step
before rendering, :func:`redact`, keeps secrets out of every line whatever a caller passed:
values of token-like keys are replaced and URL query strings (a ``response_url`` may carry
the SCSP's own credentials there) are cut off.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}

SECRET_KEYS = frozenset({"token", "their_token", "authorization", "password", "password_hash", "secret"})
REDACTED = "[redacted]"
_URL_QUERY = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#]*)\?[^\s#]*")


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: hide token-like values and URL query strings in every field."""
    for key, value in event.items():
        if key.lower() in SECRET_KEYS and value is not None:
            event[key] = REDACTED
        elif isinstance(value, str) and "://" in value and "?" in value:
            event[key] = _URL_QUERY.sub(r"\1?" + REDACTED, value)
    return event


def configure_logging(fmt: str = "console", level: str = "info") -> None:
    """Configure structlog (and route stdlib logging, e.g. aiohttp's, through the same level)."""
    numeric = _LEVELS.get(level, logging.INFO)
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if fmt == "json":
        processors += [structlog.processors.format_exc_info, redact, structlog.processors.JSONRenderer()]
    else:
        # Plain tracebacks: rich's formatter would print local variables, tokens included.
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
        processors += [redact, renderer]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stderr, format="%(name)s %(message)s")
    # The ocpp package logs every frame at INFO; keep that for debug level only.
    logging.getLogger("ocpp").setLevel(logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING)
