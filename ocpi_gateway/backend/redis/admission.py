"""The synchronous path of a ChargingProfiles request on Redis: two scripts, two round trips.

``admit`` claims the idempotency key, counts the rate buckets, reads the session, its
station's presence and the station's pending jobs in one script (``scripts.ADMIT``);
``accept`` stores the job and the request's answer in another (``ENQUEUE``). Done as separate
calls this was seven round trips, most of the Redis backend's cost on the OCPI side.
"""

from __future__ import annotations

from typing import cast

import redis.asyncio as aioredis

from ocpi_gateway.backend.base import AdmissionRequest, Admitted
from ocpi_gateway.backend.codec import station_info_from_json
from ocpi_gateway.backend.keys import Keys
from ocpi_gateway.backend.redis import scripts as redis_scripts
from ocpi_gateway.backend.redis.jobs import RedisJobQueue
from ocpi_gateway.backend.redis.store import RedisGuards, RedisStationRegistry, redis_errors
from ocpi_gateway.domain import Job, Session


class RedisAdmission:
    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        guards: RedisGuards,
        stations: RedisStationRegistry,
        jobs: RedisJobQueue,
    ) -> None:
        self._keys = keys
        self._guards = guards
        self._stations = stations
        self._jobs = jobs
        self._admit = redis.register_script(redis_scripts.ADMIT)

    async def admit(self, request: AdmissionRequest) -> Admitted:
        keys = [
            self._keys.guard(request.idempotency_key),
            self._keys.nodes,
            self._keys.pending,
            self._keys.session(request.session_id),
        ]
        keys += [self._guards.bucket(key, request.rate_window) for key, _ in request.rate_limits]
        args: list[str | int | float] = [
            request.idempotency_ttl,
            self._stations.alive_since(),
            self._keys.station(""),
            request.rate_window + 1,
        ]
        args += [limit for _, limit in request.rate_limits]
        async with redis_errors():
            answer = cast(list[str | int | None], await self._admit(keys=keys, args=args))
        if answer[0] == "dup":
            return Admitted(previous=str(answer[1] or ""))
        if answer[0] == "rate":
            return Admitted(previous=None, over_limit=request.rate_limits[int(answer[1] or 1) - 1][0])
        _, session, station, pending = answer
        return Admitted(
            previous=None,
            session=Session.model_validate_json(str(session)) if session else None,
            station=station_info_from_json(str(station)) if station else None,
            pending=max(0, int(pending or 0)),
        )

    async def accept(self, job: Job, node: str | None, idempotency_key: str, answer: str, ttl: int) -> None:
        await self._jobs.put_settled(job, node, (self._keys.guard(idempotency_key), answer, ttl))
