"""The profiles a simulated station keeps, and the OCPP rules for taking or refusing them.

A real station does not just say "Accepted": it checks the unit, the period count, the
stack level and the running transaction, replaces what it must, and later folds what it
holds into a composite schedule. This module does that with no I/O, for both versions:

* 1.6: a new profile replaces one with the same id, or with the same stack level and
  purpose (on the same connector: a station keeps one TxDefault per connector);
* 2.0.1: the same id replaces; a *different* id with the same stack level, purpose and
  EVSE (TxProfile: stack level and transaction) and overlapping validity is refused
  (K01.FR.05/06/39).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ocpi_gateway.timeutil import parse_utc
from ocpi_gateway.translate.composite import MAX_PURPOSES, TX_PROFILE, SchedulePeriod, StoredProfile

#: Profiles the CSMS may not clear (2.0.1 K01.FR.22: the station's own external limits).
EXTERNAL = "ChargingStationExternalConstraints"
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StationConfig:
    """What a simulated station can do: the capabilities it reports and enforces."""

    allowed_units: frozenset[str] = frozenset({"A", "W"})
    max_periods: int = 24
    max_stack_level: int = 10
    max_profiles: int = 32
    max_limit_amps: float = 32.0
    phases: int = 3
    voltage: float = 230.0
    connectors: int = 1


@dataclass(frozen=True, slots=True)
class Verdict:
    """A SetChargingProfile answer: ``reason`` becomes the 2.0.1 ``statusInfo.reasonCode``."""

    accepted: bool
    reason: str | None = None

    @property
    def status(self) -> str:
        return "Accepted" if self.accepted else "Rejected"


ACCEPTED = Verdict(True)


def _number(value: Any) -> float:
    """1.6 payloads arrive with ``Decimal`` limits (the package's multipleOf check)."""
    return float(value) if isinstance(value, Decimal | int | float) else float(str(value))


def _time(value: Any) -> datetime | None:
    return None if value is None else parse_utc(str(value))


def _periods(raw: list[dict[str, Any]]) -> tuple[SchedulePeriod, ...]:
    return tuple(
        SchedulePeriod(int(p["start_period"]), _number(p["limit"]), p.get("number_phases")) for p in raw
    )


def _profile(
    connector_id: int, raw: dict[str, Any], profile_id: int, schedule: dict[str, Any]
) -> StoredProfile:
    tx = raw.get("transaction_id")
    min_rate = schedule.get("min_charging_rate")
    return StoredProfile(
        profile_id=profile_id,
        stack_level=int(raw["stack_level"]),
        purpose=str(raw["charging_profile_purpose"]),
        kind=str(raw["charging_profile_kind"]),
        unit=str(schedule["charging_rate_unit"]),
        periods=_periods(schedule["charging_schedule_period"]),
        connector_id=connector_id,
        transaction_id=None if tx is None else str(tx),
        start_schedule=_time(schedule.get("start_schedule")),
        duration=schedule.get("duration"),
        min_charging_rate=None if min_rate is None else _number(min_rate),
        recurrency_kind=raw.get("recurrency_kind"),
        valid_from=_time(raw.get("valid_from")),
        valid_to=_time(raw.get("valid_to")),
    )


def profile_from_v16(connector_id: int, raw: dict[str, Any]) -> StoredProfile:
    """A 1.6 ``csChargingProfiles`` (snake_case, as the package hands it) as a StoredProfile.

    Raises:
        ValueError: a date-time that does not parse.
    """
    return _profile(connector_id, raw, int(raw["charging_profile_id"]), raw["charging_schedule"])


def profile_from_v201(evse_id: int, raw: dict[str, Any]) -> StoredProfile:
    """A 2.0.1 ``chargingProfile``; only its first schedule is used (more are ISO 15118 only).

    Raises:
        ValueError: a date-time that does not parse.
    """
    return _profile(evse_id, raw, int(raw["id"]), raw["charging_schedule"][0])


def _overlap(a: StoredProfile, b: StoredProfile) -> bool:
    """Do the validity windows of two profiles overlap (open ends count as forever)?"""
    a_from, b_from = a.valid_from or _EARLIEST, b.valid_from or _EARLIEST
    a_to, b_to = a.valid_to or _LATEST, b.valid_to or _LATEST
    return a_from < b_to and b_from < a_to


class ProfileStore:
    """The installed profiles of one station, keyed by profile id."""

    def __init__(self, config: StationConfig) -> None:
        self.config = config
        self.profiles: dict[int, StoredProfile] = {}

    def _shape_problem(self, profile: StoredProfile, version: str) -> str | None:
        """Why the profile cannot be taken whatever else is installed, or ``None``."""
        cfg = self.config
        starts = [p.start_period for p in profile.periods]
        problems = [
            (not 0 <= profile.stack_level <= cfg.max_stack_level, "InvalidStackLevel"),
            (profile.unit not in cfg.allowed_units, "UnsupportedRateUnit"),
            (len(profile.periods) > cfg.max_periods, "TooManyPeriods"),
            (not starts or starts[0] != 0 or starts != sorted(set(starts)), "InvalidSchedule"),
            (profile.kind in ("Absolute", "Recurring") and profile.start_schedule is None, "InvalidSchedule"),
            (profile.kind == "Recurring" and profile.recurrency_kind is None, "InvalidSchedule"),
            (
                version != "1.6" and profile.kind == "Relative" and profile.start_schedule is not None,
                "InvalidSchedule",
            ),
            (profile.purpose in MAX_PURPOSES and profile.connector_id != 0, "InvalidProfile"),
            (
                version != "1.6" and profile.purpose in MAX_PURPOSES and profile.kind == "Relative",
                "InvalidProfile",
            ),
            (profile.purpose == TX_PROFILE and profile.connector_id == 0, "InvalidProfile"),
            (profile.purpose == EXTERNAL, "InvalidProfile"),
            (profile.connector_id > cfg.connectors, "UnknownEvse"),
        ]
        return next((reason for failed, reason in problems if failed), None)

    def set(self, profile: StoredProfile, *, version: str, running: Mapping[int, str]) -> Verdict:
        """Install ``profile`` if the station can take it (``running``: connector -> tx id).

        ``version`` is ``"1.6"`` or ``"2.0.1"`` and selects the replacement rule.
        """
        problem = self._shape_problem(profile, version)
        if problem is not None:
            return Verdict(False, problem)
        if profile.purpose == TX_PROFILE:
            running_tx = running.get(profile.connector_id)
            if profile.transaction_id is None and version == "1.6" and running_tx is not None:
                profile = replace(profile, transaction_id=running_tx)
            if running_tx is None or profile.transaction_id != running_tx:
                return Verdict(False, "TxNotFound")
        replaced = self._replaced_ids(profile, version)
        if replaced is None:
            return Verdict(False, "DuplicateProfile")
        if len(self.profiles) - len(replaced) >= self.config.max_profiles:
            return Verdict(False, "TooManyProfiles")
        for profile_id in replaced:
            del self.profiles[profile_id]
        self.profiles[profile.profile_id] = profile
        return ACCEPTED

    def _replaced_ids(self, new: StoredProfile, version: str) -> list[int] | None:
        """Ids the new profile replaces, or ``None`` when 2.0.1 must refuse it as a duplicate."""
        replaced: list[int] = []
        for old in self.profiles.values():
            if old.profile_id == new.profile_id:
                replaced.append(old.profile_id)
                continue
            same_slot = (old.stack_level, old.purpose, old.connector_id) == (
                new.stack_level,
                new.purpose,
                new.connector_id,
            )
            if version == "1.6":
                if same_slot:
                    replaced.append(old.profile_id)
            elif new.purpose == TX_PROFILE:
                if old.purpose == TX_PROFILE and same_slot and old.transaction_id == new.transaction_id:
                    return None
            elif same_slot and _overlap(old, new):
                return None
        return replaced

    def clear(
        self,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> bool:
        """Remove matching profiles; ``True`` if any went (OCPP ``Accepted``, else ``Unknown``).

        An id alone decides (1.6 errata 3.26); otherwise the criteria are AND-ed and none at
        all clears everything except the station's external constraints.
        """
        if profile_id is not None:
            gone = [profile_id] if profile_id in self.profiles else []
        else:
            gone = [
                p.profile_id
                for p in self.profiles.values()
                if p.purpose != EXTERNAL
                and (connector_id is None or p.connector_id == connector_id)
                and (purpose is None or p.purpose == purpose)
                and (stack_level is None or p.stack_level == stack_level)
            ]
        for key in gone:
            del self.profiles[key]
        return bool(gone)

    def drop_transaction(self, transaction_id: str) -> list[int]:
        """A transaction ended: its TxProfiles go with it. Returns the dropped ids."""
        gone = [p.profile_id for p in self.profiles.values() if p.transaction_id == transaction_id]
        for key in gone:
            del self.profiles[key]
        return gone
