"""Typed keys under which ``app.create_app`` stores the shared services on the aiohttp app.

Views read ``request.app[STEERING]`` and friends; only ``app.py`` writes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from aiohttp import web

from ocpi_gateway.config import Settings

if TYPE_CHECKING:
    from ocpi_gateway.backend.base import Backend
    from ocpi_gateway.core.cpo_levers import CpoLevers
    from ocpi_gateway.core.endpoints import PartnerEndpoints
    from ocpi_gateway.core.history import History
    from ocpi_gateway.core.steering import Steering
    from ocpi_gateway.core.worker import Worker
    from ocpi_gateway.delivery.client import ResultDelivery
    from ocpi_gateway.partners.parties import PartyDirectory
    from ocpi_gateway.sessions.registry import SessionRegistry
    from ocpi_gateway.stations.driver import StationDriver

SETTINGS = web.AppKey("settings", Settings)
BACKEND: web.AppKey[Backend] = web.AppKey("backend")
PARTIES: web.AppKey[PartyDirectory] = web.AppKey("parties")
SESSIONS: web.AppKey[SessionRegistry] = web.AppKey("sessions")
STATIONS: web.AppKey[StationDriver] = web.AppKey("stations")
STEERING: web.AppKey[Steering] = web.AppKey("steering")
HTTP_CLIENT = web.AppKey("http_client", httpx.AsyncClient)
DELIVERY: web.AppKey[ResultDelivery] = web.AppKey("delivery")
WORKER: web.AppKey[Worker] = web.AppKey("worker")
HISTORY: web.AppKey[History] = web.AppKey("history")
LEVERS: web.AppKey[CpoLevers] = web.AppKey("levers")
ENDPOINTS: web.AppKey[PartnerEndpoints] = web.AppKey("endpoints")
