"""UTC helpers: an instant that cannot exist in UTC is a bad input (ValueError), never a crash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ocpi_gateway.timeutil import ensure_utc, format_utc, parse_utc


def test_offsets_become_utc() -> None:
    """An offset is converted, ``Z`` and no zone both mean UTC."""
    assert parse_utc("2026-01-01T01:00:00+01:00") == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_utc("2026-01-01T00:00:00Z") == parse_utc("2026-01-01T00:00:00")
    assert format_utc(parse_utc("2026-01-01T01:00:00+01:00")) == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize("text", ["0001-01-01T01:00:00+01:01", "9999-12-31T23:59:59-01:00"])
def test_out_of_range_instant_is_a_value_error(text: str) -> None:
    """Found by the schemathesis run: ``date_from=0001-01-01T01:00:00+01:01`` was a 500."""
    with pytest.raises(ValueError, match="out of range"):
        parse_utc(text)


def test_naive_is_taken_as_utc() -> None:
    """OCPI: a timestamp without a zone is UTC."""
    assert ensure_utc(datetime(2026, 1, 1)).tzinfo is UTC
