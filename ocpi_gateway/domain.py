"""The gateway's own nouns, shared by every layer: stations, sessions, jobs.

These are plain data (pydantic for what the backend stores, so the Redis backend can
serialise them the same way the embedded one keeps them), with no I/O.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ocpi_gateway.models.ocpi import ChargingProfile

ModelT = TypeVar("ModelT", bound=BaseModel)


def copy_with(model: ModelT, **fields: Any) -> ModelT:
    """``model.model_copy(update=fields)`` without its ``copy.copy`` calls: half the time.

    The same shallow copy: a new instance over a copy of the field values, with ``fields``
    replaced and counted as set, extra and private values copied. Nothing is validated.
    """
    new = model.__class__.__new__(model.__class__)
    values = model.__dict__.copy()
    values.update(fields)
    object.__setattr__(new, "__dict__", values)
    object.__setattr__(new, "__pydantic_fields_set__", model.__pydantic_fields_set__ | fields.keys())
    extra, private = model.__pydantic_extra__, model.__pydantic_private__
    object.__setattr__(new, "__pydantic_extra__", None if extra is None else dict(extra))
    object.__setattr__(new, "__pydantic_private__", None if private is None else dict(private))
    return new


class OcppVersion(StrEnum):
    """The websocket subprotocol names double as the version names."""

    V16 = "ocpp1.6"
    V201 = "ocpp2.0.1"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a station told us about its smart charging (1.6 GetConfiguration / 2.0.1 GetVariables).

    ``None`` means "not reported": the translation then uses safe defaults (both units
    allowed, no period cap, the configured stack level).
    """

    allowed_units: frozenset[str] = frozenset({"A", "W"})
    max_stack_level: int | None = None
    max_periods: int | None = None
    max_profiles: int | None = None
    smart_charging: bool = True
    reported: bool = False


@dataclass(frozen=True, slots=True)
class Electrical:
    """How W and A relate at an EVSE: line-to-neutral voltage and phases in use."""

    voltage: float = 230.0
    phases: int = 3


class SessionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"


class Usage(BaseModel):
    """What the meter said about a session, for the OCPI Sessions module (``sessions/feed.py``).

    Energies are the station's import register in Wh; ``reported_*`` is what the last
    PUT/PATCH to partners carried, so the next PATCH adds one charging period for the rest.
    """

    model_config = ConfigDict(extra="ignore")

    meter_start_wh: float | None = None
    meter_wh: float | None = None
    power_w: float | None = None
    current_a: float | None = None
    last_updated: datetime | None = None
    reported_wh: float | None = None
    reported_at: datetime | None = None
    # OCPI ChargingPeriods pushed so far (JSON), and the partners that got the Session PUT.
    periods: list[dict[str, Any]] = Field(default_factory=list)
    told: list[str] = Field(default_factory=list)

    @property
    def kwh(self) -> float:
        """Energy charged so far in kWh (0 until two readings, or one after a known start)."""
        if self.meter_wh is None or self.meter_start_wh is None:
            return 0.0
        return max(0.0, (self.meter_wh - self.meter_start_wh) / 1000)


class Session(BaseModel):
    """A charging session the gateway may steer: an OCPP transaction seen through OCPI eyes.

    ``session_id`` is the OCPI id (CiString(36)); ``transaction_id`` is the OCPP one as a
    string (1.6 ints are kept as their decimal text). ``charging_profile_id`` is allocated
    once per session and reused by every PUT, so a new PUT replaces and DELETE clears
    exactly the gateway's profile.
    """

    model_config = ConfigDict(extra="ignore")

    session_id: str
    station_id: str
    connector_id: int = 1
    evse_id: int = 1
    transaction_id: str
    ocpp_version: OcppVersion
    status: SessionStatus = SessionStatus.ACTIVE
    started_at: datetime
    ended_at: datetime | None = None
    id_tag: str | None = None
    source: Literal["ocpp", "admin"] = "ocpp"
    owner: str | None = None
    # The eMSP (``CC*PID``) whose token started the session, when known (ownership.py).
    emsp: str | None = None
    charging_profile_id: int | None = None
    applied_profile: ChargingProfile | None = None
    applied_by: str | None = None
    profile_events: list[str] = Field(default_factory=list)
    # Partners (``CC*PID``) that successfully PUT a profile: they get ActiveChargingProfile pushes.
    steered_by: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)

    @property
    def active(self) -> bool:
        return self.status is SessionStatus.ACTIVE

    def clone(self) -> Session:
        """A copy sharing nothing mutable with this one: what a store keeps and hands out.

        Stores and ``SessionRegistry.update`` copy a session several times per flow, and
        ``model_copy(deep=True)`` costs about 80 µs each; this costs about 2 (``copy_with``). Scalars,
        datetimes and the frozen ``ChargingProfile`` are shared; the lists and ``Usage`` (which
        handlers edit in place) are copied. The items of ``Usage.periods`` are replaced, never
        edited. ``tests/test_domain.py`` fails when a new mutable field is not handled here.
        """
        usage = copy_with(self.usage, periods=list(self.usage.periods), told=list(self.usage.told))
        return copy_with(
            self, usage=usage, profile_events=list(self.profile_events), steered_by=list(self.steered_by)
        )


class JobKind(StrEnum):
    SET = "set"
    GET = "get"
    CLEAR = "clear"
    REAPPLY = "reapply"
    # A partner's OCPP 1.6 SetChargingProfile request (``/api/v1``) for a session / a station.
    OCPP_SESSION = "ocpp_session"
    OCPP_STATION = "ocpp_station"
    PUSH = "push"  # ActiveChargingProfile PUT to a partner (pushes.py)
    LIMIT = "limit"  # station-wide maximum: set (profile given) or clear (station_limits.py)


class Job(BaseModel):
    """One accepted request, stored before ACCEPTED is answered and acked after its result.

    ``deadline`` (epoch seconds) is when the announced OCPI ``timeout`` runs out: the
    station call and the result delivery must both fit before it.
    """

    model_config = ConfigDict(extra="ignore")

    job_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    kind: JobKind
    party: str | None = None
    session_id: str
    station_id: str
    response_url: str | None = None
    created: float
    deadline: float
    request_id: str = ""
    correlation_id: str = ""
    profile: ChargingProfile | None = None
    duration: int | None = None
    # Times the job was taken over from a dead node: only such a job can have a saved result.
    reclaimed: int = 0
    # The validated OCPP 1.6 SetChargingProfile request (camelCase JSON) of the ocpp_* kinds.
    ocpp_request: dict[str, Any] | None = None
    # Keep the result as a job outcome for this many seconds (jobs with no response_url whose
    # caller waits or polls instead, see ``core/outcomes.py``).
    outcome_ttl: int | None = None
    # Not to be started before this time (epoch seconds): a push waiting out its coalescing window
    # waits outside its station's lane, so the station's other calls are not held up behind it.
    start_after: float | None = None
    # Where the backend keeps this job (a Redis stream entry id); not part of the stored job.
    receipt: str | None = Field(default=None, exclude=True)


@dataclass(slots=True)
class StationInfo:
    """What ``GET /admin/stations`` shows about a connected station."""

    station_id: str
    protocol: OcppVersion
    node: str
    connected_at: datetime
    capabilities: Capabilities
    vendor: str | None = None
    model: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
