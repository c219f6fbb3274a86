"""Every error the gateway raises on purpose, in one place so each carries its wire code.

The tree::

    GatewayError
    ├── ConfigError                  invalid configuration; ``key`` names the culprit
    ├── PasswordInputError           ``stations hash-password`` got no usable password
    ├── OcpiError                    rendered as an OCPI envelope by the error middleware
    │   ├── InvalidParameters        2001, a message naming the field
    │   ├── InvalidJson              2001 with HTTP 400 (the body is not JSON at all)
    │   ├── Unauthorized             HTTP 401 (no OCPI code exists for it)
    │   ├── NotFound                 HTTP 404
    │   ├── MethodNotAllowed         HTTP 405 (credentials misuse, for instance)
    │   ├── PayloadTooLarge          HTTP 413
    │   ├── ServerError              3000
    │   ├── BackendUnavailable       3000 with HTTP 503: nothing was stored
    │   ├── ClientApiUnusable        3001 (the partner's endpoints failed)
    │   ├── UnsupportedVersion       3002
    │   └── NoMatchingEndpoints      3003
    ├── TranslationError             an OCPI profile the station cannot take (→ REJECTED)
    │   └── NotSupportedByStation    the station has no smart charging (→ NOT_SUPPORTED)
    ├── StationError                 an OCPP call did not give a usable answer (→ REJECTED)
    │   ├── StationOffline           no live link to the station
    │   ├── StationTimeout           no answer within ``ocpp.call_timeout``
    │   ├── StationDisconnected      the link dropped while the call was open
    │   └── StationCallError         the station answered CALLERROR; ``code`` is the OCPP code
    ├── BackendError                 the backend (embedded or Redis) could not store or read
    ├── CallbackRefused              a partner URL we will not call (host not allowed, private address)
    │   └── CallbackHostUnresolved   its host does not resolve now (transient: delivery retries)
    └── ApiError                     the OCPP-format API (``/api/v1``) refuses: ``http_status``, ``problems``
"""

from __future__ import annotations

from typing import ClassVar


class GatewayError(Exception):
    """Root of every deliberate error, so callers can tell ours from bugs."""


class ConfigError(GatewayError):
    """Invalid configuration. ``str()`` is the single line printed at start-up."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"invalid configuration: {key}: {problem}")


class NodeIdInUse(ConfigError):
    """Another live process holds this node id's lease: two processes must never work one stream."""

    def __init__(self, node: str, holder: str) -> None:
        super().__init__(
            "redis.node_id", f"{node!r} is in use by a live process ({holder}); give each node its own id"
        )


class PasswordInputError(GatewayError):
    """No usable password to hash (empty, or the two prompted entries differ)."""


class OcpiError(GatewayError):
    """An error answered to an OCPI client as an envelope with ``status_code``."""

    status_code: ClassVar[int] = 2000
    http_status: ClassVar[int] = 400
    default_message: ClassVar[str] = "Client error"

    def __init__(self, message: str | None = None, *, http_status: int | None = None) -> None:
        self.message = message or self.default_message
        self.http_status_override = http_status
        super().__init__(self.message)

    @property
    def http(self) -> int:
        """The HTTP status to send, allowing per-instance overrides (e.g. configured 2001 status)."""
        return self.http_status_override or self.http_status


class InvalidParameters(OcpiError):
    status_code = 2001
    http_status = 400
    default_message = "Invalid or missing parameters"


class InvalidJson(OcpiError):
    status_code = 2001
    http_status = 400
    default_message = "Request body is not valid JSON"


class Unauthorized(OcpiError):
    status_code = 2000
    http_status = 401
    default_message = "Missing or unknown token"


class NotFound(OcpiError):
    status_code = 2000
    http_status = 404
    default_message = "Not found"


class MethodNotAllowed(OcpiError):
    status_code = 2000
    http_status = 405
    default_message = "Method not allowed"


class PayloadTooLarge(OcpiError):
    status_code = 2000
    http_status = 413
    default_message = "Request body too large"


class ServerError(OcpiError):
    status_code = 3000
    http_status = 500
    default_message = "Internal server error"


class BackendUnavailable(OcpiError):
    status_code = 3000
    http_status = 503
    default_message = "Backend unavailable: the request was not stored"


class ClientApiUnusable(OcpiError):
    status_code = 3001
    http_status = 200
    default_message = "Unable to use the client's API"


class UnsupportedVersion(OcpiError):
    status_code = 3002
    http_status = 200
    default_message = "Unsupported version"


class NoMatchingEndpoints(OcpiError):
    status_code = 3003
    http_status = 200
    default_message = "No matching endpoints or expected endpoints missing"


class TranslationError(GatewayError):
    """The OCPI profile cannot become an OCPP call this station accepts."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class NotSupportedByStation(TranslationError):
    """The station (or its EVSE) does not support smart charging at all."""


class StationError(GatewayError):
    """An OCPP call gave no usable answer; the job's result becomes REJECTED."""


class StationOffline(StationError):
    """No live link to the station."""


class StationTimeout(StationError):
    """The station stayed silent past the call timeout."""


class StationDisconnected(StationError):
    """The link dropped while a call was open."""


class StationCallError(StationError):
    """The station answered with an OCPP CALLERROR."""

    def __init__(self, code: str, description: str = "") -> None:
        self.code = code
        self.description = description
        super().__init__(f"{code}: {description}" if description else code)


class BackendError(GatewayError):
    """The backend could not store or read; an OCPI request becomes BackendUnavailable."""


class NotReplicated(BackendError):
    """Fewer replicas than ``redis.wait_replicas`` confirmed a job in time: it was withdrawn, so the
    request is answered 503 / OCPI 3000 like any other store that failed (nothing runs for it)."""

    def __init__(self, wanted: int, confirmed: int, timeout_ms: int) -> None:
        super().__init__(
            f"redis: {confirmed} of {wanted} replica(s) confirmed the job within {timeout_ms} ms; withdrawn"
        )


class CallbackRefused(GatewayError):
    """The gateway will not call this partner URL: wrong scheme, host not allowed, or an address
    in a loopback, link-local or private range the partner may not use (SSRF guard)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class CallbackHostUnresolved(CallbackRefused):
    """The URL's host does not resolve right now; unlike other refusals this may pass."""


class CallbackUrlInvalid(GatewayError):
    """A partner URL the HTTP client cannot request at all (malformed, not http/https)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class CallbackTransportError(GatewayError):
    """A call to a partner failed below HTTP (connect, send, receive, time limit): retryable."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class JobMoved(GatewayError):
    """The job's station is connected to another node: hand the job over, do not finish it here."""

    def __init__(self, node: str) -> None:
        self.node = node
        super().__init__(f"station now held by node {node}")


class ApiError(GatewayError):
    """The OCPP-format profile API refuses a request; rendered as ``{"error", "problems"?}`` JSON.

    ``problems`` lists every field that is wrong (``{"field", "message"}``), so a partner can
    fix a body in one go.
    """

    def __init__(self, http_status: int, message: str, problems: list[dict[str, str]] | None = None) -> None:
        self.http_status = http_status
        self.message = message
        self.problems = problems
        super().__init__(message)
