"""One auto-pipelined connection for the backend's commands: redis-py's API, a fraction of its CPU.

Why: redis-py's asyncio client takes a connection from the pool, sends, reads and gives the
connection back for every command. Under the gateway's load that bookkeeping, not Redis, was the
cost of the Redis backend: about 150–330 µs of gateway CPU per command against about 40 µs
when the same commands share one connection and go out together (``make bench``,
docs/benchmarks.md). :class:`PipelinedRedis` keeps redis-py's whole command API (scripts,
response callbacks, error classes) and changes only how a plain command travels: it joins a
*lane*, a queue that one task writes to a single connection in batches, reading the replies
back in order (Redis answers in order on one connection).

What does not join the lane, because it would hold every command behind it: blocking commands
(``XREADGROUP … BLOCK``, ``WAIT``, ``BLPOP`` …), connection-state commands (``MULTI``/``WATCH``,
``SELECT``, ``SUBSCRIBE`` …) and pipelines, which keep their own pooled connection. A connection
found dead before any reply of a batch came back is replaced and the batch sent once more (what
redis-py's retry does for a pooled connection left stale by a Redis restart); one that dies after
a reply arrived fails the rest of the batch with ``ConnectionError``, as a dropped command would.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection, ConnectionPool
from redis.asyncio.sentinel import SentinelManagedConnection
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ocpi_gateway.backend.redis.resp import Incomplete, Replies, pack

# A command (first word) that never joins the lane: it blocks, or changes the connection's state.
BYPASS = frozenset(
    {
        "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP",
        "WAIT", "WAITAOF", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SELECT", "AUTH",
        "HELLO", "RESET", "QUIT", "CLIENT", "MONITOR", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE",
        "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "SYNC", "PSYNC", "SHUTDOWN", "DEBUG",
    }
)  # fmt: skip
BLOCKING_READS = frozenset({"XREAD", "XREADGROUP"})
NEVER_DECODE = "NEVER_DECODE"
EMPTY_RESPONSE = "EMPTY_RESPONSE"
CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
READ_SIZE = 65536  # at most this much is taken from the socket per read (redis-py's default too)


def _word(value: Any) -> str:
    return (value.decode(errors="replace") if isinstance(value, bytes) else str(value)).upper()


def bypasses_lane(args: tuple[Any, ...]) -> bool:
    """True for a command that must have a connection of its own (see the module docstring).

    redis-py passes keywords such as ``BLOCK`` as bytes or text; both are recognised.
    """
    name = _word(args[0]).split(" ", 1)[0]
    if name in BYPASS:
        return True
    return name in BLOCKING_READS and any(_word(a) == "BLOCK" for a in args[1:] if isinstance(a, str | bytes))


class Pending:
    """One command waiting in the lane: its arguments, how to read its reply, and who waits."""

    __slots__ = ("args", "future", "raw")

    def __init__(self, args: tuple[Any, ...], raw: bool, future: asyncio.Future[Any]) -> None:
        self.args = args
        self.raw = raw
        self.future = future

    def settle(self, value: Any = None, error: BaseException | None = None) -> None:
        """Hand the reply (or the error) over, unless the caller stopped waiting."""
        if self.future.done():
            return
        if error is not None:
            self.future.set_exception(error)
        else:
            self.future.set_result(value)


class Lane:
    """A queue of commands written in batches to one connection borrowed from the pool."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._connection: AbstractConnection | None = None
        self._replies: Replies | None = None  # what the connection sent, parsed (resp.py)
        # One deadline per batch instead of redis-py's per write (a task) and per read (a context).
        self._timeout: float | None = pool.connection_kwargs.get("socket_timeout")
        self._queue: list[Pending] = []
        self._pump: asyncio.Task[None] | None = None

    async def execute(self, args: tuple[Any, ...], raw: bool) -> Any:
        """Queue one command and wait for its raw reply (a ``ResponseError`` is raised)."""
        item = Pending(args, raw, asyncio.get_running_loop().create_future())
        self._queue.append(item)
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._run())
        return await item.future

    async def close(self) -> None:
        """Stop the pump and give the connection back (the pool disconnects it on its own close)."""
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
        self._fail(self._queue, RedisConnectionError("the Redis client is closing"))
        self._queue.clear()
        await self._drop()

    async def _run(self) -> None:
        while self._queue:
            await asyncio.sleep(0)  # let every coroutine that is ready add its command to this batch
            batch, self._queue = self._queue, []
            try:
                await self._round(batch)
            except asyncio.CancelledError:  # closing mid-batch: nobody may wait forever
                self._fail(batch, RedisConnectionError("the Redis client is closing"))
                await self._drop()
                raise
            except Exception as exc:  # a reply redis-py could not parse: this batch fails, the lane goes on
                self._fail(batch, RedisConnectionError(f"the Redis lane failed: {exc!r}"))
                await self._drop()

    @staticmethod
    def _fail(batch: list[Pending], error: BaseException) -> None:
        for item in batch:
            item.settle(error=error)

    async def _round(self, batch: list[Pending]) -> None:
        """Write the batch, read its replies in order; once more on a fresh connection if it was stale.

        Replies are parsed from whatever the socket holds (``resp.py``), not line by line through
        redis-py's parser; an error reply is the caller's own, as in redis-py, except READONLY on
        a connection that follows the Sentinels' primary: it was demoted (a failover), so the
        connection is dropped as redis-py's Sentinel connection does, and the next one asks the
        Sentinels where the primary is now.
        """
        for attempt in (1, 2):
            connection = await self._connect()
            replies = self._replies
            assert replies is not None
            read = 0
            try:
                async with asyncio.timeout(self._timeout):
                    await connection.send_packed_command(
                        pack([item.args for item in batch], connection.encoder), check_health=False
                    )
                    for item in batch:
                        reply = await _next_reply(connection, replies, item.raw)
                        if isinstance(reply, ReadOnlyError) and _follows_the_primary(connection):
                            raise RedisConnectionError("The previous primary is now a replica")
                        if isinstance(reply, RedisConnectionError):  # LOADING and the like
                            raise reply
                        if isinstance(reply, ResponseError):
                            item.settle(error=reply)
                        else:
                            item.settle(reply)
                        read += 1
                return
            except (*CONNECTION_ERRORS, TimeoutError) as exc:
                await self._drop()
                if attempt == 1 and read == 0:
                    continue  # nothing came back: the connection was dead before the batch
                error = (
                    exc
                    if isinstance(exc, RedisConnectionError)
                    else RedisConnectionError(f"Redis did not answer: {type(exc).__name__} {exc}")
                )
                self._fail(batch[read:], error)
                return

    async def _connect(self) -> AbstractConnection:
        if self._connection is None:
            connection = await self._pool.get_connection()  # type: ignore[no-untyped-call]
            connection.socket_timeout = None  # the lane's own deadline covers each batch
            self._replies = Replies(connection.encoder)
            self._connection = connection
        return self._connection

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._replies = None
        if connection is not None:
            await connection.disconnect(nowait=True)
            connection.socket_timeout = self._timeout
            await self._pool.release(connection)


async def _next_reply(connection: AbstractConnection, replies: Replies, raw: bool) -> Any:
    """The connection's next reply, reading from its socket until one is whole."""
    while True:
        try:
            return replies.next(raw)
        except Incomplete:
            reader = connection._reader
            data = await reader.read(READ_SIZE) if reader is not None else b""
            if not data:
                raise RedisConnectionError("Connection closed by server.") from None
            replies.feed(data)


def _follows_the_primary(connection: AbstractConnection) -> bool:
    """A connection of a Sentinel pool for the primary (``redis.sentinels``), not a direct one."""
    return isinstance(connection, SentinelManagedConnection) and bool(connection.connection_pool.is_master)


class LaneScript(AsyncScript):
    """redis-py's script object, minus the pipeline checks and imports it makes on every call.

    Called on its own client (the lane) it is ``EVALSHA``, and ``SCRIPT LOAD`` then ``EVALSHA``
    again when the server does not know the script (a restart, a failover), as redis-py does;
    called with another client (a pipeline) it is redis-py's own call.
    """

    async def __call__(self, keys: Any = None, args: Any = None, client: Any = None) -> Any:
        if client is not None and client is not self.registered_client:
            return await super().__call__(keys, args, client)
        keys = keys or []
        args = args or []
        redis = self.registered_client
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            self.sha = await redis.script_load(self.script)
            return await redis.evalsha(self.sha, len(keys), *keys, *args)


class PipelinedRedis(aioredis.Redis):
    """redis-py's asyncio client whose plain commands travel on one auto-pipelined lane."""

    _lane: Lane | None = None

    def register_script(self, script: Any) -> AsyncScript:  # type: ignore[override]  # redis-py types the sync one
        """A :class:`LaneScript`: redis-py's script object with less work per call."""
        return LaneScript(self, script)

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if self.connection is not None or self.single_connection_client or bypasses_lane(args):
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        if self._lane is None:
            self._lane = Lane(self.connection_pool)
        try:
            response = await self._lane.execute(args, raw=NEVER_DECODE in options)
        except ResponseError:
            if EMPTY_RESPONSE in options:
                return options[EMPTY_RESPONSE]
            raise
        options.pop(NEVER_DECODE, None)
        options.pop(EMPTY_RESPONSE, None)
        options.pop("keys", None)
        name = args[0]
        if name in self.response_callbacks:
            value = self.response_callbacks[name](response, **options)
            return await value if inspect.isawaitable(value) else value
        return response

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        if self._lane is not None:
            await self._lane.close()
            self._lane = None
        await super().aclose(close_connection_pool)
