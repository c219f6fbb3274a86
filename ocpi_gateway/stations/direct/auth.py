"""Station authentication at the websocket handshake (OCPP security profiles 1 and 2).

Profile 1 is HTTP Basic with the station id as user name; profile 2 is the same over TLS
(served by the gateway, see :mod:`.tls`, or by a terminating proxy in front). A station is
checked against the salted scrypt ``password_hash`` of its ``[[ocpp.stations]]`` entry
(:mod:`ocpi_gateway.models.passwords`). Profile 0 checks nothing.

scrypt is slow on purpose, and thousands of stations reconnecting after a network blip
must not each pay for it: a successful check is remembered per station as a keyed digest
of the password (the key lives only in this process), compared in constant time, so a
reconnect with the same password is a microsecond's work. The slow checks run in worker
threads, at most :data:`PARALLEL_SLOW_CHECKS` at once, so wrong passwords hammered at the
endpoint cost bounded CPU and memory and never stall the event loop. Nothing here logs or
keeps the password or the ``Authorization`` header. (aiohttp's ``BasicAuth`` is deprecated,
hence the few lines of parsing.)
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import secrets

from ocpi_gateway.config import Settings
from ocpi_gateway.models.passwords import PasswordHash, parse_password_hash, verify_password

PARALLEL_SLOW_CHECKS = 4


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


def basic_authorization(user: str, password: str) -> str:
    """The ``Authorization`` header value for HTTP Basic (what stations and the simulator send)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class StationAuthenticator:
    """Decides whether a handshake's credentials let it connect as ``station_id``."""

    def __init__(self, settings: Settings) -> None:
        self._profile = settings.ocpp.security_profile
        # config.py has already validated every hash, so parsing cannot fail here.
        self._hashes: dict[str, PasswordHash] = {
            station.station_id: parse_password_hash(station.password_hash.get_secret_value())
            for station in settings.ocpp.stations
            if station.password_hash is not None
        }
        self._key = secrets.token_bytes(32)
        self._verified: dict[str, bytes] = {}
        self._slow_checks = asyncio.Semaphore(PARALLEL_SLOW_CHECKS)

    async def refusal(self, station_id: str, authorization: str | None) -> str | None:
        """Why the station may not connect (a short reason for the log), or None if it may."""
        if self._profile == 0:
            return None
        credentials = parse_basic(authorization) if authorization else None
        if credentials is None:
            return "missing or malformed Basic credentials"
        user, password = credentials
        if not hmac.compare_digest(user.encode(), station_id.encode()):
            return "user name is not the station id"
        stored = self._hashes.get(station_id)
        if stored is None:
            return "no password_hash configured for this station"
        if await self._password_matches(station_id, password, stored):
            return None
        return "wrong password"

    async def _password_matches(self, station_id: str, password: str, stored: PasswordHash) -> bool:
        presented = hmac.new(self._key, password.encode(), hashlib.sha256).digest()
        remembered = self._verified.get(station_id)
        if remembered is not None and hmac.compare_digest(remembered, presented):
            return True
        async with self._slow_checks:
            matches = await asyncio.to_thread(verify_password, password, stored)
        if matches:
            self._verified[station_id] = presented
        return matches
