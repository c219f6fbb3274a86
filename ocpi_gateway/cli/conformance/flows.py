"""The checks themselves: what the tool sends as an SCSP, and how each answer is judged.

Names are stable (reports and CI jobs refer to them); each carries the OCPI 2.2.1 section it
comes from. A check whose step could not run (no ``chargingprofiles`` endpoint, a refused PUT)
is ``skip`` with the reason, never ``pass``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from pydantic import BaseModel

from ocpi_gateway.cli.conformance.callbacks import CallbackServer, collect
from ocpi_gateway.cli.conformance.judge import (
    envelope_problems,
    header_problems,
    model_problems,
    period_problems,
    time_problems,
)
from ocpi_gateway.cli.conformance.model import CheckResult, Verdict, redact, trim
from ocpi_gateway.cli.conformance.options import Options
from ocpi_gateway.cli.conformance.target import Cpo, Exchange
from ocpi_gateway.cli.mockscsp import Received
from ocpi_gateway.models.ocpi import (
    ActiveChargingProfileResult,
    ChargingProfileResponse,
    ChargingProfileResult,
    ClearProfileResult,
)
from ocpi_gateway.timeutil import format_utc, utcnow

SLOW_SECONDS = 1.0
BURST = 30
PERIODS_W = [{"start_period": 0, "limit": 11000.0}, {"start_period": 1800, "limit": 7400.0}]
PERIODS_A = [{"start_period": 0, "limit": 16.0}, {"start_period": 900, "limit": 10.0}]
SECTIONS = {
    "versions": "6.1 Version information endpoint",
    "version_details": "6.2 Version details endpoint",
    "sync": "14.2.1 Receiver interface; 14.4.4 ChargingProfileResponse",
    "result": "14.3.3 Sender interface (response_url); 14.4.2 result objects",
    "result_headers": "4.1.1-4.1.4 Authorization, X-Request-ID, X-Correlation-ID, routing headers",
    "unknown_session": "14.4.4 ChargingProfileResponseType UNKNOWN_SESSION",
    "malformed_body": "5 Status codes: 2001 invalid or missing parameters",
    "token": "4.1.1 Authorization header: HTTP 401 Unauthorized",
    "envelope": "4.1.7 Response format; 16.2 DateTime (UTC, Z)",
    "latency": "14.2.1 (the synchronous answer) — informative",
    "idempotency": "4.1.2 X-Request-ID (a repeated request is the same request) — optional",
    "too_often": "14.4.4 ChargingProfileResponseType TOO_OFTEN — optional",
    "credentials": "7 Credentials module (registration from a token A) — optional",
}


class Flows:
    """Runs the selected checks in order against one CPO, with one callback server."""

    def __init__(self, cpo: Cpo, server: CallbackServer, options: Options) -> None:
        self.cpo = cpo
        self.server = server
        self.options = options
        self.results: list[CheckResult] = []
        self.posts: list[tuple[Received, str]] = []  # every result POST, with the correlation id sent
        self.sync: list[Exchange] = []

    async def run(self, selected: tuple[str, ...]) -> list[CheckResult]:
        versions, details = await self.cpo.discover(self.options.versions_url)
        self._versions(versions)
        self._details(details)
        ready = bool(self.cpo.profiles_url)
        for name, body in (("put_absolute_w", self._absolute_w()), ("put_amps", _profile("A", PERIODS_A))):
            await self._profile_call(name, "PUT", {"charging_profile": body}, ready)
        await self._profile_call("get_active_profile", "GET", None, ready, duration="900")
        await self._profile_call("delete_profile", "DELETE", None, ready)
        self._result_headers()
        if ready:
            await self._unknown_session()
            await self._malformed()
            await self._tokens()
        self._envelope()
        self._latency()
        if ready and "idempotency" in selected:
            await self._idempotency()
        if ready and "too_often" in selected:
            await self._too_often()
        if "credentials_handshake" in selected:
            await self._handshake()
        chosen = [r for r in self.results if r.name in selected]
        known = {r.name for r in self.results}
        chosen += [_skip(n, "", "not run: the steps it needs failed") for n in selected if n not in known]
        for result in chosen:
            clean = trim(redact(result.evidence, self.options.secrets), 6000)  # redact first: trim cuts JSON
            result.evidence = clean if isinstance(clean, dict) else {"trimmed": clean}
            result.message = redact(result.message, self.options.secrets)
        return chosen

    def _add(
        self, name: str, section: str, problems: list[str], ok: str, evidence: Any, required: bool = True
    ) -> None:
        verdict = Verdict.FAIL if problems else Verdict.PASS
        message = "; ".join(problems) if problems else ok
        self.results.append(CheckResult(name, SECTIONS[section], verdict, message, required, evidence))

    # --- discovery ---------------------------------------------------------------------

    def _versions(self, versions: Exchange) -> None:
        problems = [] if versions.status == 200 else [f"HTTP {versions.status}"]
        entries = versions.data if isinstance(versions.data, list) else []
        if not any(isinstance(v, dict) and v.get("version") == "2.2.1" for v in entries):
            problems.append("2.2.1 is not among the versions")
        self._add("versions", "versions", problems, "2.2.1 offered", versions.evidence())

    def _details(self, details: Exchange | None) -> None:
        if details is None:
            self.results.append(_skip("version_details", "version_details", "no 2.2.1 version to read"))
            return
        problems = [] if details.status == 200 else [f"HTTP {details.status}"]
        if not self.cpo.profiles_url:
            problems.append("no chargingprofiles endpoint with role RECEIVER")
        ok = f"chargingprofiles RECEIVER at {self.cpo.profiles_url}"
        self._add("version_details", "version_details", problems, ok, details.evidence())

    # --- PUT / GET / DELETE and their results ------------------------------------------

    def _absolute_w(self) -> dict[str, Any]:
        """The Jedlix guide's shape: an Absolute profile in W starting now."""
        return _profile("W", PERIODS_W, start_date_time=format_utc(utcnow()), min_charging_rate=1380.0)

    async def _profile_call(
        self, name: str, method: str, body: dict[str, Any] | None, ready: bool, **query: str
    ) -> None:
        if not ready:
            for suffix in ("sync", "result"):
                self.results.append(_skip(f"{name}_{suffix}", suffix, "no chargingprofiles endpoint"))
            return
        tag = f"{name}-{uuid.uuid4().hex[:8]}"
        callback = self.server.callback_url(tag)
        headers = self.cpo.headers()
        if body is not None:
            body = {**body, "response_url": callback}
            url = self.cpo.profile_url(self.options.session)
        else:
            url = self.cpo.profile_url(self.options.session, response_url=callback, **query)
        sent_at = time.time()
        exchange = await self.cpo.call(method, url, body, headers=headers)
        self.sync.append(exchange)
        answer = exchange.data
        problems = (
            [] if exchange.status == 200 else [f"HTTP {exchange.status} {exchange.error or ''}".strip()]
        )
        problems += model_problems(ChargingProfileResponse, answer)
        timeout = _get(answer, "timeout")
        if isinstance(answer, dict) and (not isinstance(timeout, int) or isinstance(timeout, bool)):
            problems.append(f"timeout {timeout!r} is not an integer number of seconds")
        if isinstance(answer, dict) and answer.get("result") != "ACCEPTED":
            problems.append(f"result {answer.get('result')!r}, not ACCEPTED")
        self._add(
            f"{name}_sync",
            "sync",
            problems,
            f"ACCEPTED, timeout {_get(answer, 'timeout')} s",
            exchange.evidence(),
        )
        if problems:
            self.results.append(_skip(f"{name}_result", "result", "the request was not accepted"))
            return
        waited = await collect(
            self.server, tag, sent_at, int(answer["timeout"]), self.options.timeout_cap, self.options.grace
        )
        self.posts += [(post, headers["X-Correlation-ID"]) for post in waited.posts]
        models: dict[str, type[BaseModel]] = {
            "GET": ActiveChargingProfileResult,
            "DELETE": ClearProfileResult,
        }
        model = models.get(method, ChargingProfileResult)
        problems = []
        if not waited.posts:
            limit = (
                f"the {self.options.timeout_cap:g} s cap"
                if waited.capped
                else f"the announced {answer['timeout']} s"
            )
            problems.append(f"no result POSTed within {limit}")
        elif len(waited.posts) > 1:
            problems.append(f"{len(waited.posts)} results POSTed, exactly one expected")
        for post in waited.posts[:1]:
            if post.at > waited.deadline:
                problems.append(
                    f"the result came {post.at - waited.deadline:.1f} s after the announced timeout"
                )
            problems += model_problems(model, post.body)
            if method == "GET":
                problems += time_problems(post.body)
                profile = post.body.get("profile") if isinstance(post.body, dict) else None
                if isinstance(profile, dict):
                    problems += period_problems(profile.get("charging_profile"))
        evidence = {"response_url": callback, "posts": [{"at": p.at, "body": p.body} for p in waited.posts]}
        ok = f"one {model.__name__} ({_get(waited.posts[0].body, 'result') if waited.posts else ''})"
        self._add(f"{name}_result", "result", problems, ok, evidence)

    def _result_headers(self) -> None:
        if not self.posts:
            self.results.append(_skip("result_headers", "result_headers", "no result was POSTed"))
            return
        us = (self.cpo.us.country_code, self.cpo.us.party_id)
        problems = sorted(
            {p for post, cid in self.posts for p in header_problems(post, cid, self.options.expect_token, us)}
        )
        evidence = {"headers": [dict(post.headers) for post, _ in self.posts[:2]]}
        self._add(
            "result_headers",
            "result_headers",
            problems,
            f"{len(self.posts)} POSTs with the right headers",
            evidence,
        )

    # --- refusals ----------------------------------------------------------------------

    async def _unknown_session(self) -> None:
        body = {
            "charging_profile": _profile("A", PERIODS_A),
            "response_url": self.server.callback_url("unknown"),
        }
        exchange = await self.cpo.call("PUT", self.cpo.profile_url(self.options.unknown_session), body)
        result = _get(exchange.data, "result")
        problems = (
            []
            if result == "UNKNOWN_SESSION"
            else [f"result {result!r} (HTTP {exchange.status}), not UNKNOWN_SESSION"]
        )
        self._add("unknown_session", "unknown_session", problems, "UNKNOWN_SESSION", exchange.evidence())

    async def _malformed(self) -> None:
        raw = (
            '{"charging_profile": {"charging_rate_unit": "X", "charging_profile_period": "none"},'
            ' "response_url": 5}'
        )
        exchange = await self.cpo.call("PUT", self.cpo.profile_url(self.options.session), raw=raw)
        code = _get(exchange.answer, "status_code")
        problems = [] if code == 2001 else [f"status_code {code!r} (HTTP {exchange.status}), not 2001"]
        self._add("malformed_body", "malformed_body", problems, "2001", exchange.evidence())

    async def _tokens(self) -> None:
        body = {
            "charging_profile": _profile("A", PERIODS_A),
            "response_url": self.server.callback_url("token"),
        }
        url = self.cpo.profile_url(self.options.session)
        for name, headers in (
            ("missing_token", self.cpo.headers(token=None)),
            ("wrong_token", self.cpo.headers(token=f"wrong-{uuid.uuid4().hex}")),
        ):
            exchange = await self.cpo.call("PUT", url, body, headers=headers)
            problems = [] if exchange.status == 401 else [f"HTTP {exchange.status}, not 401"]
            self._add(name, "token", problems, "HTTP 401", exchange.evidence())

    # --- over every answer -------------------------------------------------------------

    def _envelope(self) -> None:
        judged = [e for e in self.cpo.exchanges if e.status is not None and e.status != 401]
        problems = sorted(
            {f"{e.method} {e.url.split('?')[0]}: {p}" for e in judged for p in envelope_problems(e.answer)}
        )
        ok = f"{len(judged)} answers with status_code and a Z timestamp"
        self._add("envelope", "envelope", problems, ok, {"answers": len(judged)})

    def _latency(self) -> None:
        seconds = [e.seconds for e in self.sync]
        if not seconds:
            self.results.append(_skip("sync_latency", "latency", "no synchronous answer to time"))
            return
        worst = max(seconds)
        verdict = Verdict.WARN if worst > SLOW_SECONDS else Verdict.PASS
        message = f"slowest {worst * 1000:.0f} ms, mean {sum(seconds) / len(seconds) * 1000:.0f} ms"
        if verdict is Verdict.WARN:
            message += f" (above {SLOW_SECONDS:g} s)"
        self.results.append(
            CheckResult("sync_latency", SECTIONS["latency"], verdict, message, True, {"seconds": seconds})
        )

    # --- optional ----------------------------------------------------------------------

    async def _idempotency(self) -> None:
        tag = f"idem-{uuid.uuid4().hex[:8]}"
        body = {"charging_profile": _profile("A", PERIODS_A), "response_url": self.server.callback_url(tag)}
        headers = self.cpo.headers()
        url = self.cpo.profile_url(self.options.session)
        first = await self.cpo.call("PUT", url, body, headers=headers)
        second = await self.cpo.call("PUT", url, body, headers=headers)
        problems = [] if first.data == second.data else ["the repeated request got another answer"]
        if _get(first.data, "result") == "ACCEPTED":
            waited = await collect(
                self.server,
                tag,
                time.time(),
                int(first.data["timeout"]),
                self.options.timeout_cap,
                self.options.grace,
            )
            if len(waited.posts) != 1:
                problems.append(f"{len(waited.posts)} results for one request sent twice")
        self._add(
            "idempotency",
            "idempotency",
            problems,
            "one answer, one result",
            [first.evidence(), second.evidence()],
            False,
        )

    async def _too_often(self) -> None:
        url = self.cpo.profile_url(self.options.session)
        body = {
            "charging_profile": _profile("A", PERIODS_A),
            "response_url": self.server.callback_url("burst"),
        }
        answers = await asyncio.gather(*(self.cpo.call("PUT", url, body) for _ in range(BURST)))
        results = [_get(a.data, "result") for a in answers]
        problems = [] if "TOO_OFTEN" in results else [f"{BURST} PUTs at once, none answered TOO_OFTEN"]
        self._add("too_often", "too_often", problems, "TOO_OFTEN on a burst", {"results": results}, False)

    async def _handshake(self) -> None:
        if not self.options.token_a:
            self.results.append(
                _skip("credentials_handshake", "credentials", "needs --token-a", required=False)
            )
            return
        try:
            credentials = await self.server.credentials.register_with(
                self.options.versions_url, self.options.token_a
            )
        except (RuntimeError, ValueError, KeyError) as exc:
            self._add("credentials_handshake", "credentials", [str(exc)], "", {}, False)
            return
        problems = model_problems_credentials(credentials)
        await self.server.credentials.unregister_with()
        self._add("credentials_handshake", "credentials", problems, "registered, then unregistered",
                  {"roles": credentials.get("roles")}, False)  # fmt: skip


def model_problems_credentials(credentials: Any) -> list[str]:
    """OCPI 7.3.1: a Credentials object with a token, a versions URL and at least one role."""
    if not isinstance(credentials, dict):
        return ["the answer carries no Credentials object"]
    missing = [k for k in ("token", "url", "roles") if not credentials.get(k)]
    return [f"Credentials without {', '.join(missing)}"] if missing else []


def _profile(unit: str, periods: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"charging_rate_unit": unit, "charging_profile_period": periods, **extra}


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _skip(name: str, section: str, why: str, required: bool = True) -> CheckResult:
    return CheckResult(name, SECTIONS.get(section, ""), Verdict.SKIP, why, required=required)
