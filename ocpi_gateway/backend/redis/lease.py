"""One live process per node id: a lease in Redis that a restart takes over at once.

A node's stream (``jobs:<node_id>``) must be worked by one process only. With a stable
``redis.node_id`` (a StatefulSet pod name, a systemd unit) a restarted process wants its own
stream back at once, without waiting for ``redis.node_ttl``, while a second live process with
the same id must never get it. The lease is ``lease:<node_id>`` = ``host:pid:random``, set with
``NX`` and a ``node_ttl`` expiry and renewed with every heartbeat (a script renews it only for
its own holder). At start:

* free lease: ours;
* held by a process of **this host that no longer runs** (or by our own pid: a container
  restarted with the same pid is a new process): the previous incarnation is dead, the lease
  is taken over at once (a compare-and-set, so two starting processes cannot both win);
* held from **another host**: nothing tells dead from alive but time; the lease is taken
  when it expires (at most ``node_ttl``), and if its holder renews it meanwhile, it is alive:
  start-up stops with one line (:class:`~ocpi_gateway.errors.NodeIdInUse`).

A process that finds its lease held by another process (it stalled longer than ``node_ttl`` and
another took over) stops reading its stream: it is *fenced*, and says so in the log. A lease that
merely expired (Redis unreachable for longer than ``node_ttl``, a failover) and that nobody took is
taken again at the next heartbeat.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid

import redis.asyncio as aioredis
import structlog

from ocpi_gateway.backend.keys import Keys
from ocpi_gateway.errors import NodeIdInUse

log = structlog.get_logger(__name__)

# Renew our lease; one that expired while nobody else took it (Redis was away longer than the TTL,
# a failover) is taken again: 1 renewed, 2 taken again, 0 another process holds it (we are fenced).
RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
"""
TAKE_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
POLL_SECONDS = 0.2


def previous_incarnation(holder: str, host: str, pid: int) -> bool:
    """True when ``holder`` (``host:pid:…``) is a process of this host that cannot be running now."""
    parts = holder.split(":")
    if len(parts) < 3 or parts[0] != host or not parts[1].isdigit():
        return False
    holder_pid = int(parts[1])
    if holder_pid == pid:
        return True  # our own pid: a restarted container, not us (our lease value is new)
    try:
        os.kill(holder_pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, under another user: alive
    return False


def holder_gone(holder: str, host: str) -> bool:
    """True when another node's lease holder (``host:pid:…``) is a process of this host that is gone."""
    parts = holder.split(":")
    if len(parts) < 3 or parts[0] != host or not parts[1].isdigit() or int(parts[1]) == os.getpid():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class NodeLease:
    """The lease of one node id; ``fenced`` once it was lost to another process."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, node: str, ttl: float) -> None:
        self._redis = redis
        self._key = keys.lease(node)
        self._node = node
        self._ttl_ms = max(1, int(ttl * 1000))
        self._host = socket.gethostname()
        self.value = f"{self._host}:{os.getpid()}:{uuid.uuid4().hex}"
        self.fenced = False
        self._renew = redis.register_script(RENEW)
        self._take_over = redis.register_script(TAKE_OVER)
        self._release = redis.register_script(RELEASE)

    async def acquire(self) -> bool:
        """Hold the lease; True when a previous incarnation's was taken over (it left work behind).

        Raises:
            NodeIdInUse: a live process holds it (it renewed it while we waited).
        """
        deadline = time.monotonic() + self._ttl_ms / 1000 + 1.0
        seen: str | None = None
        while True:
            if await self._redis.set(self._key, self.value, nx=True, px=self._ttl_ms):
                return seen is not None
            holder = await self._redis.get(self._key)
            if holder is None:
                continue
            holder = str(holder)
            if previous_incarnation(holder, self._host, os.getpid()) and await self._take_over(
                keys=[self._key], args=[holder, self.value, self._ttl_ms]
            ):
                log.info("node_lease_taken_over", node=self._node, previous=holder.rsplit(":", 1)[0])
                return True
            if (seen is not None and holder != seen) or time.monotonic() > deadline:
                raise NodeIdInUse(self._node, holder.rsplit(":", 1)[0])
            seen = seen or holder
            await asyncio.sleep(POLL_SECONDS)

    async def renew(self) -> bool:
        """Extend the lease; False (and ``fenced``) when another process holds it now."""
        if self.fenced:
            return False
        renewed = await self._renew(keys=[self._key], args=[self.value, self._ttl_ms])
        if renewed == 2:
            log.warning("node_lease_retaken", node=self._node, hint="it expired while Redis was unreachable")
        if renewed:
            return True
        self.fenced = True
        log.error("node_lease_lost", node=self._node, hint="another process took this node id over")
        return False

    async def release(self) -> None:
        """Give the lease up (graceful stop): the next process with this id starts at once."""
        await self._release(keys=[self._key], args=[self.value])
