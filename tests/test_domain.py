"""``Session.clone``: a cheap copy that must still share nothing mutable with the original."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from ocpi_gateway.domain import OcppVersion, Session, SessionStatus, Usage, copy_with
from ocpi_gateway.models.ocpi import ChargingProfile

IMMUTABLE = (str, int, float, bool, datetime, Enum, type(None))


def full_session() -> Session:
    """A session with every field set to a non-default value."""
    profile = ChargingProfile.model_validate(
        {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 16.0}]}
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    usage = Usage(
        meter_start_wh=1.0,
        meter_wh=2.0,
        power_w=3.0,
        current_a=4.0,
        last_updated=now,
        reported_wh=5.0,
        reported_at=now,
        periods=[{"start_date_time": "2026-01-01T00:00:00Z"}],
        told=["NL*SCS"],
    )
    return Session(
        session_id="S-1",
        station_id="CP-1",
        connector_id=2,
        evse_id=2,
        transaction_id="tx",
        ocpp_version=OcppVersion.V201,
        status=SessionStatus.COMPLETED,
        started_at=now,
        ended_at=now,
        id_tag="tag",
        source="admin",
        owner="NL*SCS",
        emsp="NL*EMS",
        charging_profile_id=7,
        applied_profile=profile,
        applied_by="NL*SCS",
        profile_events=["set"],
        steered_by=["NL*SCS"],
        usage=usage,
    )


def shared_mutables(original: BaseModel, copy: BaseModel, path: str = "") -> list[str]:
    """Fields whose value is the same object in both and could be edited in place."""
    found = []
    for name in type(original).model_fields:
        mine, theirs = getattr(original, name), getattr(copy, name)
        where = f"{path}{name}"
        if isinstance(mine, IMMUTABLE):
            continue
        if isinstance(mine, BaseModel) and mine.model_config.get("frozen"):
            continue
        if mine is theirs:
            found.append(where)
        elif isinstance(mine, BaseModel):
            found += shared_mutables(mine, theirs, where + ".")
    return found


def test_every_field_is_set_in_the_fixture() -> None:
    """The check below only means something if no field is left at its default."""
    session = full_session()
    defaults: dict[str, Any] = {
        n: f.get_default(call_default_factory=True) for n, f in Session.model_fields.items()
    }
    assert [n for n in Session.model_fields if getattr(session, n) == defaults[n]] == []
    usage_defaults = {n: f.get_default(call_default_factory=True) for n, f in Usage.model_fields.items()}
    assert [n for n in Usage.model_fields if getattr(session.usage, n) == usage_defaults[n]] == []


def test_clone_is_equal_and_shares_nothing_mutable() -> None:
    """Equal in value; no list or model that handlers edit is shared (a new such field fails here)."""
    session = full_session()
    copy = session.clone()
    assert copy == session
    assert shared_mutables(session, copy) == []


def test_editing_the_clone_leaves_the_original() -> None:
    """What handlers do to a session they got from a store does not reach the stored one."""
    session = full_session()
    copy = session.clone()
    copy.usage.meter_wh = 99.0
    copy.usage.periods.append({"x": 1})
    copy.steered_by.append("DE*ABC")
    copy.profile_events.append("cleared")
    assert (session.usage.meter_wh, len(session.usage.periods)) == (2.0, 1)
    assert (session.steered_by, session.profile_events) == (["NL*SCS"], ["set"])


def test_copy_with_is_model_copy_with_update() -> None:
    """``copy_with`` (used by ``clone``) gives what pydantic's ``model_copy(update=…)`` gives."""
    session = full_session()
    ours = copy_with(session, applied_by="DE*ABC", steered_by=["DE*ABC"])
    theirs = session.model_copy(update={"applied_by": "DE*ABC", "steered_by": ["DE*ABC"]})
    assert ours == theirs
    assert ours.model_fields_set == theirs.model_fields_set
    assert ours.model_dump(exclude_unset=True) == theirs.model_dump(exclude_unset=True)
    assert ours.model_dump_json() == theirs.model_dump_json()
    assert session.applied_by != "DE*ABC"  # the original is untouched
