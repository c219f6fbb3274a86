"""OCPI 2.2.1 ChargingProfiles objects as pydantic models, validated strictly on input.

Validation lives here (not in views) so every entry point (OCPI, admin, CLI ``translate``)
refuses the same bad profiles with the same field-named message.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from ocpi_gateway.config import Settings
from ocpi_gateway.errors import InvalidParameters
from ocpi_gateway.timeutil import ensure_utc, format_utc, parse_utc

MAX_PERIODS = 1024
MAX_LIMIT = {"A": 5000.0, "W": 10_000_000.0}
MAX_URL_LENGTH = 255
MAX_SESSION_ID_LENGTH = 36

VERSION = "2.2.1"
VERSIONS_PATH = "/ocpi/versions"


def versions_url(settings: Settings) -> str:
    """Our public versions URL, the ``url`` of our credentials object (and what partners discover)."""
    return settings.http.base_url + VERSIONS_PATH


def validate_session_id(value: str) -> str:
    """An OCPI ``CiString(36)``: 1 to 36 printable ASCII characters.

    Raises:
        InvalidParameters: naming ``session_id``.
    """
    if not 1 <= len(value) <= MAX_SESSION_ID_LENGTH or not all(" " <= c <= "~" for c in value):
        raise InvalidParameters(
            f"session_id: must be 1 to {MAX_SESSION_ID_LENGTH} printable ASCII characters"
        )
    return value


class ChargingRateUnit(StrEnum):
    W = "W"
    A = "A"


class ChargingProfileResponseType(StrEnum):
    ACCEPTED = "ACCEPTED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TOO_OFTEN = "TOO_OFTEN"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class ChargingProfileResultType(StrEnum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"


def _one_decimal_number(value: Any) -> Any:
    """Accept a JSON number with at most one decimal digit (OCPI overrides its 4-digit default).

    A float written without an exponent is judged by its shortest text (``repr``: ``16.0``,
    ``16.1``, ``16.05``); one with an exponent (``1e+20``, ``5e-324``) by its exact decimal
    value. Every number must fit a float: a 400-digit integer is a bad input, not a crash.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError("out of range") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    if isinstance(value, int):
        return number
    text = repr(value)
    if "e" in text:
        exponent = Decimal(text).normalize().as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) else 0
    else:
        decimals = len(text.partition(".")[2].rstrip("0"))
    if decimals > 1:
        raise ValueError("at most 1 decimal digit allowed")
    return number


def _strict_int(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValueError("must be an integer")
    return value


def _datetime_in(value: Any) -> Any:
    if isinstance(value, datetime):
        return ensure_utc(value)
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string")
    try:
        return parse_utc(value)
    except ValueError:
        raise ValueError("must be an RFC 3339 date-time such as 2024-05-01T12:00:00Z") from None


OneDecimal = Annotated[float, BeforeValidator(_one_decimal_number)]
StrictInt = Annotated[int, BeforeValidator(_strict_int)]
OcpiDateTime = Annotated[
    datetime,
    BeforeValidator(_datetime_in),
    AfterValidator(ensure_utc),
    PlainSerializer(format_utc, return_type=str),
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def to_json_dict(self) -> dict[str, Any]:
        """The wire form: OCPI field names, no null fields, UTC ``Z`` timestamps."""
        return self.model_dump(mode="json", exclude_none=True)


class ChargingProfilePeriod(_Model):
    start_period: StrictInt = Field(ge=0)
    limit: OneDecimal = Field(ge=0)


class ChargingProfile(_Model):
    start_date_time: OcpiDateTime | None = None
    duration: StrictInt | None = Field(default=None, gt=0)
    charging_rate_unit: ChargingRateUnit
    min_charging_rate: OneDecimal | None = Field(default=None, ge=0)
    charging_profile_period: list[ChargingProfilePeriod] = Field(max_length=MAX_PERIODS)

    @field_validator("charging_profile_period")
    @classmethod
    def _periods_usable(cls, periods: list[ChargingProfilePeriod]) -> list[ChargingProfilePeriod]:
        if not periods:
            raise ValueError("at least one period is required")
        if periods[0].start_period != 0:
            raise ValueError("the first period must have start_period 0")
        for i in range(1, len(periods)):
            if periods[i].start_period <= periods[i - 1].start_period:
                raise ValueError(f"start_period must be strictly ascending (period {i})")
        return periods

    @model_validator(mode="after")
    def _limits_sane(self) -> ChargingProfile:
        cap = MAX_LIMIT[self.charging_rate_unit.value]
        for period in self.charging_profile_period:
            if period.limit > cap:
                raise ValueError(f"limit {period.limit} exceeds {cap} {self.charging_rate_unit.value}")
        if self.min_charging_rate is not None and self.min_charging_rate > cap:
            raise ValueError(f"min_charging_rate exceeds {cap} {self.charging_rate_unit.value}")
        return self


def _http_url(value: Any) -> Any:
    """A response URL: absolute http(s), at most 255 characters (OCPI ``URL`` type)."""
    if not isinstance(value, str):
        raise ValueError("must be a URL string")
    if len(value) > MAX_URL_LENGTH:
        raise ValueError(f"longer than {MAX_URL_LENGTH} characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    if any(c.isspace() for c in value):
        raise ValueError("must not contain white space")
    return value


ResponseUrl = Annotated[str, BeforeValidator(_http_url)]


class SetChargingProfile(_Model):
    charging_profile: ChargingProfile
    response_url: ResponseUrl


class ChargingProfileResponse(_Model):
    result: ChargingProfileResponseType
    timeout: int


class ActiveChargingProfile(_Model):
    start_date_time: OcpiDateTime
    charging_profile: ChargingProfile


class ActiveChargingProfileResult(_Model):
    result: ChargingProfileResultType
    profile: ActiveChargingProfile | None = None


class ChargingProfileResult(_Model):
    result: ChargingProfileResultType


class ClearProfileResult(_Model):
    result: ChargingProfileResultType


AnyResult = ActiveChargingProfileResult | ChargingProfileResult | ClearProfileResult


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """One readable line naming the offending field.

    For example ``charging_profile.charging_profile_period[1].limit: at most 1 decimal digit allowed``.
    """
    parts: list[str] = []
    for err in exc.errors()[:3]:
        path = prefix
        for loc in err["loc"]:
            if isinstance(loc, int):
                path += f"[{loc}]"
            else:
                path += f".{loc}" if path else str(loc)
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{path or '(body)'}: {message}")
    return "; ".join(parts)
