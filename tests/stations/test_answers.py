"""``CheckedAnswers``: keeping the verdict on a passing answer never changes what the check says."""

from __future__ import annotations

import copy
import decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ocpp.exceptions import OCPPError
from ocpp.messages import CallResult, validate_payload

from ocpi_gateway.stations.direct.answers import CheckedAnswers

VERSIONS = ["1.6", "2.0.1"]
ACTIONS = ["SetChargingProfile", "ClearChargingProfile", "GetCompositeSchedule"]
SCALARS = st.one_of(
    st.sampled_from(["Accepted", "Rejected", "Unknown", "NotSupported", "accepted", ""]),
    st.integers(-2, 2),
    st.sampled_from([0.0, 1.0, 1.5, -0.0]),
    st.booleans(),
    st.none(),
)
FIELDS = st.sampled_from(["status", "statusInfo", "reasonCode", "additionalInfo", "schedule", "evseId", "x"])
ANY = st.recursive(SCALARS, lambda inner: st.dictionaries(FIELDS, inner, max_size=3), max_leaves=6)
# Mostly near-valid answers (a status, perhaps a statusInfo), so passing and failing ones sit side by side.
PAYLOADS = st.one_of(
    st.dictionaries(FIELDS, ANY, max_size=3),
    st.fixed_dictionaries(
        {"status": st.sampled_from(["Accepted", "Rejected", "Unknown", "Acc"])},
        optional={
            "statusInfo": st.fixed_dictionaries(
                {"reasonCode": st.sampled_from(["R", "", 1])},
                optional={"additionalInfo": st.sampled_from(["i", 2])},
            ),
            "x": SCALARS,
        },
    ),
)


async def verdict(check: Any, version: str, action: str, payload: dict[str, Any]) -> tuple[str, Any]:
    """("ok", the payload the check left) or ("error", the package's code and description)."""
    result = CallResult("1", copy.deepcopy(payload), action)
    try:
        await check(result, version)
    except OCPPError as error:
        return "error", (error.code, error.description)
    return "ok", result.payload


@settings(max_examples=300, deadline=None)
@given(
    version=st.sampled_from(VERSIONS),
    action=st.sampled_from(ACTIONS),
    payloads=st.lists(PAYLOADS, min_size=1, max_size=6),
)
async def test_every_verdict_equals_the_packages(
    version: str, action: str, payloads: list[dict[str, Any]]
) -> None:
    """Checked twice, in any order, each payload gets the verdict (and error) the package gives."""
    answers = CheckedAnswers()
    for payload in payloads + payloads:
        expected = await verdict(validate_payload, version, action, payload)
        assert await verdict(answers.check, version, action, payload) == expected


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_passing_answer_is_kept_and_a_failing_one_never(version: str) -> None:
    answers = CheckedAnswers()
    assert (await verdict(answers.check, version, "ClearChargingProfile", {"status": "Accepted"}))[0] == "ok"
    assert len(answers) == 1
    for _ in range(2):  # checked in full each time: still the package's error
        outcome = await verdict(answers.check, version, "ClearChargingProfile", {"status": "Fine"})
        assert outcome[0] == "error"
    assert len(answers) == 1


async def test_an_integer_and_the_same_float_are_different_answers() -> None:
    """Draft-4 schemas refuse 1.0 where they want an integer: a kept ``1`` must not pass ``1.0``."""
    answers = CheckedAnswers()
    schedule = {
        "evseId": 1,
        "duration": 60,
        "scheduleStart": "2026-12-04T08:00:00Z",
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
    }
    whole = {"status": "Accepted", "schedule": schedule}
    assert (await verdict(answers.check, "2.0.1", "GetCompositeSchedule", whole))[0] == "ok"
    fractional = {"status": "Accepted", "schedule": {**schedule, "evseId": 1.0}}
    assert (await verdict(answers.check, "2.0.1", "GetCompositeSchedule", fractional))[0] == "error"


async def test_the_answer_the_package_rewrites_is_always_rewritten() -> None:
    """1.6 GetCompositeSchedule limits become ``Decimal`` in the check; a kept verdict would skip that."""
    answers = CheckedAnswers()
    payload = {
        "status": "Accepted",
        "connectorId": 1,
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        },
    }
    for _ in range(2):
        outcome, left = await verdict(answers.check, "1.6", "GetCompositeSchedule", payload)
        assert outcome == "ok"
        assert isinstance(left["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"], decimal.Decimal)
    assert len(answers) == 0


async def test_memory_is_bounded_in_entries_and_key_size() -> None:
    """A station sending endless distinct answers costs a full check each, never unbounded memory."""
    answers = CheckedAnswers(max_entries=8, max_key_chars=100)
    for n in range(50):
        info = {"reasonCode": f"R{n}"}
        assert (
            await verdict(
                answers.check, "2.0.1", "ClearChargingProfile", {"status": "Accepted", "statusInfo": info}
            )
        )[0] == "ok"
    assert len(answers) == 8
    long_info = {"reasonCode": "R", "additionalInfo": "x" * 200}
    payload = {"status": "Accepted", "statusInfo": long_info}
    assert (await verdict(answers.check, "2.0.1", "ClearChargingProfile", payload))[0] == "ok"
    assert len(answers) == 8
