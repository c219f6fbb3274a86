"""Redis-backed stores: sessions, station presence, idempotency/rate guards, id sequences.

Each method is one round trip, and writes of more than one key are one Lua script
(``scripts``) rather than a MULTI pipeline: redis-py's cost is per command, and a
script is one command. Every Redis failure becomes :class:`~ocpi_gateway.errors.BackendError`.
"""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ocpi_gateway.backend.base import FIRST_PROFILE_ID
from ocpi_gateway.backend.codec import station_info_from_json, station_info_to_json
from ocpi_gateway.backend.keys import Keys
from ocpi_gateway.backend.parties import PartyRecord
from ocpi_gateway.backend.redis import scripts as redis_scripts
from ocpi_gateway.domain import Session, SessionStatus, StationInfo
from ocpi_gateway.errors import BackendError


class RedisErrors:
    """``async with redis_errors():`` turns any Redis or socket failure into BackendError
    (→ HTTP 503 / OCPI 3000).

    A class, not an ``asynccontextmanager``: every Redis call of a flow (six to nine) passes
    through one, and a generator-based manager costs about 2.5 µs where this costs 0.5.
    """

    __slots__ = ()

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, _kind: object, exc: BaseException | None, _tb: object) -> None:
        if isinstance(exc, RedisError | OSError):
            raise BackendError(f"redis: {type(exc).__name__}: {exc}") from exc


_REDIS_ERRORS = RedisErrors()


def redis_errors() -> RedisErrors:
    """The one :class:`RedisErrors` (it holds no state)."""
    return _REDIS_ERRORS


def raise_if_cancelled() -> None:
    """Stop a loop whose task was cancelled while redis-py swallowed the CancelledError.

    redis-py 8 can lose a cancellation that arrives mid-command (the command completes
    instead; measured: most cancellations of a busy loop). ``Task.cancelling()`` still
    counts it, so loops that run until cancelled (heartbeat, stream reads) check it and
    stop instead of running forever and hanging shutdown.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class RedisSessionStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, completed_ttl: int) -> None:
        self._redis = redis
        self._keys = keys
        self._completed_ttl = completed_ttl
        self._put = redis.register_script(redis_scripts.PUT_SESSION)

    async def get(self, session_id: str) -> Session | None:
        async with redis_errors():
            raw = await self._redis.get(self._keys.session(session_id))
        return Session.model_validate_json(raw) if raw else None

    async def find_by_transaction(self, station_id: str, transaction_id: str) -> Session | None:
        async with redis_errors():
            session_id = await self._redis.get(self._keys.transaction(station_id, transaction_id))
        return await self.get(str(session_id)) if session_id else None

    async def put(self, session: Session) -> None:
        await self._write(session, None)

    async def swap(self, old: Session, new: Session) -> bool:
        return await self._write(new, old.model_dump_json())

    async def _write(self, session: Session, expected: str | None) -> bool:
        ttl = self._completed_ttl if session.status is SessionStatus.COMPLETED else 0
        keys = [
            self._keys.session(session.session_id),
            self._keys.transaction(session.station_id, session.transaction_id),
            self._keys.sessions,
            self._keys.station_sessions(session.station_id),
        ]
        compare = "0" if expected is None else "1"
        args: list[str | int] = [session.model_dump_json(), session.session_id, ttl, compare, expected or ""]
        async with redis_errors():
            return bool(await self._put(keys=keys, args=args))

    async def delete(self, session_id: str) -> None:
        session = await self.get(session_id)
        if session is None:
            return
        async with redis_errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._keys.session(session_id))
            pipe.delete(self._keys.transaction(session.station_id, session.transaction_id))
            pipe.srem(self._keys.sessions, session_id)
            pipe.srem(self._keys.station_sessions(session.station_id), session_id)
            await pipe.execute()

    async def list(self, station_id: str | None = None) -> list[Session]:
        index = self._keys.sessions if station_id is None else self._keys.station_sessions(station_id)
        async with redis_errors():
            ids = sorted(str(i) for i in await self._redis.smembers(index))
            if not ids:
                return []
            values = await self._redis.mget([self._keys.session(i) for i in ids])
            gone = [i for i, v in zip(ids, values, strict=True) if v is None]
            if gone:  # expired ended sessions: drop them from the index lazily
                await self._redis.srem(index, *gone)
        sessions = [Session.model_validate_json(v) for v in values if v is not None]
        return sorted(sessions, key=lambda s: s.started_at)


class RedisStationRegistry:
    def __init__(self, redis: aioredis.Redis, keys: Keys, node_ttl: float) -> None:
        self._redis = redis
        self._keys = keys
        self._node_ttl = node_ttl
        self._lookup = redis.register_script(redis_scripts.LOOKUP)
        self._down = redis.register_script(redis_scripts.DOWN)

    async def up(self, info: StationInfo) -> str | None:
        async with redis_errors():
            old = await self._redis.set(
                self._keys.station(info.station_id), station_info_to_json(info), get=True
            )
        previous = station_info_from_json(str(old)).node if old else None
        return previous if previous != info.node else None

    async def down(self, station_id: str, node: str) -> None:
        async with redis_errors():
            await self._down(keys=[self._keys.station(station_id)], args=[node])

    def alive_since(self) -> float:
        """A node whose last heartbeat is older than this is dead (its stations are nowhere)."""
        return time.time() - self._node_ttl

    async def lookup(self, station_id: str) -> StationInfo | None:
        async with redis_errors():
            raw = await self._lookup(
                keys=[self._keys.station(station_id), self._keys.nodes], args=[self.alive_since()]
            )
        return station_info_from_json(raw) if raw else None


class RedisGuards:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def claim(self, key: str, ttl: int) -> str | None:
        name = self._keys.guard(key)
        async with redis_errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.set(name, "", nx=True, ex=ttl)
            pipe.get(name)
            claimed, value = await pipe.execute()
        return None if claimed else str(value or "")

    async def settle(self, key: str, answer: str, ttl: int) -> None:
        async with redis_errors():
            await self._redis.set(self._keys.guard(key), answer, ex=ttl)

    async def release(self, key: str) -> None:
        async with redis_errors():
            await self._redis.delete(self._keys.guard(key))

    def bucket(self, key: str, window: int) -> str:
        """The Redis key counting ``key``'s requests in the current ``window``-second bucket."""
        return self._keys.guard(f"rate:{key}:{int(time.time()) // window}")

    async def hit(self, key: str, window: int) -> int:
        name = self.bucket(key, window)
        async with redis_errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window + 1)
            count, _ = await pipe.execute()
        return int(count)


class RedisSequences:
    """Ids unique across every node: 1.6 transaction ids and per-station profile ids."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._keys = keys
        self._next_id = redis.register_script(redis_scripts.NEXT_ID)

    async def next_transaction_id(self) -> int:
        # Seeded once from the clock so a flushed Redis does not reuse ids stations may still hold.
        return await self._next(self._keys.transaction_seq, int(time.time()) % 1_000_000_000)

    async def next_profile_id(self, station_id: str) -> int:
        return await self._next(self._keys.profile_seq(station_id), FIRST_PROFILE_ID - 1)

    async def _next(self, key: str, seed: int) -> int:
        async with redis_errors():
            return int(await self._next_id(keys=[key], args=[seed]))


class RedisPartyStore:
    """Partners as JSON by key, plus a digest -> key index (see ``backend.parties.PartyStore``)."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def get(self, key: str) -> PartyRecord | None:
        async with redis_errors():
            raw = await self._redis.get(self._keys.party(key.upper()))
        return PartyRecord.model_validate_json(raw) if raw else None

    async def get_by_digest(self, digest: str) -> PartyRecord | None:
        async with redis_errors():
            key = await self._redis.get(self._keys.party_digest(digest))
        return await self.get(str(key)) if key else None

    async def put(self, record: PartyRecord) -> None:
        old = await self.get(record.key)
        async with redis_errors(), self._redis.pipeline(transaction=True) as pipe:
            if old is not None and old.token_digest and old.token_digest != record.token_digest:
                pipe.delete(self._keys.party_digest(old.token_digest))
            pipe.set(self._keys.party(record.key), record.model_dump_json())
            if record.token_digest:
                pipe.set(self._keys.party_digest(record.token_digest), record.key)
            pipe.sadd(self._keys.parties, record.key)
            await pipe.execute()

    async def delete(self, key: str) -> None:
        old = await self.get(key)
        async with redis_errors(), self._redis.pipeline(transaction=True) as pipe:
            if old is not None and old.token_digest:
                pipe.delete(self._keys.party_digest(old.token_digest))
            pipe.delete(self._keys.party(key.upper()))
            pipe.srem(self._keys.parties, key.upper())
            await pipe.execute()

    async def list_all(self) -> list[PartyRecord]:
        async with redis_errors():
            keys = sorted(str(k) for k in await self._redis.smembers(self._keys.parties))
            if not keys:
                return []
            values = await self._redis.mget([self._keys.party(k) for k in keys])
        return [PartyRecord.model_validate_json(v) for v in values if v]
