"""Per-station message rate limit: a token bucket per station id.

Every OCPP-J frame a station sends takes one token; tokens come back at
``ocpp.max_messages_per_second`` up to ``ocpp.message_burst``. A station that runs dry is
flooding: its socket is closed with 1008 (policy violation) by
:class:`~ocpi_gateway.stations.direct.connection.WebSocketConnection` rather than answered frame by
frame, because a CALLERROR per surplus frame would keep the flood's cost on our side, and a
real station re-sends its queued messages after reconnecting anyway.

Buckets belong to the station id, not to the socket, so reconnecting (or replacing one's
own connection) does not refill them. Full buckets carry no information and are forgotten
when the registry grows, so memory follows the number of stations actually flooding.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]

# Past this many buckets, full (idle) ones are dropped when a new one is made.
SWEEP_ABOVE = 4096


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; starts full."""

    def __init__(self, station_id: str, rate: float, burst: int, clock: Clock = time.monotonic) -> None:
        self.station_id = station_id
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def take(self) -> bool:
        """Spend one token; False when none is left (the frame is over the limit)."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    @property
    def full(self) -> bool:
        self._refill()
        return self._tokens >= self.burst


class FloodGuard:
    """The buckets of all stations on this node."""

    def __init__(self, rate: float, burst: int, clock: Clock = time.monotonic) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, station_id: str) -> TokenBucket:
        """The station's bucket, shared by all its connections."""
        bucket = self._buckets.get(station_id)
        if bucket is None:
            if len(self._buckets) >= SWEEP_ABOVE:
                self._sweep()
            bucket = self._buckets[station_id] = TokenBucket(station_id, self._rate, self._burst, self._clock)
        return bucket

    def _sweep(self) -> None:
        for station_id in [key for key, bucket in self._buckets.items() if bucket.full]:
            del self._buckets[station_id]

    def __len__(self) -> int:
        return len(self._buckets)
