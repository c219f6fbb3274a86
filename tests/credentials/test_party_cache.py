"""The partner lookup cache: fewer backend reads, no stale token A, local writes seen at once."""

from __future__ import annotations

from ocpi_gateway.backend.parties import MemoryPartyStore, PartyRecord
from ocpi_gateway.config import token_digest
from ocpi_gateway.partners.parties import PartyDirectory


class CountingStore(MemoryPartyStore):
    def __init__(self) -> None:
        super().__init__()
        self.digest_reads = 0

    async def get_by_digest(self, digest: str) -> PartyRecord | None:
        self.digest_reads += 1
        return await super().get_by_digest(digest)


def record(token: str, status: str = "registered") -> PartyRecord:
    return PartyRecord(country_code="NL", party_id="JDX", token_digest=token_digest(token), status=status)  # type: ignore[arg-type]


class TestPartyCache:
    async def test_registered_partner_is_read_once_within_the_window(self) -> None:
        """Two requests with the same token: one backend read."""
        store = CountingStore()
        await store.put(record("c1"))
        directory = PartyDirectory(store, cache_seconds=60)
        assert await directory.authenticate("Token c1") is not None
        assert await directory.authenticate("Token c1") is not None
        assert store.digest_reads == 1

    async def test_a_write_through_the_directory_is_seen_at_once(self) -> None:
        """Rotating a token through this node's directory kills the old one immediately."""
        store = CountingStore()
        directory = PartyDirectory(store, cache_seconds=60)
        await directory.put(record("c1"))
        assert await directory.authenticate("Token c1") is not None
        await directory.put(record("c2"))
        assert await directory.authenticate("Token c1") is None
        assert await directory.authenticate("Token c2") is not None

    async def test_token_a_is_never_cached(self) -> None:
        """A token A is read anew each time, so another node's handshake ends it at once."""
        store = CountingStore()
        await store.put(record("a1", status="invited"))
        directory = PartyDirectory(store, cache_seconds=60)
        assert await directory.authenticate("Token a1") is not None
        await store.put(record("c1"))  # another node finished the handshake
        assert await directory.authenticate("Token a1") is None
