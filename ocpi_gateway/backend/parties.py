"""Where OCPI partners live: the ``PartyRecord`` stored per partner and the ``PartyStore`` interface.

Partners are backend state, not process state: a partner that registered through the
credentials handshake on one node must be able to call every node, and must still be known
after a restart as long as the backend keeps its data. Every backend therefore exposes a
``PartyStore`` as ``Backend.parties``; this module holds the interface and the embedded
(in-memory) implementation. The Redis backend implements the same five methods.

A record never holds the token the partner calls us with, only its SHA-256 digest
(``token_digest``): a copy of the backend must not let anyone impersonate a partner.
``their_token`` (the token *we* call *them* with) has to stay readable, since we send it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

SteerPolicy = Literal["all", "emsps", "registered"]
PartyStatus = Literal["invited", "registered"]
PartySource = Literal["config", "handshake", "admin"]


class OwnershipPolicy(BaseModel):
    """Which sessions a partner may steer (decided in ``partners/ownership.py``).

    ``all``: any session not registered for another partner; ``emsps``: sessions whose token
    belongs to one of ``emsps`` (``CC*PID``); ``registered``: only sessions registered for this
    partner through the admin API.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    steer: SteerPolicy = "all"
    emsps: tuple[str, ...] = ()


DEFAULT_POLICY = OwnershipPolicy()


class Endpoint(BaseModel):
    """One entry of a partner's 2.2.1 version details, as they published it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    identifier: str
    role: str
    url: str


class PartyRecord(BaseModel):
    """Everything the gateway keeps about one partner; JSON-serialisable for any backend.

    ``status`` is ``invited`` while the partner holds only a credentials token A (versions
    and credentials calls only) and ``registered`` once a handshake (or the configuration)
    gave us their token. ``source`` says who wrote the record last: static configuration
    only overwrites records it wrote itself, never what a handshake stored.
    """

    model_config = ConfigDict(extra="ignore")

    country_code: str = Field(min_length=2, max_length=2)
    party_id: str = Field(min_length=3, max_length=3)
    role: str = "SCSP"
    business_name: str = ""
    token_digest: str | None = None
    their_token: str | None = None
    versions_url: str | None = None
    endpoints: tuple[Endpoint, ...] = ()
    # When the endpoints were last read from versions_url, and why the last read failed (if it did).
    endpoints_read_at: datetime | None = None
    endpoints_error: str | None = None
    response_url_hosts: tuple[str, ...] = ()
    allow_private_callbacks: bool = False
    ownership: OwnershipPolicy = DEFAULT_POLICY
    status: PartyStatus = "invited"
    source: PartySource = "config"

    @property
    def key(self) -> str:
        """``CC*PID`` upper-cased: how a partner is named in logs, URLs and stored state."""
        return party_key(self.country_code, self.party_id)

    @property
    def registered(self) -> bool:
        """A partner holding only a token A may use versions and credentials, nothing else."""
        return self.status == "registered"

    def endpoint(self, identifier: str, role: str | None = None) -> str | None:
        """The URL of one module in their version details (``role`` ignored when ``None``)."""
        for entry in self.endpoints:
            if entry.identifier == identifier and (role is None or entry.role.upper() == role):
                return entry.url
        return None

    @property
    def chargingprofiles_url(self) -> str | None:
        """Their ``chargingprofiles`` SENDER endpoint: target of ActiveChargingProfile PUTs."""
        return self.endpoint("chargingprofiles", "SENDER")

    @property
    def sessions_url(self) -> str | None:
        """Their ``sessions`` RECEIVER endpoint: target of Sessions pushes."""
        return self.endpoint("sessions", "RECEIVER")


def party_key(country_code: str, party_id: str) -> str:
    """``CC*PID`` upper-cased."""
    return f"{country_code.upper()}*{party_id.upper()}"


class PartyStore(Protocol):
    """The partner table of a backend, indexed by key (``CC*PID``) and by token digest.

    Implementations keep the two indexes consistent: after ``put`` the record is found by its
    new digest and no longer by the digest it had before (that is what kills a token A or an
    old token C). Records are returned as copies; changing one changes nothing stored.
    Every method may raise :class:`~ocpi_gateway.errors.BackendError`.
    """

    async def get(self, key: str) -> PartyRecord | None:
        """The partner by ``CC*PID`` (case-insensitive)."""
        ...

    async def get_by_digest(self, digest: str) -> PartyRecord | None:
        """The partner whose current token has this SHA-256 hex digest."""
        ...

    async def put(self, record: PartyRecord) -> None:
        """Insert or replace by key, re-indexing the token digest."""
        ...

    async def delete(self, key: str) -> None:
        """Forget the partner and its token digest (no error when unknown)."""
        ...

    async def list_all(self) -> list[PartyRecord]:
        """Every partner, ordered by key."""
        ...


class MemoryPartyStore:
    """The embedded backend's partner table: two dicts, copies in and out."""

    def __init__(self) -> None:
        self._by_key: dict[str, PartyRecord] = {}
        self._by_digest: dict[str, str] = {}

    async def get(self, key: str) -> PartyRecord | None:
        record = self._by_key.get(key.upper())
        return record.model_copy(deep=True) if record is not None else None

    async def get_by_digest(self, digest: str) -> PartyRecord | None:
        key = self._by_digest.get(digest)
        return await self.get(key) if key is not None else None

    async def put(self, record: PartyRecord) -> None:
        await self.delete(record.key)
        self._by_key[record.key] = record.model_copy(deep=True)
        if record.token_digest is not None:
            self._by_digest[record.token_digest] = record.key

    async def delete(self, key: str) -> None:
        old = self._by_key.pop(key.upper(), None)
        if old is not None and old.token_digest is not None:
            self._by_digest.pop(old.token_digest, None)

    async def list_all(self) -> list[PartyRecord]:
        return [self._by_key[key].model_copy(deep=True) for key in sorted(self._by_key)]
