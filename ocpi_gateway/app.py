"""The application factory: builds every service once and wires them into one aiohttp app.

One port serves OCPI (``/ocpi/...``), the OCPP websocket (``/ocpp/{station_id}``), the
admin API (``/admin/...``) and operations (``/health``, ``/ready``, ``/metrics``). The job
worker runs in the same process. ``app.py`` and ``cli/`` are the only modules that see
every package.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator

import httpx
import ocpp.messages
import structlog
from aiohttp import web

from ocpi_gateway.admin.routes import setup_admin_routes
from ocpi_gateway.admin.status import setup_status_routes
from ocpi_gateway.api.routes import setup_api_routes
from ocpi_gateway.appkeys import (
    BACKEND,
    DELIVERY,
    ENDPOINTS,
    HISTORY,
    HTTP_CLIENT,
    LEVERS,
    PARTIES,
    SESSIONS,
    SETTINGS,
    STATIONS,
    STEERING,
    WORKER,
)
from ocpi_gateway.backend.base import Backend
from ocpi_gateway.backend.memory import MemoryBackend
from ocpi_gateway.backend.redis.backend import RedisBackend
from ocpi_gateway.config import Settings
from ocpi_gateway.core.cpo_levers import CpoLevers
from ocpi_gateway.core.endpoints import PartnerEndpoints
from ocpi_gateway.core.history import History
from ocpi_gateway.core.jobs import JobRunner
from ocpi_gateway.core.pushes import ProfilePushes
from ocpi_gateway.core.steering import Steering
from ocpi_gateway.core.worker import Worker
from ocpi_gateway.delivery.client import ResultDelivery
from ocpi_gateway.domain import JobKind, StationInfo
from ocpi_gateway.errors import ConfigError
from ocpi_gateway.metrics import ocpi_requests
from ocpi_gateway.ocpi.routes import setup_routes
from ocpi_gateway.openapi import setup_openapi_routes
from ocpi_gateway.ops.health import setup_ops_routes
from ocpi_gateway.partners.callbacks import check_callback_url, check_endpoint_url
from ocpi_gateway.partners.parties import PartyDirectory
from ocpi_gateway.sessions.feed import SessionFeed
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.driver import StationLink
from ocpi_gateway.stations.drivers import DriverContext, build_driver
from ocpi_gateway.web.middlewares import middlewares

log = structlog.get_logger(__name__)


def make_backend(settings: Settings, node_id: str) -> Backend:
    """The embedded backend, unless ``redis.url`` (or ``redis.sentinels``) asks for Redis."""
    url = settings.redis.url
    if not settings.redis.enabled:
        return MemoryBackend(node_id)
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("redis.url", "must start with redis://, rediss:// or unix:// (or be empty)")
    return RedisBackend(settings.redis, node_id)


def create_app(settings: Settings, *, node_id: str | None = None) -> web.Application:
    """Build the whole gateway: OCPI edge, OCPP endpoint, admin, ops, worker."""
    node = node_id or settings.redis.node_id or f"{socket.gethostname()}-{os.getpid()}"
    # Validate OCPP payloads inline: the ocpp package's default hops every message through
    # the thread pool, which costs more than the validation itself (the GIL serialises it anyway).
    ocpp.messages.ASYNC_VALIDATION = False
    backend = make_backend(settings, node)
    parties = PartyDirectory.from_settings(
        settings.ocpi.parties, backend.parties, cache_seconds=settings.ocpi.party_cache_seconds
    )
    sessions = SessionRegistry(backend, token_owners=settings.ocpi.token_owners)
    steering_ref: list[Steering] = []

    async def on_station_connected(link: StationLink) -> None:
        await steering_ref[0].reapply_after_reconnect(link)

    async def on_station_presence(info: StationInfo, up: bool) -> None:
        if up:
            previous = await backend.stations.up(info)
            if previous is not None:  # it came from another node: is that one dead? take its jobs now
                await backend.adopt(previous, info.station_id)
        else:
            await backend.stations.down(info.station_id, info.node)

    steering = Steering(settings, backend, sessions)
    steering_ref.append(steering)
    client = httpx.AsyncClient(
        follow_redirects=False,
        timeout=settings.delivery.request_timeout,
        limits=httpx.Limits(
            max_connections=settings.delivery.max_in_flight,
            max_keepalive_connections=settings.delivery.max_in_flight,
        ),
    )
    stations = build_driver(
        DriverContext(
            settings=settings,
            sessions=sessions,
            backend=backend,
            node_id=node,
            http_client=client,
            on_connected=on_station_connected,
            on_presence=on_station_presence,
        )
    )
    delivery = ResultDelivery(settings, guard=check_callback_url, endpoint_guard=check_endpoint_url)
    history = History()
    runner = JobRunner(settings, backend, sessions, stations, parties, delivery, history=history)
    # Keeping partners informed: ActiveChargingProfile pushes, CPO levers, Sessions pushes.
    endpoints = PartnerEndpoints(parties, client)
    pushes = ProfilePushes(settings, backend, sessions, parties, delivery, endpoints=endpoints)
    levers = CpoLevers(settings, backend, sessions)
    feed = SessionFeed(settings, sessions, parties, delivery, on_unreachable=endpoints.stale)
    sessions.add_profile_listener(pushes.on_profile_event)
    sessions.add_session_listener(feed.on_session_event)
    runner.kind_handlers |= {JobKind.PUSH: pushes.run_push, JobKind.LIMIT: levers.run_limit}
    runner.after_job.append(pushes.after_job)
    worker = Worker(backend.jobs, runner.run)

    app = web.Application(
        client_max_size=settings.http.max_body_bytes, middlewares=[*middlewares(settings), ocpi_requests]
    )
    app[SETTINGS] = settings
    app[BACKEND] = backend
    app[PARTIES] = parties
    app[SESSIONS] = sessions
    app[STATIONS] = stations
    app[STEERING] = steering
    app[HTTP_CLIENT] = client
    app[DELIVERY] = delivery
    app[WORKER] = worker
    app[HISTORY] = history
    app[LEVERS] = levers
    app[ENDPOINTS] = endpoints

    setup_routes(app)
    setup_admin_routes(app)
    setup_status_routes(app)
    setup_ops_routes(app)
    setup_openapi_routes(app)
    setup_api_routes(app)
    stations.setup_routes(app)

    app.cleanup_ctx.append(_run_worker)
    app.on_shutdown.append(_drain)
    app.on_shutdown.append(lambda _app: feed.close())
    return app


async def _run_worker(app: web.Application) -> AsyncIterator[None]:
    """Start the job loop with the app; stop it and release shared clients on cleanup."""
    backend = app[BACKEND]
    await backend.start()  # Redis: this node id's lease, and what its previous process left
    await app[STATIONS].start()
    app[ENDPOINTS].start()  # partners' version details, read in the background
    tasks = [
        asyncio.create_task(backend.maintain(), name="backend-maintenance"),
        asyncio.create_task(app[WORKER].run(), name="worker"),
    ]
    kind = "redis" if app[SETTINGS].redis.enabled else "embedded"
    log.info("gateway_started", base_url=app[SETTINGS].http.base_url, backend=kind, node=backend.node_id)
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await app[WORKER].close()
    await app[ENDPOINTS].close()
    await app[HTTP_CLIENT].aclose()
    await app[DELIVERY].close()
    await app[BACKEND].close()


async def _drain(app: web.Application) -> None:
    """Graceful stop: finish in-flight jobs (bounded), then close station sockets with a reason."""
    settings = app[SETTINGS]
    left = await app[WORKER].drain(timeout=settings.ocpp.call_timeout + 5)
    await app[STATIONS].close()
    # Unfinished jobs stay stored; leaving the node set lets another node take them now.
    await app[BACKEND].leave()
    if left:
        log.warning("gateway_jobs_handed_back", jobs=left)
    log.info("gateway_stopped")
