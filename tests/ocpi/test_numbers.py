"""The one-decimal rule of OCPI limits: the same verdict as the exact decimal reading, for every number."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from ocpi_gateway.models.ocpi import ChargingProfilePeriod


def exact_verdict(value: int | float) -> bool:
    """The rule read from the number's exact shortest decimal text (what the check must equal)."""
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return exponent >= -1


def accepted(value: Any) -> bool:
    try:
        ChargingProfilePeriod.model_validate({"start_period": 0, "limit": value})
    except ValidationError:
        return False
    return True


@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
@example(16.0)
@example(16.1)
@example(16.05)
@example(0.1)
@example(100.0)
@example(1e20)
@example(1e-5)
@example(5e-324)
@example(1.5e16)
@example(123456789.1)
def test_a_float_is_judged_by_its_exact_decimal_value(value: float) -> None:
    assert accepted(value) == exact_verdict(value)


@given(st.integers(min_value=0, max_value=10**300))
def test_a_whole_number_that_fits_a_float_is_accepted(value: int) -> None:
    assert accepted(value)


@pytest.mark.parametrize(
    "value",
    [10**400, -(10**400), float("inf"), float("nan"), True, "16.0", None],
    ids=["400-digits", "minus-400-digits", "inf", "nan", "bool", "string", "null"],
)
def test_what_is_no_finite_number_is_refused_not_raised(value: Any) -> None:
    """A 400-digit integer (valid JSON) once escaped as OverflowError: a 500 for bad input."""
    with pytest.raises(ValidationError) as caught:
        ChargingProfilePeriod.model_validate({"start_period": 0, "limit": value})
    assert caught.value.errors()[0]["loc"] == ("limit",)
