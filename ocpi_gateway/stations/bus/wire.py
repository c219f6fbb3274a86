"""The smart-charging bus's message format, both ways. Pure: no broker, no asyncio.

Requests (published on ``ocpp.bus.request_topic``)::

    {"id": "<uuid>", "name": "set_charging_profile" | "clear_charging_profile" | "get_composite_schedule",
     "type": "request", "data": {...OCPP 2.0.1 fields in snake_case...}}

where every ``evse_id`` is the EVSE's id *string* on the bus (``GB*SEV*E123456789``, from
``[[ocpp.bus.evses]]``) instead of the OCPP integer. Responses (read from
``ocpp.bus.response_topic``) carry the same ``id`` and ``name`` with ``"type": "response"``
and ``"data": {"status": "accepted"|"rejected"|"unknown", "status_info"?: {...},
"schedule"?: {...}}``; they become the ``ocpp.v201`` ``call_result`` dataclasses the job
worker expects.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ocpp.charge_point import remove_nones, serialize_as_dict
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from ocpi_gateway.config import BusEvseSettings

SET = "set_charging_profile"
CLEAR = "clear_charging_profile"
COMPOSITE = "get_composite_schedule"
NAMES = {
    call201.SetChargingProfile: SET,
    call201.ClearChargingProfile: CLEAR,
    call201.GetCompositeSchedule: COMPOSITE,
}


class BusFormatError(ValueError):
    """A bus message that is not a response we can read (it is then ignored)."""


@dataclass(frozen=True, slots=True)
class BusResponse:
    """A response read from the bus, matched to its request by ``id``."""

    id: str
    name: str
    data: dict[str, Any]


class EvseMap:
    """``(station_id, OCPP evse id)`` <-> the EVSE id string used on the bus."""

    def __init__(self, entries: Iterable[BusEvseSettings]) -> None:
        self._to_bus = {(e.station_id, e.evse_id): e.bus_evse_id for e in entries}

    def stations(self) -> set[str]:
        return {station_id for station_id, _ in self._to_bus}

    def bus_id(self, station_id: str, evse_id: int) -> str | None:
        return self._to_bus.get((station_id, evse_id))

    def any_bus_id(self, station_id: str) -> str | None:
        """The station's EVSE on the bus when it has exactly one (clearing by profile id only)."""
        found = [bus for (station, _), bus in self._to_bus.items() if station == station_id]
        return found[0] if len(found) == 1 else None


def _snake(payload: Any) -> dict[str, Any]:
    return dict(remove_nones(serialize_as_dict(payload)))


def request_data(payload: Any, bus_evse_id: str | None) -> tuple[str, dict[str, Any]]:
    """The bus ``name`` and ``data`` for an ``ocpp.v201`` call; ``evse_id`` replaced by its string.

    Raises:
        KeyError: a call the bus does not carry.
    """
    name = NAMES[type(payload)]
    data = _snake(payload)
    criteria = data.get("charging_profile_criteria")
    if isinstance(criteria, dict) and "evse_id" in criteria:
        criteria["evse_id"] = bus_evse_id
    elif "evse_id" in data or (name == CLEAR and bus_evse_id is not None):
        data["evse_id"] = bus_evse_id
    return name, remove_nones(data)


def request_message(name: str, data: Mapping[str, Any], message_id: str | None = None) -> dict[str, Any]:
    """A complete request message with a fresh id (unless one is given)."""
    return {"id": message_id or str(uuid.uuid4()), "name": name, "type": "request", "data": dict(data)}


def parse_response(raw: bytes | str) -> BusResponse:
    """Read a message from the reply topic.

    Raises:
        BusFormatError: not JSON, not a response, or without an id or data object.
    """
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BusFormatError("not JSON") from exc
    if not isinstance(message, dict) or message.get("type") != "response":
        raise BusFormatError("not a response")
    data = message.get("data")
    if not isinstance(message.get("id"), str) or not isinstance(data, dict):
        raise BusFormatError("a response needs an id and a data object")
    return BusResponse(id=message["id"], name=str(message.get("name", "")), data=data)


def _status(data: Mapping[str, Any]) -> str:
    """``accepted`` -> ``Accepted``: the OCPP spelling the result translation reads."""
    text = str(data.get("status", "rejected"))
    return text[:1].upper() + text[1:]


def _status_info(data: Mapping[str, Any]) -> dict[str, Any] | None:
    info = data.get("status_info")
    return dict(info) if isinstance(info, dict) and "reason_code" in info else None


def to_call_result(name: str, data: Mapping[str, Any]) -> Any:
    """The ``ocpp.v201.call_result`` dataclass for a response's ``data``."""
    status, info = _status(data), _status_info(data)
    if name == SET:
        return result201.SetChargingProfile(status=status, status_info=info)
    if name == CLEAR:
        return result201.ClearChargingProfile(status=status, status_info=info)
    schedule = data.get("schedule")
    return result201.GetCompositeSchedule(
        status=status, schedule=dict(schedule) if isinstance(schedule, dict) else None, status_info=info
    )
