"""Callback URL safety: the gateway calls only hosts a partner may name, never inside the CPO's network.

A ``response_url`` is chosen by the partner, so without a guard any partner could make the
gateway POST into the CPO's own network (server-side request forgery). Two rules apply:

1. The host must be on the partner's allowed callback hosts: ``response_url_hosts`` when
   configured, otherwise the host of the partner's registered versions URL.
2. Every address the host resolves to must be public: loopback, link-local, private,
   shared (CGNAT), multicast, reserved and unspecified addresses are refused unless the
   partner has ``allow_private_callbacks`` (development partners on loopback).

Steering checks at request time (a refusal answers ``REJECTED``) and delivery checks again
before each attempt, because DNS may change between the two. The handshake applies rule 2
to the partner's versions and endpoint URLs. Redirects are never followed (the shared HTTP
client has ``follow_redirects=False``), so a checked URL cannot bounce elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from ocpi_gateway.backend.parties import PartyRecord
from ocpi_gateway.errors import CallbackHostUnresolved, CallbackRefused

Resolver = Callable[[str, int], Awaitable[list[str]]]
CallbackCheck = Callable[[PartyRecord, str], Awaitable[None]]

ALLOWED_SCHEMES = frozenset({"http", "https"})


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (a literal IP resolves to itself, without DNS).

    Raises:
        CallbackHostUnresolved: the name does not resolve now.
    """
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise CallbackHostUnresolved(f"host {host} does not resolve") from None
    return [str(info[4][0]) for info in infos]


def is_public_address(address: str) -> bool:
    """True only for globally routable unicast addresses (IPv4-mapped IPv6 judged as IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_link_local or ip.is_private or ip.is_multicast:
        return False
    return ip.is_global and not ip.is_reserved and not ip.is_unspecified


def allowed_hosts(party: PartyRecord) -> frozenset[str]:
    """The partner's callback hosts: configured ones, else the host of its versions URL."""
    if party.response_url_hosts:
        return frozenset(h.lower().rstrip(".") for h in party.response_url_hosts)
    if party.versions_url:
        host = urlsplit(party.versions_url).hostname
        if host:
            return frozenset({host.lower().rstrip(".")})
    return frozenset()


def _host_and_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise CallbackRefused("not a valid URL") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise CallbackRefused(f"scheme {parts.scheme or '(none)'} not allowed")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise CallbackRefused("URL without a host")
    return host, port or (443 if parts.scheme.lower() == "https" else 80)


async def check_address(url: str, allow_private: bool, resolver: Resolver = resolve_host) -> None:
    """Refuse ``url`` when its host resolves to a non-public address (rule 2 only).

    Raises:
        CallbackRefused: bad scheme or host, or a non-public address without ``allow_private``.
        CallbackHostUnresolved: the host does not resolve now.
    """
    host, port = _host_and_port(url)
    if allow_private:
        return
    addresses = await resolver(host, port)
    if not addresses:
        raise CallbackHostUnresolved(f"host {host} does not resolve")
    for address in addresses:
        if not is_public_address(address):
            raise CallbackRefused(f"host {host} resolves to a non-public address")


async def check_callback_url(party: PartyRecord, url: str, resolver: Resolver = resolve_host) -> None:
    """Refuse a callback ``url`` that breaks rule 1 or rule 2 for ``party``.

    Raises:
        CallbackRefused: the host is not allowed for the partner, or resolves inside.
        CallbackHostUnresolved: the host does not resolve now (delivery retries these).
    """
    host, _port = _host_and_port(url)
    if host not in allowed_hosts(party):
        raise CallbackRefused(f"host {host} is not an allowed callback host of {party.key}")
    await check_address(url, party.allow_private_callbacks, resolver)


async def check_endpoint_url(party: PartyRecord, url: str, resolver: Resolver = resolve_host) -> None:
    """Refuse a push to one of the partner's published module URLs that breaks rule 2.

    Rule 1 does not apply: the partner published the URL itself in its version details,
    read with its own token, so its host is theirs even when it is not a callback host.

    Raises:
        CallbackRefused: bad scheme or host, or a non-public address for the partner.
        CallbackHostUnresolved: the host does not resolve now (pushes retry these).
    """
    await check_address(url, party.allow_private_callbacks, resolver)
