"""The charging profiles a remote driver set through a CSMS, kept to answer GetCompositeSchedule.

A CSMS REST API may offer no composite-schedule endpoint. The driver then folds what *it*
set (per station and EVSE) with ``translate/composite.py``. Limits of that answer, stated
in the README: profiles the CSMS or the station set themselves, the station's local or
external limits and its physical maximum are unknown here; the book lives in this node's
memory (a restart or another node forgets it); a TxProfile stays until it is cleared.
Pure bookkeeping: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ocpi_gateway.domain import Electrical
from ocpi_gateway.timeutil import format_utc, parse_utc
from ocpi_gateway.translate.composite import SchedulePeriod, StoredProfile, compute_composite


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _text(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def _time(value: Any) -> datetime | None:
    return None if value is None else parse_utc(str(value))


def stored_profile(evse_id: int, profile: Any) -> StoredProfile:
    """An ``ocpp.v201`` ChargingProfileType (dataclass or snake_case dict) as the composite reads it."""
    schedule = _field(profile, "charging_schedule")[0]
    rate = _field(schedule, "min_charging_rate")
    return StoredProfile(
        profile_id=int(_field(profile, "id")),
        stack_level=int(_field(profile, "stack_level")),
        purpose=str(_text(_field(profile, "charging_profile_purpose"))),
        kind=str(_text(_field(profile, "charging_profile_kind"))),
        unit=str(_text(_field(schedule, "charging_rate_unit"))),
        periods=tuple(
            SchedulePeriod(
                int(_field(p, "start_period")), float(_field(p, "limit")), _field(p, "number_phases")
            )
            for p in _field(schedule, "charging_schedule_period")
        ),
        connector_id=evse_id,
        transaction_id=_text(_field(profile, "transaction_id")),
        start_schedule=_time(_field(schedule, "start_schedule")),
        duration=_field(schedule, "duration"),
        min_charging_rate=None if rate is None else float(rate),
        recurrency_kind=_text(_field(profile, "recurrency_kind")),
        valid_from=_time(_field(profile, "valid_from")),
        valid_to=_time(_field(profile, "valid_to")),
    )


class ProfileBook:
    """Profiles by station, then by profile id (2.0.1: the same id replaces)."""

    def __init__(self) -> None:
        self._by_station: dict[str, dict[int, StoredProfile]] = {}

    def profiles(self, station_id: str) -> list[StoredProfile]:
        return list(self._by_station.get(station_id, {}).values())

    def accepted_set(self, station_id: str, evse_id: int, profile: Any) -> None:
        """The CSMS accepted a SetChargingProfile: keep the profile."""
        stored = stored_profile(evse_id, profile)
        self._by_station.setdefault(station_id, {})[stored.profile_id] = stored

    def evse_of(self, station_id: str, profile_id: int) -> int | None:
        """The EVSE a profile was set on, if this book holds it."""
        found = self._by_station.get(station_id, {}).get(profile_id)
        return None if found is None else found.connector_id

    def accepted_clear(
        self,
        station_id: str,
        *,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> None:
        """The CSMS accepted a ClearChargingProfile: drop what it matched (id, or AND-ed criteria)."""
        book = self._by_station.get(station_id, {})
        if profile_id is not None:
            book.pop(profile_id, None)
            return
        for key in [
            p.profile_id
            for p in book.values()
            if (evse_id is None or p.connector_id == evse_id)
            and (purpose is None or p.purpose == purpose)
            and (stack_level is None or p.stack_level == stack_level)
        ]:
            del book[key]

    def composite(
        self,
        station_id: str,
        *,
        evse_id: int,
        duration: int,
        unit: str | None,
        now: datetime,
        transaction_start: datetime | None,
        electrical: Electrical,
        transaction_ids: Iterable[str] = (),
    ) -> dict[str, Any]:
        """A 2.0.1 CompositeScheduleType (snake_case dict) from the profiles in the book.

        ``transaction_ids``: the transactions running on the EVSE; TxProfiles of others are
        left out, as a station drops them when their transaction ends.
        """
        running = set(transaction_ids)
        held = [
            p
            for p in self.profiles(station_id)
            if p.purpose != "TxProfile" or p.transaction_id is None or p.transaction_id in running
        ]
        schedule = compute_composite(
            held,
            now=now,
            duration=duration,
            unit=unit,
            connector_id=evse_id,
            transaction_start=transaction_start,
            electrical=electrical,
        )
        return {
            "evse_id": evse_id,
            "duration": schedule.duration,
            "schedule_start": format_utc(schedule.start),
            "charging_rate_unit": schedule.unit,
            "charging_schedule_period": [
                {"start_period": p.start_period, "limit": p.limit}
                | ({"number_phases": p.number_phases} if p.number_phases else {})
                for p in schedule.periods
            ],
        }
