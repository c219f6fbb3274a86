"""OCPI partners: who may call us (by token), how we call them back, where callbacks may go.

Tokens are kept only as SHA-256 digests. A presented token is digested and looked up, then
compared with :func:`hmac.compare_digest`, so neither the lookup nor the comparison leaks
timing about the stored secret. Static partners come from ``[[ocpi.parties]]``; the
credentials handshake (a later issue) adds partners through :meth:`PartyDirectory.add`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ocpi_gateway.config import PartySettings, token_digest


@dataclass(slots=True)
class Party:
    """A partner as the gateway sees it at run time."""

    country_code: str
    party_id: str
    role: str
    token_digest: str | None
    their_token: str | None
    versions_url: str | None
    response_url_hosts: frozenset[str]
    allow_private_callbacks: bool = True
    endpoints: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """``CC*PID`` upper-cased."""
        return f"{self.country_code.upper()}*{self.party_id.upper()}"

    @property
    def registered(self) -> bool:
        """A party without ``their_token`` holds only a credentials token A."""
        return self.their_token is not None

    def callback_host_allowed(self, url: str) -> bool:
        """Is ``url`` on this party's allowed callback hosts (default: its versions URL host)?"""
        host = (urlsplit(url).hostname or "").lower()
        if not host:
            return False
        allowed = set(self.response_url_hosts)
        if not allowed and self.versions_url:
            versions_host = urlsplit(self.versions_url).hostname
            if versions_host:
                allowed.add(versions_host.lower())
        return host in allowed

    @classmethod
    def from_settings(cls, settings: PartySettings) -> Party:
        return cls(
            country_code=settings.country_code.upper(),
            party_id=settings.party_id.upper(),
            role=settings.role.upper(),
            token_digest=token_digest(settings.token.get_secret_value()) if settings.token else None,
            their_token=settings.their_token.get_secret_value() if settings.their_token else None,
            versions_url=settings.versions_url,
            response_url_hosts=frozenset(h.lower() for h in settings.response_url_hosts),
            allow_private_callbacks=settings.allow_private_callbacks,
        )


def token_candidates(header_value: str | None) -> list[str]:
    """The tokens an ``Authorization: Token X`` header may mean: Base64-decoded X, then raw X.

    OCPI 2.2.1 says Base64; many 2.1.1/2.2 peers send the raw token. Both are tried.
    """
    if not header_value:
        return []
    scheme, _, value = header_value.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    candidates: list[str] = []
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if decoded and decoded.isprintable():
        candidates.append(decoded)
    candidates.append(value)
    return candidates


def encode_token(token: str) -> str:
    """The header value we send: ``Token <base64(token)>`` as OCPI 2.2.1 asks."""
    return "Token " + base64.b64encode(token.encode()).decode("ascii")


class PartyDirectory:
    """Finds the party behind a token; the seam the credentials module will write to."""

    def __init__(self, parties: list[Party] | None = None) -> None:
        self._by_digest: dict[str, Party] = {}
        self._by_key: dict[str, Party] = {}
        for party in parties or []:
            self.add(party)

    @classmethod
    def from_settings(cls, settings: tuple[PartySettings, ...]) -> PartyDirectory:
        return cls([Party.from_settings(p) for p in settings])

    def add(self, party: Party) -> None:
        """Add or replace a party (by ``CC*PID``), re-indexing its token digest."""
        old = self._by_key.get(party.key)
        if old is not None and old.token_digest is not None:
            self._by_digest.pop(old.token_digest, None)
        self._by_key[party.key] = party
        if party.token_digest is not None:
            self._by_digest[party.token_digest] = party

    def remove(self, key: str) -> Party | None:
        party = self._by_key.pop(key.upper(), None)
        if party is not None and party.token_digest is not None:
            self._by_digest.pop(party.token_digest, None)
        return party

    def get(self, key: str) -> Party | None:
        return self._by_key.get(key.upper())

    def all(self) -> list[Party]:
        return list(self._by_key.values())

    def authenticate(self, header_value: str | None) -> Party | None:
        """The party whose token the header carries, or ``None`` (→ HTTP 401)."""
        for candidate in token_candidates(header_value):
            digest = token_digest(candidate)
            party = self._by_digest.get(digest)
            if party is not None and party.token_digest and hmac.compare_digest(digest, party.token_digest):
                return party
        return None
