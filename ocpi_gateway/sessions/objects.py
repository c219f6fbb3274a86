"""OCPI 2.2.1 Session objects (Sessions module, the CPO owns them), built from the gateway's sessions.

Pure: a :class:`~ocpi_gateway.domain.Session` and the settings in, a validated
:class:`OcpiSession` out, the same for the pull (``GET /ocpi/2.2.1/sessions``) and the
pushes (``sessions/feed.py``). What OCPP does not tell the gateway comes from documented rules:

* ``location_id``: ``[[ocpp.stations]] location_id``, else the station id;
  ``evse_uid``: the station's ``evses``/``evse_uid`` (``StationSettings.evse_uid_for``), else
  ``<station_id>-<evse_id>``; ``connector_id``: the OCPP connector id as text. Ids are cut to
  OCPI's 36 characters.
* ``cdr_token``: ``uid`` and ``contract_id`` are the OCPP id tag (``#NA`` when the session
  started without one); ``country_code``/``party_id`` are those of the session's eMSP
  (``Session.emsp``: admin registration or ``[[ocpi.token_owners]]``), else our own (a token the
  CPO accepted itself); ``type`` is ``RFID`` for an id tag, ``OTHER`` without one.
* ``auth_method``: ``WHITELIST`` when the station presented an id tag (the gateway accepts
  every tag itself, it asks no eMSP), ``COMMAND`` when there was none (a remote start).
* ``currency``: ``ocpi.currency`` (default EUR); no tariffs, so no cost.
* ``kwh`` from the meter (``Session.usage``); ``charging_periods`` as reported so far.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from ocpi_gateway.config import Settings, StationSettings
from ocpi_gateway.domain import Session
from ocpi_gateway.models.ocpi import OcpiDateTime, _Model
from ocpi_gateway.partners.ownership import session_emsp
from ocpi_gateway.timeutil import format_utc

MAX_ID = 36
NOT_AVAILABLE = "#NA"


class CdrDimensionType(StrEnum):
    ENERGY = "ENERGY"
    CURRENT = "CURRENT"
    POWER = "POWER"


class CdrDimension(_Model):
    type: CdrDimensionType
    volume: float


class ChargingPeriod(_Model):
    start_date_time: OcpiDateTime
    dimensions: list[CdrDimension] = Field(min_length=1)


class CdrToken(_Model):
    country_code: str = Field(min_length=2, max_length=2)
    party_id: str = Field(min_length=3, max_length=3)
    uid: str = Field(min_length=1, max_length=MAX_ID)
    type: str
    contract_id: str = Field(min_length=1, max_length=MAX_ID)


class OcpiSession(_Model):
    """The OCPI Session object (only the fields the gateway can fill)."""

    country_code: str = Field(min_length=2, max_length=2)
    party_id: str = Field(min_length=3, max_length=3)
    id: str = Field(min_length=1, max_length=MAX_ID)
    start_date_time: OcpiDateTime
    end_date_time: OcpiDateTime | None = None
    kwh: float = Field(ge=0)
    cdr_token: CdrToken
    auth_method: str
    location_id: str = Field(min_length=1, max_length=MAX_ID)
    evse_uid: str = Field(min_length=1, max_length=MAX_ID)
    connector_id: str = Field(min_length=1, max_length=MAX_ID)
    currency: str = Field(min_length=3, max_length=3)
    charging_periods: list[ChargingPeriod] = Field(default_factory=list)
    status: str
    last_updated: OcpiDateTime


def station_settings(settings: Settings, station_id: str) -> StationSettings | None:
    return next((s for s in settings.ocpp.stations if s.station_id == station_id), None)


def _kwh(value: float) -> float:
    """OCPI numbers carry at most 4 decimals."""
    return round(max(value, 0.0), 4)


def last_updated(session: Session) -> datetime:
    return session.usage.last_updated or session.ended_at or session.started_at


def _token(session: Session, settings: Settings) -> CdrToken:
    emsp = session_emsp(session, settings.ocpi.token_owners)
    country, _, party = (emsp or "").partition("*")
    if not emsp:
        country, party = settings.ocpi.country_code.upper(), settings.ocpi.party_id.upper()
    tag = (session.id_tag or NOT_AVAILABLE)[:MAX_ID]
    return CdrToken(
        country_code=country,
        party_id=party,
        uid=tag,
        type="RFID" if session.id_tag else "OTHER",
        contract_id=tag,
    )


def to_ocpi_session(
    session: Session, settings: Settings, periods: Sequence[ChargingPeriod] | None = None
) -> OcpiSession:
    """The whole Session object (PUT and pull); ``periods`` defaults to those stored so far."""
    station = station_settings(settings, session.station_id)
    evse_uid = station.evse_uid_for(session.evse_id, session.connector_id) if station else None
    location = station.location_id if station else None
    stored = [ChargingPeriod.model_validate(p) for p in session.usage.periods]
    return OcpiSession(
        country_code=settings.ocpi.country_code.upper(),
        party_id=settings.ocpi.party_id.upper(),
        id=session.session_id,
        start_date_time=session.started_at,
        end_date_time=session.ended_at,
        kwh=_kwh(session.usage.kwh),
        cdr_token=_token(session, settings),
        auth_method="WHITELIST" if session.id_tag else "COMMAND",
        location_id=(location or session.station_id)[:MAX_ID],
        evse_uid=(evse_uid or f"{session.station_id}-{session.evse_id}")[:MAX_ID],
        connector_id=str(session.connector_id),
        currency=settings.ocpi.currency,
        charging_periods=list(periods) if periods is not None else stored,
        status=session.status.value,
        last_updated=last_updated(session),
    )


def new_period(session: Session, now: datetime) -> ChargingPeriod | None:
    """The charging period since the last report: energy charged since, latest power and current.

    ``None`` when the register did not move since (no period to append).
    """
    usage = session.usage
    if usage.meter_wh is None or usage.meter_wh == usage.reported_wh:
        return None
    base = usage.reported_wh if usage.reported_wh is not None else usage.meter_start_wh
    since_wh = usage.meter_wh - (base if base is not None else usage.meter_wh)
    dimensions = [CdrDimension(type=CdrDimensionType.ENERGY, volume=_kwh(since_wh / 1000))]
    if usage.power_w is not None:
        dimensions.append(CdrDimension(type=CdrDimensionType.POWER, volume=_kwh(usage.power_w / 1000)))
    if usage.current_a is not None:
        dimensions.append(CdrDimension(type=CdrDimensionType.CURRENT, volume=_kwh(usage.current_a)))
    start = usage.reported_at or session.started_at
    return ChargingPeriod(start_date_time=min(start, now), dimensions=dimensions)


def patch_body(session: Session, period: ChargingPeriod | None) -> dict[str, Any]:
    """A PATCH: what changes (``kwh``, status, the new period, the end) and the required ``last_updated``."""
    body: dict[str, Any] = {
        "kwh": _kwh(session.usage.kwh),
        "status": session.status.value,
        "last_updated": format_utc(last_updated(session)),
    }
    if period is not None:
        body["charging_periods"] = [period.to_json_dict()]
    if session.ended_at is not None:
        body["end_date_time"] = format_utc(session.ended_at)
    return body
