"""Operations endpoints: ``/health`` (process up), ``/ready`` (backend reachable), ``/metrics``.

``/metrics`` speaks the Prometheus text format with a few gauges computed on demand, so it
costs nothing between scrapes.
"""

from __future__ import annotations

from aiohttp import web

from ocpi_gateway.appkeys import BACKEND, SESSIONS, STATIONS, WORKER


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    try:
        ok = await request.app[BACKEND].ping()
    except Exception:
        ok = False
    return web.json_response({"ready": ok}, status=200 if ok else 503)


async def metrics(request: web.Request) -> web.Response:
    stations = request.app[STATIONS].stations()
    by_protocol: dict[str, int] = {}
    for info in stations:
        by_protocol[info.protocol.value] = by_protocol.get(info.protocol.value, 0) + 1
    sessions = await request.app[SESSIONS].list_sessions()
    active = sum(1 for s in sessions if s.active)
    lines = [
        "# HELP ocpi_gateway_stations_connected Stations with a live connection, by protocol.",
        "# TYPE ocpi_gateway_stations_connected gauge",
        *(f'ocpi_gateway_stations_connected{{protocol="{p}"}} {n}' for p, n in sorted(by_protocol.items())),
        "# HELP ocpi_gateway_sessions_active Charging sessions currently active.",
        "# TYPE ocpi_gateway_sessions_active gauge",
        f"ocpi_gateway_sessions_active {active}",
        "# HELP ocpi_gateway_jobs_in_flight Jobs taken by the worker and not finished.",
        "# TYPE ocpi_gateway_jobs_in_flight gauge",
        f"ocpi_gateway_jobs_in_flight {request.app[WORKER].in_flight}",
    ]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")


def setup_ops_routes(app: web.Application) -> None:
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics)
