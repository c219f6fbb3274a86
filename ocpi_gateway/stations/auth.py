"""Station authentication at the websocket handshake (OCPP security profiles 1 and 2).

Profile 1 is HTTP Basic with the station id as user name; profile 2 is the same over TLS
(TLS itself is the HTTP server's business). A station is authenticated against the
``password_hash`` of its ``[[ocpp.stations]]`` entry: the SHA-256 hex digest of the
password (:func:`ocpi_gateway.config.token_digest`), compared in constant time. Profile 0
checks nothing. (aiohttp's ``BasicAuth`` is deprecated, hence the few lines of parsing.)
"""

from __future__ import annotations

import base64
import binascii
import hmac

from ocpi_gateway.config import Settings, token_digest


def parse_basic(authorization: str) -> tuple[str, str] | None:
    """``Basic base64(user:password)`` -> (user, password); None when it is not that."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def station_authenticated(settings: Settings, station_id: str, authorization: str | None) -> bool:
    """True when the station may connect under the configured security profile."""
    if settings.ocpp.security_profile == 0:
        return True
    credentials = parse_basic(authorization) if authorization else None
    if credentials is None or credentials[0] != station_id:
        return False
    expected = next((s.password_hash for s in settings.ocpp.stations if s.station_id == station_id), None)
    if expected is None:
        return False
    presented = token_digest(credentials[1])
    return hmac.compare_digest(presented, expected.get_secret_value().strip().lower())
