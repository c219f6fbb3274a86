"""Every Redis key and stream name the gateway uses, in one place.

All keys start with ``redis.key_prefix`` (default ``ocpi``) so several gateways can share
one Redis database and an operator can see at a glance what belongs to whom.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUP = "workers"


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "ocpi"

    def session(self, session_id: str) -> str:
        return f"{self.prefix}:session:{session_id}"

    @property
    def sessions(self) -> str:
        """Set of every known session id (ended ones expire from their own key)."""
        return f"{self.prefix}:sessions"

    def station_sessions(self, station_id: str) -> str:
        return f"{self.prefix}:station-sessions:{station_id}"

    def transaction(self, station_id: str, transaction_id: str) -> str:
        return f"{self.prefix}:tx:{station_id}:{transaction_id}"

    @property
    def transaction_seq(self) -> str:
        return f"{self.prefix}:seq:tx"

    def profile_seq(self, station_id: str) -> str:
        return f"{self.prefix}:seq:profile:{station_id}"

    def node_stream(self, node: str) -> str:
        """The job stream a node consumes: jobs for the stations it holds."""
        return f"{self.prefix}:jobs:{node}"

    @property
    def nodes(self) -> str:
        """Sorted set node -> last heartbeat (epoch seconds)."""
        return f"{self.prefix}:nodes"

    def lease(self, node: str) -> str:
        """Which process works a node id's stream now (``backend/redis/lease.py``)."""
        return f"{self.prefix}:lease:{node}"

    def reclaim_lock(self, node: str) -> str:
        return f"{self.prefix}:reclaim:{node}"

    def station(self, station_id: str) -> str:
        """Where a station is connected: node, protocol, capabilities (JSON)."""
        return f"{self.prefix}:station:{station_id}"

    @property
    def pending(self) -> str:
        """Hash station id -> open jobs (for the announced timeout)."""
        return f"{self.prefix}:pending"

    def hold(self, job_id: str) -> str:
        """A job waiting for its replicas (``redis.wait_replicas``): its node must not run it yet."""
        return f"{self.prefix}:hold:{job_id}"

    def result(self, job_id: str) -> str:
        return f"{self.prefix}:result:{job_id}"

    def party(self, key: str) -> str:
        return f"{self.prefix}:party:{key}"

    def party_digest(self, digest: str) -> str:
        """Token digest -> party key: how a calling token finds its partner."""
        return f"{self.prefix}:party-token:{digest}"

    @property
    def parties(self) -> str:
        return f"{self.prefix}:parties"

    def guard(self, key: str) -> str:
        return f"{self.prefix}:guard:{key}"

    def outcome(self, job_id: str) -> str:
        """A job's outcome for callers that wait or poll (expires after its TTL)."""
        return f"{self.prefix}:outcome:{job_id}"
