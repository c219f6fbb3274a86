"""OCPI partners at run time: who is calling (by token), and the one place partner records change.

``PartyDirectory`` is an async facade over the backend's :class:`~ocpi_gateway.backend.parties.PartyStore`,
so every node sees the same partners. It is seeded (lazily, on first use) with the static
``[[ocpi.parties]]`` of the configuration; a static record only replaces a record the
configuration wrote itself, never one a credentials handshake stored (which holds newer tokens).

Tokens are kept only as SHA-256 digests. A presented token is digested, looked up by digest
and compared with :func:`hmac.compare_digest`, so neither the lookup nor the comparison leaks
timing about a stored secret. New tokens come from :func:`secrets.token_urlsafe`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from ocpi_gateway.backend.parties import (
    DEFAULT_POLICY,
    MemoryPartyStore,
    OwnershipPolicy,
    PartyRecord,
    PartyStore,
    party_key,
)
from ocpi_gateway.config import PartySettings, token_digest

# The run-time view of a partner is its stored record.
Party = PartyRecord

TOKEN_BYTES = 32  # token_urlsafe(32): 43 characters of [A-Za-z0-9_-], inside OCPI's string(64)


def new_token() -> str:
    """A fresh credentials token: random, printable ASCII, at most 64 characters."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def record_from_settings(settings: PartySettings) -> PartyRecord:
    """The stored form of a ``[[ocpi.parties]]`` entry (``token`` without ``their_token`` = invited)."""
    token = settings.token.get_secret_value() if settings.token else None
    their_token = settings.their_token.get_secret_value() if settings.their_token else None
    return PartyRecord(
        country_code=settings.country_code.upper(),
        party_id=settings.party_id.upper(),
        role=settings.role.upper(),
        token_digest=token_digest(token) if token else None,
        their_token=their_token,
        versions_url=settings.versions_url,
        response_url_hosts=tuple(h.lower() for h in settings.response_url_hosts),
        allow_private_callbacks=settings.allow_private_callbacks,
        ownership=OwnershipPolicy(steer=settings.steer, emsps=tuple(e.upper() for e in settings.emsps)),
        status="registered" if their_token else "invited",
        source="config",
    )


def _keep_endpoints(fresh: PartyRecord, existing: PartyRecord | None) -> PartyRecord:
    """A config record written anew keeps the endpoints another node (or run) already read
    from the same versions URL: they stay usable while this node reads them again."""
    if existing is None or existing.versions_url != fresh.versions_url or not existing.endpoints:
        return fresh
    kept = ("endpoints", "endpoints_read_at", "endpoints_error")
    return fresh.model_copy(update={name: getattr(existing, name) for name in kept})


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


def presented_token(header_value: str | None, party: PartyRecord) -> str | None:
    """The token in clear that ``header_value`` carries for ``party`` (we only store its digest)."""
    for candidate in token_candidates(header_value):
        if party.token_digest is not None and hmac.compare_digest(
            token_digest(candidate), party.token_digest
        ):
            return candidate
    return None


# More cached lookups than this (many distinct bad tokens, say) and the cache starts over.
MAX_CACHED = 10_000


class PartyDirectory:
    """Finds the partner behind a token and reads or writes partner records in the backend."""

    def __init__(
        self,
        store: PartyStore | None = None,
        static: Sequence[PartySettings] = (),
        cache_seconds: float = 0.0,
    ) -> None:
        """``cache_seconds`` > 0 keeps lookups in this process that long.

        Every OCPI request looks its caller up and every callback its partner: with Redis
        that is two round trips each. A short cache removes them; writes through this
        directory clear it at once, so only other nodes' changes to registered partners
        (a rotated or removed token) take up to ``cache_seconds`` to be seen here.
        """
        self._store: PartyStore = store if store is not None else MemoryPartyStore()
        self._static = tuple(static)
        self._seeded = not self._static
        self._seed_lock = asyncio.Lock()
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Party]] = {}

    @classmethod
    def from_settings(
        cls, settings: Sequence[PartySettings], store: PartyStore | None = None, cache_seconds: float = 0.0
    ) -> PartyDirectory:
        """A directory over ``store`` (default: a private in-memory one) seeded from config."""
        return cls(store, settings, cache_seconds)

    async def _cached(self, key: str, load: Callable[[], Awaitable[Party | None]]) -> Party | None:
        """Only registered partners found are cached: a miss or a token A is always read anew,
        so a new token works at once and a used token A dies at once on every node."""
        if self._cache_seconds <= 0:
            return await load()
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1].model_copy()
        party = await load()
        if party is not None and party.registered:
            if len(self._cache) > MAX_CACHED:
                self._cache.clear()
            self._cache[key] = (now + self._cache_seconds, party)
            return party.model_copy()
        return party

    async def _ready(self) -> PartyStore:
        """The store, after writing the static partners into it once per process."""
        if not self._seeded:
            async with self._seed_lock:
                if not self._seeded:
                    for settings in self._static:
                        existing = await self._store.get(settings.key)
                        if existing is None or existing.source == "config":
                            await self._store.put(_keep_endpoints(record_from_settings(settings), existing))
                    self._seeded = True
        return self._store

    async def authenticate(self, header_value: str | None) -> Party | None:
        """The partner whose current token the header carries, or ``None`` (→ HTTP 401)."""
        store = await self._ready()
        for candidate in token_candidates(header_value):
            digest = token_digest(candidate)
            party = await self._cached(f"digest:{digest}", partial(store.get_by_digest, digest))
            if party is not None and party.token_digest and hmac.compare_digest(digest, party.token_digest):
                return party
        return None

    async def get(self, key: str) -> Party | None:
        """The partner by ``CC*PID`` (case-insensitive)."""
        store = await self._ready()
        return await self._cached(f"key:{key.upper()}", partial(store.get, key.upper()))

    async def all(self) -> list[Party]:
        """Every partner, ordered by key."""
        return await (await self._ready()).list_all()

    async def put(self, party: Party) -> None:
        """Insert or replace a partner; its previous token stops working at once."""
        self._cache.clear()
        await (await self._ready()).put(party)

    async def remove(self, key: str) -> Party | None:
        """Forget a partner (its token gives 401 from now on); returns what was removed."""
        self._cache.clear()
        store = await self._ready()
        party = await store.get(key.upper())
        if party is not None:
            await store.delete(party.key)
        return party

    async def invite(
        self,
        country_code: str,
        party_id: str,
        role: str,
        *,
        ownership: OwnershipPolicy = DEFAULT_POLICY,
        response_url_hosts: Sequence[str] = (),
        allow_private_callbacks: bool = False,
    ) -> tuple[Party, str]:
        """Store an ``invited`` partner holding a fresh token A; returns it and token A.

        Token A is good for versions and credentials only, until the partner's credentials
        POST replaces it. Inviting again replaces an earlier, unused token A.
        """
        token = new_token()
        party = PartyRecord(
            country_code=country_code.upper(),
            party_id=party_id.upper(),
            role=role.upper(),
            token_digest=token_digest(token),
            response_url_hosts=tuple(h.lower() for h in response_url_hosts),
            allow_private_callbacks=allow_private_callbacks,
            ownership=ownership,
            status="invited",
            source="admin",
        )
        await self.put(party)
        return party, token


__all__ = [
    "Party",
    "PartyDirectory",
    "encode_token",
    "new_token",
    "party_key",
    "presented_token",
    "record_from_settings",
    "token_candidates",
]
