"""ocpi/session_objects.py: a gateway session as an OCPI Session object (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ocpi_gateway.config import settings_from_mapping
from ocpi_gateway.domain import OcppVersion, Session, SessionStatus
from ocpi_gateway.sessions.objects import new_period, patch_body, to_ocpi_session

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SETTINGS = settings_from_mapping({"ocpi": {"currency": "CHF"}})


def session(**extra: object) -> Session:
    base = Session(
        session_id="4711",
        station_id="STATION-WITH-A-VERY-LONG-NAME-THAT-GOES-ON-AND-ON",
        evse_id=2,
        connector_id=2,
        transaction_id="4711",
        ocpp_version=OcppVersion.V16,
        started_at=START,
    )
    return base.model_copy(update=extra)


def test_defaults_without_configuration_or_id_tag() -> None:
    """Location = station id, EVSE = <station>-<evse>, cut to 36; no tag: #NA, OTHER, COMMAND, our party."""
    body = to_ocpi_session(session(), SETTINGS).to_json_dict()
    assert body["location_id"] == "STATION-WITH-A-VERY-LONG-NAME-THAT-G"  # 36 characters
    assert len(body["evse_uid"]) == 36
    assert body["cdr_token"] == {
        "country_code": "NL",
        "party_id": "GWY",
        "uid": "#NA",
        "type": "OTHER",
        "contract_id": "#NA",
    }
    assert (body["auth_method"], body["currency"], body["kwh"]) == ("COMMAND", "CHF", 0.0)
    assert body["last_updated"] == "2024-05-01T12:00:00Z"


def test_period_covers_the_energy_since_the_last_report() -> None:
    """After a report at 1000 Wh, a reading of 3500 Wh makes one 2.5 kWh period from the report time."""
    s = session()
    s.usage.meter_start_wh, s.usage.meter_wh = 0.0, 3500.0
    s.usage.reported_wh, s.usage.reported_at = 1000.0, START + timedelta(minutes=5)
    period = new_period(s, START + timedelta(minutes=10))
    assert period is not None
    assert period.to_json_dict() == {
        "start_date_time": "2024-05-01T12:05:00Z",
        "dimensions": [{"type": "ENERGY", "volume": 2.5}],
    }
    s.usage.reported_wh = 3500.0
    assert new_period(s, START + timedelta(minutes=11)) is None


def test_patch_at_the_end_says_completed() -> None:
    """The final PATCH carries the status, the end and last_updated (required in every PATCH)."""
    s = session(status=SessionStatus.COMPLETED, ended_at=START + timedelta(hours=1))
    s.usage.last_updated = START + timedelta(hours=1)
    assert patch_body(s, None) == {
        "kwh": 0.0,
        "status": "COMPLETED",
        "last_updated": "2024-05-01T13:00:00Z",
        "end_date_time": "2024-05-01T13:00:00Z",
    }
