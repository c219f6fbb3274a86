"""The conformance kit, held to its promise: every check passes against this gateway, and against a
CPO with one fault exactly the checks about that fault fail (so no check can pass by accident).
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from xml.etree import ElementTree as ET

import httpx
import pytest

from ocpi_gateway.cli.conformance import Options, run_conformance
from ocpi_gateway.cli.conformance.model import Verdict
from ocpi_gateway.cli.conformance.report import as_json, junit
from ocpi_gateway.cli.conformance.runner import REQUIRED, Report
from tests.conformance.broken_cpo import SESSION, TOKEN_B, TOKEN_C, BrokenCpo
from tests.conftest import ADMIN_TOKEN, GATEWAY_TOKEN, SCSP_TOKEN, GatewayFactory, StationFactory

GRACE = 0.4  # seconds a second or late result is awaited: short, the broken CPO posts at once

# fault -> the checks that must fail with it, and only those
FAULTS: dict[str | None, set[str]] = {
    None: set(),
    "no_result": {"put_absolute_w_result"},
    "two_results": {"put_absolute_w_result"},
    "late_result": {"put_absolute_w_result"},
    "wrong_result_object": {"put_amps_result"},
    "string_timeout": {"put_absolute_w_sync"},
    "envelope_offset": {"envelope"},
    "profile_offset": {"get_active_profile_result"},
    "periods_descending": {"get_active_profile_result"},
    "no_401": {"missing_token", "wrong_token"},
    "wrong_correlation": {"result_headers"},
    "no_routing_headers": {"result_headers"},
    "raw_token": set(),  # OCPI allows the token raw as well as in Base64
    "unknown_accepted": {"unknown_session"},
    "malformed_accepted": {"malformed_body"},
    "no_receiver": {"version_details"},
    "slow": set(),  # a warning, not a failure
}


def failing(report: Report) -> set[str]:
    return {r.name for r in report.results if r.verdict is Verdict.FAIL}


def verdicts(report: Report) -> dict[str, str]:
    return {r.name: r.verdict.value for r in report.results}


@pytest.fixture
async def broken(request: pytest.FixtureRequest) -> AsyncIterator[BrokenCpo]:
    cpo = BrokenCpo(fault=request.param)
    await cpo.start()
    yield cpo
    await cpo.stop()


def options_for(cpo: BrokenCpo, **over: object) -> Options:
    base: dict[str, object] = {
        "versions_url": f"{cpo.base_url}/ocpi/versions",
        "token": TOKEN_C,
        "session": SESSION,
        "expect_token": TOKEN_B,
        "timeout_cap": 10.0,
        "grace": GRACE,
    }
    base.update(over)
    return Options(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("broken", list(FAULTS), indirect=True, ids=lambda f: f or "none")
async def test_each_fault_fails_exactly_its_checks(broken: BrokenCpo) -> None:
    """Every required check runs; the failing ones are those about the fault, nothing else."""
    report = await run_conformance(options_for(broken))
    assert {r.name for r in report.results} == set(REQUIRED)
    expected = FAULTS[broken.fault]
    assert failing(report) == expected, verdicts(report)
    assert report.failed is bool(expected)
    if broken.fault == "slow":
        assert verdicts(report)["sync_latency"] == "warn"
    if broken.fault == "no_receiver":  # nothing to steer: the rest is skipped, never passed
        assert verdicts(report)["put_absolute_w_sync"] == "skip"


async def test_another_token_on_results_fails_the_headers_check() -> None:
    """``--expect-token``: results POSTed with another token fail ``result_headers``."""
    cpo = BrokenCpo()
    await cpo.start()
    try:
        report = await run_conformance(options_for(cpo, expect_token="not-the-token-they-use"))
    finally:
        await cpo.stop()
    assert failing(report) == {"result_headers"}


async def test_against_this_gateway_every_check_passes(
    gateway_factory: GatewayFactory, station_factory: StationFactory
) -> None:
    """The kit against the gateway and a simulated station: required and optional checks pass."""
    gateway = await gateway_factory(ocpi={"rate_limit_session_per_minute": 20})
    station = await station_factory(gateway, protocol="ocpp2.0.1")
    session_id = await station.start_transaction(connector_id=1)
    async with httpx.AsyncClient() as client:
        invited = await client.post(
            f"{gateway.base_url}/admin/parties/invite",
            json={"country_code": "NL", "party_id": "CNF", "allow_private_callbacks": True},
            headers={"Authorization": f"Token {ADMIN_TOKEN}"},
        )
    token_a = invited.json()["token"]
    common = {
        "versions_url": f"{gateway.base_url}/ocpi/versions",
        "token": SCSP_TOKEN,
        "session": session_id,
        "expect_token": GATEWAY_TOKEN,
        "timeout_cap": 10.0,
        "grace": GRACE,
    }
    report = await run_conformance(Options(**common, only=(*REQUIRED, "idempotency")))  # type: ignore[arg-type]
    assert failing(report) == set(), verdicts(report)
    assert all(v in ("pass", "warn") for v in verdicts(report).values()), verdicts(report)
    burst = await run_conformance(Options(**common, only=("too_often",)))  # type: ignore[arg-type]
    assert verdicts(burst) == {"too_often": "pass"}
    handshake = await run_conformance(
        Options(**common, only=("credentials_handshake",), party="NL*CNF", token_a=token_a)  # type: ignore[arg-type]
    )
    assert verdicts(handshake) == {"credentials_handshake": "pass"}, handshake.results[0].message


async def test_reports_carry_no_token() -> None:
    """JSON (with evidence) and JUnit name every check and hold no token, raw or in Base64."""
    cpo = BrokenCpo(fault="no_401")
    await cpo.start()
    try:
        report = await run_conformance(options_for(cpo, token_a="some-token-a"))
    finally:
        await cpo.stop()
    document = json.dumps(as_json(report))
    xml = junit(report)
    for secret in (TOKEN_C, TOKEN_B):
        for form in (secret, base64.b64encode(secret.encode()).decode()):
            assert form not in document
            assert form not in xml
    cases = ET.fromstring(xml).findall("testcase")  # noqa: S314  # our own output
    assert [c.get("name") for c in cases] == [r.name for r in report.results]
    assert len([c for c in cases if c.find("failure") is not None]) == 2  # missing_token, wrong_token
    assert json.loads(document)["passed"] is False
