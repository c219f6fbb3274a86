"""Station password hashes: salted scrypt in a self-describing string, checked in constant time.

A ``password_hash`` in ``[[ocpp.stations]]`` looks like
``scrypt$32768$8$1$<salt, base64>$<key, base64>``: the work factors travel with the hash,
so they can be raised later without invalidating the hashes already configured. scrypt is
slow and memory-hard on purpose (a leaked configuration must not give the passwords away);
the cost of checking it once per station is paid by :mod:`ocpi_gateway.stations.direct.auth`,
which remembers successful checks. Pure standard library, no I/O: ``config.py`` validates
hashes with :func:`parse_password_hash` at start-up.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCHEME = "scrypt"
# 2**15 * 8 * 128 bytes = 32 MiB and some tens of milliseconds per check: the usual
# interactive-login setting. Tests pass a smaller ``n`` to stay fast.
DEFAULT_N = 2**15
DEFAULT_R = 8
DEFAULT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
# Upper bounds keep a hostile or mistaken configuration from asking for gigabytes.
MAX_N = 2**20
MAX_R = 32
MAX_P = 16
MAX_MEMORY = 256 * 1024 * 1024


@dataclass(frozen=True)
class PasswordHash:
    """A parsed ``scrypt$n$r$p$salt$key`` string."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes

    def __str__(self) -> str:
        salt = base64.b64encode(self.salt).decode()
        key = base64.b64encode(self.key).decode()
        return f"{SCHEME}${self.n}${self.r}${self.p}${salt}${key}"


def _derive(password: str, n: int, r: int, p: int, salt: bytes, length: int) -> bytes:
    # OpenSSL refuses more than ``maxmem`` bytes; scrypt needs 128 * r * (n + p + 2) or so.
    maxmem = min(MAX_MEMORY, 128 * r * (n + p + 2) + 1024 * 1024)
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=length)


def hash_password(password: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P) -> str:
    """A new salted hash of ``password`` (what ``ocpi-gateway stations hash-password`` prints)."""
    salt = secrets.token_bytes(SALT_BYTES)
    _check_factors(n, r, p)
    return str(PasswordHash(n, r, p, salt, _derive(password, n, r, p, salt, KEY_BYTES)))


def _check_factors(n: int, r: int, p: int) -> None:
    if n < 2 or n > MAX_N or n & (n - 1):
        raise ValueError(f"scrypt n must be a power of two between 2 and {MAX_N}")
    if not 1 <= r <= MAX_R or not 1 <= p <= MAX_P:
        raise ValueError(f"scrypt r must be 1..{MAX_R} and p 1..{MAX_P}")


def parse_password_hash(text: str) -> PasswordHash:
    """Read a stored hash.

    Raises:
        ValueError: not ``scrypt$n$r$p$salt$key`` with sane factors (the message says what).
    """
    parts = text.strip().split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise ValueError(
            "expected scrypt$n$r$p$salt$key (make one with `ocpi-gateway stations hash-password`)"
        )
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("scrypt factors must be integers and salt/key base64") from None
    _check_factors(n, r, p)
    if len(salt) < 8 or len(key) < 16:
        raise ValueError("salt must be at least 8 bytes and key at least 16 bytes")
    return PasswordHash(n, r, p, salt, key)


def verify_password(password: str, stored: PasswordHash) -> bool:
    """True when ``password`` produces ``stored`` (slow by design; compared in constant time)."""
    derived = _derive(password, stored.n, stored.r, stored.p, stored.salt, len(stored.key))
    return hmac.compare_digest(derived, stored.key)
