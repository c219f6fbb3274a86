"""TLS served by the gateway itself (OCPP security profile 2): the server's ``SSLContext``.

With ``ocpp.tls_cert`` and ``ocpp.tls_key`` set, the gateway's one port speaks HTTPS/WSS
(OCPI, admin and ``/ocpp/{station_id}`` alike). Without them, profile 2 means TLS is
terminated in front of the gateway (a load balancer or reverse proxy that forwards the
websocket upgrade and the ``Authorization`` header). OCPP's security whitepaper asks for
TLS 1.2 or newer, so older versions are refused.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import structlog

from ocpi_gateway.config import Settings
from ocpi_gateway.errors import ConfigError

log = structlog.get_logger(__name__)


def server_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The context to serve with, or None when the gateway serves plain HTTP.

    Raises:
        ConfigError: a certificate or key file is missing, unreadable or not a matching pair.
    """
    cert, key = settings.ocpp.tls_cert, settings.ocpp.tls_key
    if not cert:
        if settings.ocpp.security_profile == 2:
            log.warning(
                "station_tls_expected_in_front",
                hint="ocpp.security_profile = 2 without ocpp.tls_cert: TLS must be terminated in front",
            )
        return None
    for name, path in (("ocpp.tls_cert", cert), ("ocpp.tls_key", key)):
        if not Path(path).is_file():
            raise ConfigError(name, f"file not found: {path}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError("ocpp.tls_cert", f"cannot load the certificate and key ({exc})") from None
    return context
