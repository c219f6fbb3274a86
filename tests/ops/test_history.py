"""The status page's memory: recent jobs (bounded, newest first) and the latest composite per session."""

from __future__ import annotations

from ocpi_gateway.core.history import History
from ocpi_gateway.domain import Job, JobKind
from ocpi_gateway.models.ocpi import (
    ActiveChargingProfile,
    ActiveChargingProfileResult,
    ChargingProfile,
    ChargingProfileResult,
    ChargingProfileResultType,
)

ACCEPTED = ChargingProfileResultType.ACCEPTED
PROFILE = ChargingProfile.model_validate(
    {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 10.0}]}
)


def job(session_id: str = "S1", kind: JobKind = JobKind.SET, response_url: str | None = "http://h/r") -> Job:
    return Job(
        kind=kind,
        session_id=session_id,
        station_id="CS",
        created=1.0,
        deadline=9.0,
        response_url=response_url,
    )


class TestJobs:
    def test_bounded_and_newest_first(self) -> None:
        """Only the last ``max_jobs`` are kept, newest first."""
        history = History(max_jobs=2)
        for session_id in ("A", "B", "C"):
            history.record_job(job(session_id), ChargingProfileResult(result=ACCEPTED), True)
        assert [j.session_id for j in history.recent_jobs()] == ["C", "B"]

    def test_filter_by_session(self) -> None:
        """recent_jobs(session_id=) returns that session's jobs only."""
        history = History()
        history.record_job(job("A"), ChargingProfileResult(result=ACCEPTED), True)
        history.record_job(job("B"), ChargingProfileResult(result=ACCEPTED), False)
        [only] = history.recent_jobs(session_id="B")
        assert (only.session_id, only.delivered, only.result) == ("B", False, "ACCEPTED")

    def test_own_jobs_have_no_delivery(self) -> None:
        """A job without response_url (a re-apply) records delivered=None, not True."""
        history = History()
        history.record_job(job(response_url=None), ChargingProfileResult(result=ACCEPTED), True)
        assert history.recent_jobs()[0].delivered is None


class TestComposites:
    def test_get_job_keeps_the_composite(self) -> None:
        """A GET job's ActiveChargingProfile becomes the session's composite, source get_job."""
        history = History()
        active = ActiveChargingProfile(start_date_time="2030-01-01T00:00:00Z", charging_profile=PROFILE)
        result = ActiveChargingProfileResult(result=ACCEPTED, profile=active)
        history.record_job(job(kind=JobKind.GET), result, True)
        record = history.composite("S1")
        assert record is not None
        assert (record.source, record.profile) == ("get_job", active)

    def test_oldest_sessions_drop_out(self) -> None:
        """Beyond ``max_composites`` the least recently updated session is forgotten."""
        history = History(max_composites=2)
        active = ActiveChargingProfile(start_date_time="2030-01-01T00:00:00Z", charging_profile=PROFILE)
        for session_id in ("A", "B", "A", "C"):
            history.record_composite(session_id, "CS", active, "live")
        assert history.composite("B") is None
        assert history.composite("A") is not None
        assert history.composite("C") is not None
