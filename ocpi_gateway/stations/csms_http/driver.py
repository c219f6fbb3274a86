"""Driver ``csms_http``: stations behind a CSMS that offers an HTTP API for charging profiles.

The job worker hands a link the same ``ocpp.v201`` call dataclasses it would send over
OCPP-J; this driver POSTs their camelCase JSON form to the CSMS instead:

* SetChargingProfile -> ``ocpp.csms_http.set_profile_url`` with ``{"evseId", "chargingProfile"}``;
* ClearChargingProfile -> ``clear_profile_url`` with ``{"chargingProfileId"}`` or
  ``{"chargingProfileCriteria"}``;
* GetCompositeSchedule -> ``composite_url`` with ``{"duration", "evseId", "chargingRateUnit"?}``
  when configured, else answered from the profiles this driver set (``profile_book.py``).

URL templates take ``{station_id}`` (percent-encoded) and ``{evse_id}``. Every request
carries ``Authorization: Bearer <ocpp.csms_http.token>`` and waits at most
``ocpp.csms_http.timeout`` seconds (less when the job's budget is shorter). The CSMS answers
``{"response": "Accepted"|"Rejected"|..., "statusInfo": {...}}`` (``status`` is read too).
A timeout is :class:`StationTimeout`, an unreachable CSMS or an HTTP 404 (station unknown
there) :class:`StationOffline`, any other HTTP error or a body that is not such an object
:class:`StationCallError`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import structlog
from aiohttp import web
from ocpp.charge_point import camel_to_snake_case
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from ocpi_gateway.config import Settings
from ocpi_gateway.domain import Electrical, StationInfo
from ocpi_gateway.errors import ConfigError, StationCallError, StationOffline, StationTimeout
from ocpi_gateway.sessions.registry import SessionRegistry
from ocpi_gateway.stations.csms_http.profile_book import ProfileBook
from ocpi_gateway.stations.driver import StationLink
from ocpi_gateway.stations.served import OnPresence, RemoteLink, ServedStations, driver_capabilities
from ocpi_gateway.timeutil import utcnow
from ocpi_gateway.translate.wire import to_wire

log = structlog.get_logger(__name__)

MODE = "csms_http"


def _checked_template(key: str, template: str, *, required: bool) -> str:
    """A URL template that formats with ``station_id`` and ``evse_id`` (ConfigError otherwise)."""
    if not template:
        if required:
            raise ConfigError(f"ocpp.csms_http.{key}", "required when ocpp.mode is csms_http")
        return template
    try:
        url = template.format(station_id="CS", evse_id=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"ocpp.csms_http.{key}", f"only {{station_id}} and {{evse_id}} may be used ({exc})"
        ) from None
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"ocpp.csms_http.{key}", "must be an http:// or https:// URL template")
    return template


def _status_info(data: dict[str, Any]) -> dict[str, Any] | None:
    info = data.get("statusInfo")
    if not isinstance(info, dict) or "reasonCode" not in info:
        return None
    out = {"reason_code": str(info["reasonCode"])}
    if "additionalInfo" in info:
        out["additional_info"] = str(info["additionalInfo"])
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


class CsmsHttpStations:
    """The ``csms_http`` driver: a station directory whose links are HTTP calls to one CSMS."""

    def __init__(
        self,
        settings: Settings,
        sessions: SessionRegistry,
        *,
        node_id: str,
        http_client: httpx.AsyncClient,
        on_presence: OnPresence,
    ) -> None:
        config = settings.ocpp.csms_http
        self._set_url = _checked_template("set_profile_url", config.set_profile_url, required=True)
        self._clear_url = _checked_template("clear_profile_url", config.clear_profile_url, required=True)
        self._composite_url = _checked_template("composite_url", config.composite_url, required=False)
        self._settings = settings
        self._sessions = sessions
        self._client = http_client
        self._timeout = config.timeout
        self._token = config.token.get_secret_value() if config.token else ""
        self.capabilities = driver_capabilities(config)
        self._served = ServedStations(
            settings,
            sessions,
            mode=MODE,
            node_id=node_id,
            capabilities=self.capabilities,
            on_presence=on_presence,
            vendor="CSMS HTTP API",
        )
        self._book = ProfileBook()

    def setup_routes(self, app: web.Application) -> None:
        """No routes: the gateway calls the CSMS, nobody calls us."""

    async def start(self) -> None:
        await self._served.start()

    async def close(self) -> None:
        await self._served.close()

    def get(self, station_id: str) -> StationLink | None:
        """A link for every station this driver serves: the CSMS is the one reaching it."""
        if not self._served.serves(station_id):
            return None
        return RemoteLink(station_id, self.capabilities, self.perform)

    async def wait_for(self, station_id: str, timeout: float) -> StationLink | None:  # protocol
        return self.get(station_id)

    def stations(self) -> list[StationInfo]:
        return self._served.stations()

    async def perform(self, station_id: str, payload: Any, timeout: float) -> Any:
        """Map one ``ocpp.v201`` call to the CSMS's HTTP API and its answer back."""
        if isinstance(payload, call201.SetChargingProfile):
            return await self._set(station_id, payload, timeout)
        if isinstance(payload, call201.ClearChargingProfile):
            return await self._clear(station_id, payload, timeout)
        if isinstance(payload, call201.GetCompositeSchedule):
            return await self._composite(station_id, payload, timeout)
        raise StationCallError("NotSupported", f"{type(payload).__module__}.{type(payload).__name__}")

    def _url(self, template: str, station_id: str, evse_id: int) -> str:
        return template.format(station_id=quote(station_id, safe=""), evse_id=evse_id)

    async def _post(self, url: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = await self._client.post(
                url, json=body, headers=headers, timeout=max(0.01, min(timeout, self._timeout))
            )
        except httpx.TimeoutException as exc:
            raise StationTimeout(f"the CSMS did not answer within {min(timeout, self._timeout)}s") from exc
        except httpx.HTTPError as exc:
            raise StationOffline(f"the CSMS is unreachable: {type(exc).__name__}") from exc
        log.info("csms_http_answer", url=url, http_status=response.status_code)
        if response.status_code == 404:
            raise StationOffline("the CSMS does not know the station (HTTP 404)")
        if response.status_code >= 300:
            raise StationCallError(f"HTTP {response.status_code}", response.text[:200])
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("response", data.get("status")), str):
            raise StationCallError("FormatViolation", "the CSMS answer has no response status")
        return data

    @staticmethod
    def _status(data: dict[str, Any]) -> str:
        return str(data.get("response", data.get("status")))

    async def _set(self, station_id: str, payload: Any, timeout: float) -> Any:
        evse_id = int(payload.evse_id)
        data = await self._post(self._url(self._set_url, station_id, evse_id), to_wire(payload), timeout)
        status = self._status(data)
        if status == "Accepted":
            self._book.accepted_set(station_id, evse_id, payload.charging_profile)
        return result201.SetChargingProfile(status=status, status_info=_status_info(data))

    async def _clear(self, station_id: str, payload: Any, timeout: float) -> Any:
        criteria = payload.charging_profile_criteria
        profile_id = payload.charging_profile_id
        evse_id = getattr(criteria, "evse_id", None) if criteria is not None else None
        if evse_id is None and profile_id is not None:
            evse_id = self._book.evse_of(station_id, profile_id)
        url = self._url(self._clear_url, station_id, evse_id or 0)
        data = await self._post(url, to_wire(payload), timeout)
        status = self._status(data)
        if status == "Accepted":
            self._book.accepted_clear(
                station_id,
                profile_id=profile_id,
                evse_id=evse_id,
                purpose=_text(getattr(criteria, "charging_profile_purpose", None)),
                stack_level=getattr(criteria, "stack_level", None),
            )
        return result201.ClearChargingProfile(status=status, status_info=_status_info(data))

    async def _composite(self, station_id: str, payload: Any, timeout: float) -> Any:
        evse_id = int(payload.evse_id)
        if self._composite_url:
            url = self._url(self._composite_url, station_id, evse_id)
            data = await self._post(url, to_wire(payload), timeout)
            schedule = data.get("schedule")
            return result201.GetCompositeSchedule(
                status=self._status(data),
                schedule=camel_to_snake_case(schedule) if isinstance(schedule, dict) else None,
                status_info=_status_info(data),
            )
        running = [s for s in await self._sessions.active_for_station(station_id) if s.evse_id == evse_id]
        ocpp = self._settings.ocpp
        schedule = self._book.composite(
            station_id,
            evse_id=evse_id,
            duration=int(payload.duration),
            unit=_text(payload.charging_rate_unit),
            now=utcnow(),
            transaction_start=min((s.started_at for s in running), default=None),
            electrical=Electrical(voltage=ocpp.voltage, phases=ocpp.default_phases),
            transaction_ids=[s.transaction_id for s in running],
        )
        log.info("csms_http_composite_computed", station_id=station_id, evse_id=evse_id)
        return result201.GetCompositeSchedule(status="Accepted", schedule=schedule)
