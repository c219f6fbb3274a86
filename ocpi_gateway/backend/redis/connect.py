"""How the Redis backend reaches its primary: straight from ``redis.url``, or through Sentinel.

With ``redis.sentinels`` the primary's address is asked of the Sentinels under the name
``redis.sentinel_master`` whenever a connection opens, so after a failover every new connection
(the lane's included: ``lane.py`` replaces a connection that broke) goes to the promoted replica.
A connection still open to a demoted primary gets READONLY on its next write; redis-py's
Sentinel connection then drops it and the next attempt asks the Sentinels again. ``redis.url``
still gives the password, user, database and TLS (``rediss://``); its host and port are not used.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool, ConnectionPool
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedSSLConnection
from redis.backoff import ExponentialBackoff
from redis.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ocpi_gateway.config import RedisSettings

# What a connection of either kind is opened with.
COMMON: dict[str, Any] = {
    "decode_responses": True,
    "socket_timeout": 5,
    "socket_connect_timeout": 2,
    "health_check_interval": 15,
}
# Asking a Sentinel is quick or the Sentinel is gone: the next one is tried.
SENTINEL_TIMEOUT = 1.0
# Options of redis.url that describe the server's place rather than how to talk to it.
PLACE_OPTIONS = ("host", "port", "path", "connection_class")


def _retry() -> dict[str, Any]:
    """A pooled connection left stale by a Redis restart (or a failover) is replaced, not reported."""
    return {
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }


def sentinel_addresses(settings: RedisSettings) -> list[tuple[str, int]]:
    """``redis.sentinels`` as (host, port) pairs (the config already checked their form)."""
    pairs = []
    for entry in settings.sentinels:
        host, _, port = entry.rpartition(":")
        pairs.append((host, int(port)))
    return pairs


def connection_pool(settings: RedisSettings) -> ConnectionPool:
    """The backend's pool: a blocking one from ``redis.url``, or one that follows the Sentinels.

    The direct pool blocks when all ``max_connections`` are busy (a command waits instead of
    failing with "Too many connections"); the Sentinel pool is redis-py's, unbounded, which is
    harmless here because plain commands share the lane's one connection.
    """
    if not settings.sentinels:
        return BlockingConnectionPool.from_url(
            settings.url, max_connections=settings.max_connections, timeout=5, **COMMON, **_retry()
        )
    options: dict[str, Any] = {}
    if settings.url:
        parsed: dict[str, Any] = parse_url(settings.url)  # type: ignore[no-untyped-call, unused-ignore]
        options = {k: v for k, v in parsed.items() if k not in PLACE_OPTIONS}
        if settings.url.startswith("rediss://"):
            options["connection_class"] = SentinelManagedSSLConnection
    sentinel = Sentinel(  # type: ignore[no-untyped-call, unused-ignore]
        sentinel_addresses(settings),
        sentinel_kwargs={"socket_timeout": SENTINEL_TIMEOUT, "socket_connect_timeout": SENTINEL_TIMEOUT},
        **COMMON,
    )
    pool: ConnectionPool = SentinelConnectionPool(  # type: ignore[no-untyped-call, unused-ignore]
        settings.sentinel_master, sentinel, **COMMON, **_retry(), **options
    )
    return pool
