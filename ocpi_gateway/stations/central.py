"""What the gateway's CSMS-side ChargePoints share, whatever their OCPP version.

* a typed ``on`` decorator (the ``ocpp`` one is untyped and would make every handler
  ``Any`` under mypy --strict);
* ``route_message`` guarded so that a frame the ``ocpp`` package chokes on (an
  unhashable action, a handler bug) is logged and dropped instead of ending ``start()``
  and with it the station's connection;
* the station's identity as learnt at boot, for ``GET /admin/stations``.

Handlers here and in the version modules answer at once and never ``await self.call()``:
``start()`` awaits each handler before reading the next frame, so a call from inside a
handler would wait for an answer nobody reads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

import structlog
from ocpp.charge_point import ChargePoint
from ocpp.routing import on as _ocpp_on

from ocpi_gateway.config import Settings
from ocpi_gateway.errors import StationDisconnected
from ocpi_gateway.sessions import SessionRegistry
from ocpi_gateway.timeutil import format_utc, parse_utc, utcnow

log = structlog.get_logger(__name__)

Handler = TypeVar("Handler", bound=Callable[..., Any])

# The gateway's own deadline (``StationLink.call(timeout=...)``) governs every call; the
# package's per-call timeout only has to be longer than any of ours.
PACKAGE_RESPONSE_TIMEOUT = 24 * 3600


def on(action: str) -> Callable[[Handler], Handler]:
    """``ocpp.routing.on`` with its type kept, so handlers stay type-checked."""
    return cast(Callable[[Handler], Handler], _ocpp_on(action))


class GatewayChargePoint(ChargePoint):  # type: ignore[misc]  # ocpp ships no type information
    """Base of :class:`~ocpi_gateway.stations.v16.StationV16` and ``v201.StationV201``."""

    def __init__(
        self, station_id: str, connection: Any, *, sessions: SessionRegistry, settings: Settings
    ) -> None:
        super().__init__(station_id, connection, response_timeout=PACKAGE_RESPONSE_TIMEOUT)
        self.station_id = station_id
        self.sessions = sessions
        self.settings = settings
        self.vendor: str | None = None
        self.model: str | None = None
        self.details: dict[str, str] = {}

    async def route_message(self, raw_msg: str) -> None:
        """Route one frame; nothing one frame does may end the station's receive loop."""
        try:
            await super().route_message(raw_msg)
        except StationDisconnected:
            log.info("ocpp_reply_not_sent", station_id=self.station_id)
        except Exception:
            log.exception("ocpp_frame_dropped", station_id=self.station_id, size=len(raw_msg))

    def remember_boot(self, vendor: str | None, model: str | None, **details: str | None) -> None:
        """Keep what the station said about itself at boot (shown by the admin API)."""
        self.vendor, self.model = vendor, model
        self.details = {key: value for key, value in details.items() if value}
        log.info("station_booted", station_id=self.station_id, vendor=vendor, model=model)

    @staticmethod
    def now_text() -> str:
        """The current time as OCPP wants it in Boot/Heartbeat answers."""
        return format_utc(utcnow())

    @staticmethod
    def timestamp(text: Any) -> datetime | None:
        """A station timestamp, or None (= now) when it is missing or unreadable."""
        if not isinstance(text, str):
            return None
        try:
            return parse_utc(text)
        except ValueError:
            return None
