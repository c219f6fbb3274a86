"""The lane's RESP (``backend/redis/resp.py``) equals redis-py's, byte for byte and value for value.

Replies are real: a raw socket to the test Redis speaks RESP3 (``HELLO 3``) and RESP2, the
bytes it gets back are parsed by redis-py's own parser and by ours, fed whole and in pieces
as small as one byte (a reply split across socket reads).
"""

from __future__ import annotations

import asyncio
import uuid
from enum import IntEnum
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from redis._parsers.encoders import Encoder
from redis._parsers.resp2 import _AsyncRESP2Parser
from redis._parsers.resp3 import _AsyncRESP3Parser
from redis.asyncio.connection import Connection
from redis.exceptions import DataError, NoScriptError, ResponseError

from ocpi_gateway.backend.redis.resp import Incomplete, Replies, pack


class Text(str):
    pass


class Raw(bytes):
    pass


class Seconds(IntEnum):
    TEN = 10


DECODING = Encoder("utf-8", "strict", True)
RAW = Encoder("utf-8", "strict", False)

ARGUMENTS: list[tuple[Any, ...]] = [
    ("GET", "k"),
    ("SET", "k", "välue ✓", "EX", 10),
    ("EVALSHA", "4822de9991b36567ce4145fb485cdb43f2619852", 2, "a", "b", 1.5, -3, 10**20),
    ("SCRIPT LOAD", "return 1"),
    ("SET", b"bytes\x00key", b"\xff" * 10_000),
    ("HSET", "h", "f", "x" * 70_000),
    ("XADD", "s", "*", "f", memoryview(b"view")),
    # Where the packer's fast paths end: lengths around its table of headers, subclasses of
    # str / bytes / int (an IntEnum is written as redis-py's encoder writes it), 64+ arguments.
    ("MSET", "a" * 4095, "b" * 4096, "c" * 4097, "é" * 2048),
    ("SET", Text("sub"), Raw(b"classed")),
    ("EXPIRE", "k", Seconds.TEN, 0, -1),
    ("RPUSH", "list", *range(70)),
]


def test_packing_is_byte_for_byte_redis_pys() -> None:
    connection = Connection()
    for encoder in (DECODING, RAW):
        connection.encoder = encoder
        assert pack(ARGUMENTS, encoder) == b"".join(connection.pack_commands(ARGUMENTS))


def test_packing_refuses_what_redis_py_refuses() -> None:
    with pytest.raises(DataError):
        pack([("SET", "k", True)], DECODING)
    with pytest.raises(DataError):
        pack([("SET", "k", None)], DECODING)


async def raw_replies(url: str, commands: list[tuple[Any, ...]], resp3: bool) -> list[bytes]:
    """Each command's reply exactly as the server sent it (one command, one read-until-quiet)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 6379)
    db = (parts.path or "/0").lstrip("/") or "0"
    out: list[bytes] = []
    try:
        for command in [("HELLO", "3" if resp3 else "2"), ("SELECT", db), *commands]:
            writer.write(pack([command], DECODING))
            await writer.drain()
            data = await reader.read(1 << 20)
            while True:  # a long reply comes in several reads
                try:
                    more = await asyncio.wait_for(reader.read(1 << 20), 0.05)
                except TimeoutError:
                    break
                if not more:
                    break
                data += more
            out.append(data)
    finally:
        writer.close()
        await writer.wait_closed()
    return out[2:]


async def redis_py_value(data: bytes, raw: bool, resp3: bool) -> Any:
    """What redis-py's parser for the protocol makes of one reply."""
    stream = asyncio.StreamReader()
    stream.feed_data(data)
    stream.feed_eof()
    parser = _AsyncRESP3Parser(65536) if resp3 else _AsyncRESP2Parser(65536)
    parser.on_connect(SimpleNamespace(_reader=stream, encoder=DECODING))
    try:
        return await parser.read_response(disable_decoding=raw)
    except ResponseError as exc:  # a top-level error is raised there, returned here
        return exc


def ours(data: bytes, raw: bool, piece: int) -> Any:
    replies = Replies(DECODING)
    for start in range(0, len(data), piece):
        with pytest.raises(Incomplete):
            replies.next(raw)
        replies.feed(data[start : start + piece])
    value = replies.next(raw)
    with pytest.raises(Incomplete):  # nothing left over
        replies.next(raw)
    return value


def same(a: Any, b: Any) -> bool:
    if isinstance(a, Exception) or isinstance(b, Exception):
        return type(a) is type(b) and str(a) == str(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.mark.parametrize("resp3", [True, False], ids=["resp3", "resp2"])
async def test_every_reply_type_parses_as_redis_py_parses_it(redis_url: str, resp3: bool) -> None:
    p = f"resp-{uuid.uuid4().hex[:8]}"
    commands: list[tuple[Any, ...]] = [
        ("SET", f"{p}:s", "välue ✓"),  # simple string
        ("GET", f"{p}:s"),  # bulk, decoded
        ("GET", f"{p}:missing"),  # null
        ("INCRBY", f"{p}:n", 5),  # integer
        ("INCR", f"{p}:s"),  # error reply
        ("HSET", f"{p}:h", "a", "1", "b", "x" * 70_000),
        ("HGETALL", f"{p}:h"),  # a map in RESP3, a flat array in RESP2; one long reply
        ("SADD", f"{p}:set", "x", "y"),
        ("SMEMBERS", f"{p}:set"),  # a set in RESP3
        ("ZADD", f"{p}:z", 1.5, "m"),
        ("ZSCORE", f"{p}:z", "m"),  # a double in RESP3
        ("ZRANGE", f"{p}:z", 0, -1, "WITHSCORES"),
        ("EVAL", "return {1, 'two', {3, false}, redis.error_reply('MY bad')}", 0),  # nested, error inside
        ("EVAL", "return redis.call('HGETALL', KEYS[1])", 1, f"{p}:h"),
        ("EVALSHA", "0" * 40, 0),  # NOSCRIPT: the script is loaded and called again
        ("XADD", f"{p}:st", "*", "f", "v"),
        ("XRANGE", f"{p}:st", "-", "+"),
        ("EXISTS", f"{p}:s", f"{p}:missing"),
        ("DEL", f"{p}:s", f"{p}:h", f"{p}:set", f"{p}:z", f"{p}:st", f"{p}:n"),
    ]
    replies = await raw_replies(redis_url, commands, resp3)
    assert len(replies) == len(commands)
    for command, data in zip(commands, replies, strict=True):
        for raw in (False, True):
            expected = await redis_py_value(data, raw, resp3)
            for piece in (len(data), 7, 1) if len(data) < 4096 else (len(data), 4096):
                got = ours(data, raw, piece)
                assert same(got, expected), (command, raw, piece, got, expected)
    noscript = ours(replies[commands.index(("EVALSHA", "0" * 40, 0))], False, 1)
    assert isinstance(noscript, NoScriptError)  # what makes redis-py load a script and call again


def test_several_replies_in_one_read_come_out_in_order() -> None:
    replies = Replies(DECODING)
    replies.feed(b"+OK\r\n:42\r\n$3\r\nabc\r\n_\r\n*2\r\n#t\r\n,1.5\r\n>2\r\n+push\r\n+x\r\n$1\r\nz\r\n")
    assert [replies.next(False) for _ in range(6)] == ["OK", 42, "abc", None, [True, 1.5], "z"]
    with pytest.raises(Incomplete):
        replies.next(False)
