"""RESP for the lane: commands packed and replies parsed in one pass over a byte buffer.

Why: redis-py's asyncio parser reads a reply line by line, awaiting the stream for every line
and recursing through coroutines for every element; its packer splits, checks and chunks every
argument. For the lane's many small replies that was most of a command's CPU (28–50 µs a command
in a micro-benchmark of 4 to 64 concurrent callers, docs/benchmarks.md). Here the lane reads whatever the
socket holds and parses every complete reply in it synchronously.

The values are exactly redis-py's (RESP2 and RESP3 types, its decoding, its error classes via
its own ``parse_error``), so its response callbacks run unchanged; ``tests/backend/test_lane.py``
and ``tests/backend/test_resp.py`` hold them equal. RESP3 push frames (client-side caching,
maintenance notices) are skipped: the lane's connection subscribes to neither.
"""

from __future__ import annotations

from typing import Any

from redis._parsers.base import BaseParser
from redis._parsers.encoders import Encoder
from redis.exceptions import InvalidResponse

CRLF = b"\r\n"


# Headers of small counts and lengths, made once: formatting one per argument, with redis-py's
# encoder for every int, was almost half of packing a job (``python -m bench.micro``, "lane: pack").
_COUNTS = [b"*%d\r\n" % n for n in range(64)]
_LENGTHS = [b"$%d\r\n" % n for n in range(4096)]


def pack(commands: list[tuple[Any, ...]], encoder: Encoder) -> bytes:
    """The commands as one RESP request, byte for byte what redis-py's ``pack_commands`` sends.

    A first argument holding spaces (``"SCRIPT LOAD"``) is split into words as redis-py does;
    text, bytes and plain ``int`` are written here (an ``int`` as its digits, as redis-py's
    encoder does), anything else goes through redis-py's encoder (its errors included: ``bool``,
    ``None``).
    """
    out: list[bytes] = []
    append = out.append
    encoding, errors = encoder.encoding, encoder.encoding_errors
    for args in commands:
        first = args[0]
        if isinstance(first, str) and " " in first:
            args = (*first.split(), *args[1:])
        count = len(args)
        append(_COUNTS[count] if count < 64 else b"*%d\r\n" % count)
        for arg in args:
            if isinstance(arg, str):
                data = arg.encode(encoding, errors)
            elif isinstance(arg, bytes):
                data = arg
            elif type(arg) is int:  # not bool or IntEnum: redis-py's encoder refuses or writes those
                data = b"%d" % arg
            else:
                data = bytes(encoder.encode(arg))  # type: ignore[no-untyped-call]
            size = len(data)
            append(_LENGTHS[size] if size < 4096 else b"$%d\r\n" % size)
            append(data)
            append(CRLF)
    return b"".join(out)


def _error(message: bytes) -> Exception:
    """redis-py's exception for an error reply (``NoScriptError``, ``ReadOnlyError``, …)."""
    error: Exception = BaseParser.parse_error(message.decode("utf-8", errors="replace"))  # type: ignore[no-untyped-call]
    return error


class Incomplete(Exception):
    """The buffer ends inside a reply: read more from the socket."""


class Replies:
    """A buffer of bytes from one connection, handing out complete replies in order.

    :meth:`next` returns a reply or raises :class:`Incomplete` without consuming anything, so
    a reply split across socket reads is parsed once it is whole. An error reply is returned
    as redis-py's exception object (the lane decides whether to raise it), as redis-py's
    parser does.
    """

    __slots__ = ("_buffer", "_decode", "_encoding", "_errors", "_pos")

    def __init__(self, encoder: Encoder) -> None:
        self._buffer = bytearray()
        self._pos = 0
        self._decode = bool(encoder.decode_responses)
        self._encoding = encoder.encoding
        self._errors = encoder.encoding_errors

    def feed(self, data: bytes) -> None:
        """Add bytes read from the socket (consumed bytes are dropped now and then)."""
        if self._pos and self._pos >= len(self._buffer) // 2:
            del self._buffer[: self._pos]
            self._pos = 0
        self._buffer += data

    def next(self, raw: bool) -> Any:
        """The next whole reply (``raw``: bulk strings stay bytes), or :class:`Incomplete`."""
        value, end = self._parse(self._pos, not raw and self._decode)
        self._pos = end
        return value

    def _line(self, pos: int) -> tuple[bytes, int]:
        end = self._buffer.find(CRLF, pos)
        if end < 0:
            raise Incomplete
        return bytes(self._buffer[pos:end]), end + 2

    def _bulk(self, pos: int, length: int) -> tuple[bytes, int]:
        end = pos + length
        if end + 2 > len(self._buffer):
            raise Incomplete
        return bytes(self._buffer[pos:end]), end + 2

    def _text(self, data: bytes, decode: bool) -> Any:
        return data.decode(self._encoding, self._errors) if decode else data

    def _parse(self, pos: int, decode: bool) -> tuple[Any, int]:
        while True:
            line, pos = self._line(pos)
            kind, rest = line[:1], line[1:]
            if kind == b"$":
                length = int(rest)
                if length < 0:
                    return None, pos
                data, pos = self._bulk(pos, length)
                return self._text(data, decode), pos
            if kind in (b"*", b"~", b"%"):
                return self._aggregate(kind, int(rest), pos, decode)
            if kind in (b"=", b"!"):
                data, pos = self._bulk(pos, int(rest))
                if kind == b"!":
                    return _error(data), pos
                return self._text(data[4:], decode), pos  # verbatim: "txt:" first
            if kind in (b">", b"|"):  # a push frame or attributes: skipped, the reply follows them
                for _ in range(int(rest) * (2 if kind == b"|" else 1)):
                    _item, pos = self._parse(pos, decode)
                continue
            return self._scalar(kind, rest, line, decode), pos

    def _aggregate(self, kind: bytes, count: int, pos: int, decode: bool) -> tuple[Any, int]:
        if count < 0:
            return None, pos
        if kind == b"%":
            mapping = {}
            for _ in range(count):
                key, pos = self._parse(pos, decode)
                mapping[key], pos = self._parse(pos, decode)
            return mapping, pos
        items = []  # an array, or a set (a list, as redis-py gives it: members may be unhashable)
        for _ in range(count):
            item, pos = self._parse(pos, decode)
            items.append(item)
        return items, pos

    def _scalar(self, kind: bytes, rest: bytes, line: bytes, decode: bool) -> Any:
        if kind in (b":", b"("):
            return int(rest)
        if kind == b"+":
            return self._text(rest, decode)
        if kind == b"-":
            return _error(rest)
        if kind == b"_":
            return None
        if kind == b",":
            return float(rest)
        if kind == b"#":
            return rest == b"t"
        raise InvalidResponse(f"Protocol Error: {line!r}")
