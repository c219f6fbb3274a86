"""UTC time helpers: OCPI and OCPP both want UTC, and OCPI forbids ``+00:00`` offsets."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time as an aware UTC datetime, whole seconds dropped below milliseconds."""
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Treat a naive datetime as UTC (OCPI: no suffix means UTC) and convert aware ones.

    Raises:
        ValueError: the instant lies outside what a datetime can hold once in UTC (such as
            ``0001-01-01T00:30+01:00``): a bad input, not a server error.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("date-time out of range once converted to UTC") from exc


def format_utc(value: datetime) -> str:
    """Render as ``YYYY-MM-DDTHH:MM:SSZ``: valid OCPI DateTime and valid OCPP dateTime."""
    return ensure_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    """Parse RFC 3339 / ISO 8601 text (with ``Z``, an offset, or no zone) into aware UTC.

    Raises:
        ValueError: the text is not a date-time.
    """
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    return ensure_utc(datetime.fromisoformat(cleaned))
