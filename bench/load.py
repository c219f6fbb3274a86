"""The HTTP load client: closed loop (fixed concurrency) or open loop (fixed rate).

One process, one aiohttp session, keep-alive connections: the same client drives the
gateway and the bare baseline, so their ratio is what the figures compare.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

AUTH = "Token "


@dataclass
class Sample:
    sent: float  # time.time()
    latency: float  # seconds
    status: int
    result: str


@functools.lru_cache(maxsize=8)
def _authorization(token: str) -> str:
    return AUTH + base64.b64encode(token.encode()).decode()


def headers(token: str) -> dict[str, str]:
    return {
        "Authorization": _authorization(token),
        "X-Correlation-ID": str(uuid.uuid4()),
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "SCS",
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "GWY",
        "Content-Type": "application/json",
    }


Request = tuple[str, bytes]  # url, body


async def _send(session: aiohttp.ClientSession, token: str, url: str, body: bytes) -> Sample:
    sent = time.time()
    start = time.perf_counter()
    h = headers(token)
    h["X-Request-ID"] = str(uuid.uuid4())
    async with session.put(url, data=body, headers=h) as resp:
        payload = await resp.json()
        status = resp.status
    latency = time.perf_counter() - start
    result = (payload.get("data") or {}).get("result", str(payload.get("status_code")))
    return Sample(sent, latency, status, str(result))


async def closed_loop(token: str, requests: list[Request], concurrency: int) -> tuple[list[Sample], float]:
    """Send every request with ``concurrency`` in flight; returns samples and wall time."""
    samples: list[Sample] = []
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for url, body in queue:
                samples.append(await _send(session, token, url, body))

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return samples, wall


async def open_loop(token: str, requests: list[Request], rate: float) -> tuple[list[Sample], float]:
    """Send at a fixed rate regardless of answers (latency under a given load)."""
    samples: list[Sample] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        tasks = []
        for i, (url, body) in enumerate(requests):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_send(session, token, url, body)))
        samples = list(await asyncio.gather(*tasks))
        wall = time.perf_counter() - start
    return samples, wall


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(latencies: list[float], scale: Callable[[float], float] = lambda x: x * 1000) -> dict[str, float]:
    return {
        "p50": scale(percentile(latencies, 50)),
        "p99": scale(percentile(latencies, 99)),
        "mean": scale(statistics.fmean(latencies)) if latencies else float("nan"),
    }
