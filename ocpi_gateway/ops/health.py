"""Operations endpoints: ``/health`` (process up), ``/ready`` (backend reachable), ``/metrics``.

``/metrics`` is the Prometheus text format: the counters and histograms of
:mod:`ocpi_gateway.metrics`, followed by gauges read from the running app at scrape time
(stations connected to this node by protocol, sessions active, this node's jobs queued and
in flight, whether the backend answers), so they cost nothing between scrapes and never drift.
"""

from __future__ import annotations

from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ocpi_gateway.appkeys import BACKEND, SESSIONS, STATIONS, WORKER
from ocpi_gateway.errors import BackendError
from ocpi_gateway.metrics import NAMESPACE, REGISTRY


async def health(_request: web.Request) -> web.Response:
    """``GET /health``: the process is up and serving HTTP."""
    return web.json_response({"status": "ok"})


async def _backend_up(app: web.Application) -> bool:
    try:
        return await app[BACKEND].ping()
    except Exception:  # an unreachable backend may fail in any way; "not ready" is the answer
        return False


async def ready(request: web.Request) -> web.Response:
    """``GET /ready``: 200 when the backend answers, else 503 (take this node out of rotation)."""
    ok = await _backend_up(request.app)
    return web.json_response({"ready": ok}, status=200 if ok else 503)


class _Snapshot(Collector):
    """Hands already-computed gauge families to ``generate_latest``."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        yield from self._families


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{NAMESPACE}_{name}", documentation, value=value)


async def state_gauges(app: web.Application) -> list[Metric]:
    """The gauges that describe the app's state now (``sessions_active`` only while the backend answers)."""
    stations = GaugeMetricFamily(
        f"{NAMESPACE}_stations_connected",
        "Stations with a live connection to this node, by OCPP protocol.",
        labels=["protocol"],
    )
    by_protocol = {"ocpp1.6": 0, "ocpp2.0.1": 0}
    for info in app[STATIONS].stations():
        by_protocol[info.protocol.value] = by_protocol.get(info.protocol.value, 0) + 1
    for protocol, count in sorted(by_protocol.items()):
        stations.add_metric([protocol], count)
    worker = app[WORKER]
    backend_up = await _backend_up(app)
    families: list[Metric] = [
        stations,
        _gauge(
            "jobs_queued", "Jobs this node took that wait behind their station's running call.", worker.queued
        ),
        _gauge(
            "jobs_in_flight",
            "Jobs this node is running now (station call or result delivery).",
            worker.in_flight - worker.queued,
        ),
        _gauge("backend_up", "1 when the backend (embedded or Redis) answers, else 0.", int(backend_up)),
    ]
    if backend_up:
        try:
            sessions = await app[SESSIONS].list_sessions()
        except BackendError:
            return families
        active = sum(1 for s in sessions if s.active)
        families.append(_gauge("sessions_active", "Charging sessions currently active.", active))
    return families


async def metrics(request: web.Request) -> web.Response:
    """``GET /metrics``: Prometheus text exposition."""
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Snapshot(await state_gauges(request.app)))
    body = generate_latest(REGISTRY) + generate_latest(snapshot)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup_ops_routes(app: web.Application) -> None:
    """Add ``/health``, ``/ready`` and ``/metrics`` (``/openapi.json`` is :mod:`ocpi_gateway.openapi`'s)."""
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics)
