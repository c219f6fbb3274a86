"""Micro-benchmarks of single steps of a flow, in process: for changes too small for the end-to-end noise.

``python -m bench.micro`` (also the ``micro`` scenario of ``make bench``) prints the best of five
timings of each step in µs:

* the station answer's schema check: the ``ocpp`` package's, and ``CheckedAnswers`` on an answer
  it has seen (``stations/direct/answers.py``);
* validating a PUT body, and decoding a stored job, with 2, 24 and 96 periods (the one-decimal rule
  runs on every limit each time);
* the Redis lane's share of one command: packing a job's ENQUEUE (``backend/redis/resp.py``) and
  the ``redis_errors()`` guard every call passes through (six to nine per flow).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import ocpp.messages
from ocpp.messages import CallResult, validate_payload
from redis._parsers.encoders import Encoder

from ocpi_gateway.backend.redis.resp import pack
from ocpi_gateway.backend.redis.store import redis_errors
from ocpi_gateway.domain import Job, JobKind
from ocpi_gateway.models.ocpi import SetChargingProfile
from ocpi_gateway.stations.direct.answers import CheckedAnswers

ROUNDS = 5


def best_us(step: Callable[[], Any], count: int = 2000) -> float:
    """The fastest of ``ROUNDS`` runs of ``count`` calls, per call, in µs."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(count):
            step()
        best = min(best, (time.perf_counter() - started) / count * 1e6)
    return best


def body(periods: int) -> dict[str, Any]:
    """A PUT body with ``periods`` 15-minute periods of one-decimal limits."""
    return {
        "charging_profile": {
            "charging_rate_unit": "A",
            "charging_profile_period": [
                {"start_period": i * 900, "limit": 16.0 - (i % 10) * 0.5} for i in range(periods)
            ],
        },
        "response_url": "http://127.0.0.1:9/results/S-1",
    }


def job(periods: int) -> Job:
    """The job a PUT with ``periods`` periods stores."""
    request = SetChargingProfile.model_validate(body(periods))
    return Job(
        kind=JobKind.SET,
        party="NL*SCS",
        session_id="S-1",
        station_id="CS-1",
        response_url=request.response_url,
        created=0.0,
        deadline=60.0,
        profile=request.charging_profile,
    )


def profiles() -> dict[str, float]:
    out: dict[str, float] = {}
    for periods in (2, 24, 96):
        data = body(periods)
        stored = job(periods).model_dump_json()
        out[f"PUT body, {periods} periods"] = best_us(partial(SetChargingProfile.model_validate, data))
        out[f"stored job decoded, {periods} periods"] = best_us(partial(Job.model_validate_json, stored))
    return out


def best_awaited_us(step: Callable[[], Awaitable[Any]], count: int = 2000) -> float:
    """``best_us`` for a coroutine step: ``count`` awaits in one coroutine (no loop start-up per call)."""

    async def timed() -> float:
        started = time.perf_counter()
        for _ in range(count):
            await step()
        return (time.perf_counter() - started) / count * 1e6

    return min(asyncio.run(timed()) for _ in range(ROUNDS))


def answers() -> dict[str, float]:
    ocpp.messages.ASYNC_VALIDATION = False  # as the gateway runs it (app.py)
    kept = CheckedAnswers()
    out: dict[str, float] = {}
    for version in ("1.6", "2.0.1"):
        for name, check in (("package", validate_payload), ("kept", kept.check)):
            answer = partial(check, CallResult("1", {"status": "Accepted"}, "SetChargingProfile"), version)
            out[f"answer check {version}, {name}"] = best_awaited_us(answer)
    return out


async def _guarded() -> None:
    async with redis_errors():
        pass


def lane() -> dict[str, float]:
    """One ENQUEUE as the lane packs it (the job of a 2-period PUT, with its idempotency answer)."""
    encoder = Encoder("utf-8", "strict", True)  # type: ignore[no-untyped-call]
    keys = ["gw:stream:node-1", "gw:pending", "gw:hold:0f3c", "gw:guard:NL*SCS:4a1f"]
    args = [job(2).model_dump_json(), "CS-1", 0, '{"result":"ACCEPTED","timeout":300}', 86400]
    command = ("EVALSHA", "4822de9991b36567ce4145fb485cdb43f2619852", len(keys), *keys, *args)
    return {
        "lane: pack an ENQUEUE": best_us(partial(pack, [command], encoder)),
        "redis_errors() guard": best_awaited_us(_guarded, 20000),
    }


def run() -> dict[str, float]:
    return {**answers(), **profiles(), **lane()}


def main() -> None:
    for name, us in run().items():
        print(f"{name}: {us:.1f} us", flush=True)


if __name__ == "__main__":
    main()
