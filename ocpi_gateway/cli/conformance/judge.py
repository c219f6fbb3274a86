"""Pure judgements: is this answer, this result object, this callback's headers what OCPI asks?

Each function returns the list of problems found (empty: it holds), so a check's message can
name every one of them, and the tests can hold each rule to the fault it is about.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from ocpi_gateway.cli.mockscsp import Received
from ocpi_gateway.models.ocpi import describe_validation_error
from ocpi_gateway.partners.parties import token_candidates

# OCPI 2.2.1 section 16.2 (DateTime): UTC, with a "Z"; "+00:00" is not OCPI.
OCPI_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
ROUTING = ("OCPI-from-country-code", "OCPI-from-party-id", "OCPI-to-country-code", "OCPI-to-party-id")


def envelope_problems(answer: Any) -> list[str]:
    """OCPI 4.1.7 response format: an object with an integer ``status_code`` and a UTC ``timestamp``."""
    if not isinstance(answer, dict):
        return ["the answer is not an OCPI envelope (a JSON object)"]
    problems = []
    if not isinstance(answer.get("status_code"), int):
        problems.append("status_code missing or not an integer")
    stamp = answer.get("timestamp")
    if not isinstance(stamp, str) or not OCPI_TIME.match(stamp):
        problems.append(f"timestamp {stamp!r} is not an OCPI UTC DateTime ending in Z")
    return problems


def model_problems(model: type[BaseModel], value: Any) -> list[str]:
    """``value`` against one of the gateway's strict OCPI models (field names in the message)."""
    try:
        model.model_validate(value)
    except ValidationError as exc:
        return [describe_validation_error(exc)]
    return []


def times_in(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every ``*date_time`` / ``timestamp`` string inside ``value``, with where it was."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if isinstance(item, str) and (key.endswith("date_time") or key == "timestamp"):
                found.append((where, item))
            else:
                found.extend(times_in(item, where))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(times_in(item, f"{path}[{index}]"))
    return found


def time_problems(value: Any) -> list[str]:
    """Timestamps that are not UTC with a ``Z`` (``+00:00`` included)."""
    return [
        f"{where} {text!r} is not UTC with Z" for where, text in times_in(value) if not OCPI_TIME.match(text)
    ]


def period_problems(profile: Any) -> list[str]:
    """OCPI 14.4.2: periods start at 0 and ascend."""
    periods = profile.get("charging_profile_period") if isinstance(profile, dict) else None
    if not isinstance(periods, list) or not periods:
        return ["charging_profile_period missing or empty"]
    starts = [p.get("start_period") if isinstance(p, dict) else None for p in periods]
    if starts[0] != 0:
        return [f"the first period starts at {starts[0]!r}, not 0"]
    if any(not isinstance(a, int) or not isinstance(b, int) or b <= a for a, b in itertools.pairwise(starts)):
        return [f"start_period values {starts} do not ascend"]
    return []


def header_problems(
    post: Received, correlation_id: str, expect_token: str | None, us: tuple[str, str]
) -> list[str]:
    """OCPI 4.1.1–4.1.4 on a result POST: token, request and correlation ids, routing headers."""
    problems = []
    header = post.headers.get("Authorization")
    candidates = token_candidates(header)
    if not header or not header.startswith("Token ") or not candidates:
        problems.append("no Authorization: Token … header")
    elif expect_token is not None and expect_token not in candidates:
        problems.append("Authorization carries another token than --expect-token")
    if not post.headers.get("X-Request-ID"):
        problems.append("X-Request-ID missing")
    if post.headers.get("X-Correlation-ID") != correlation_id:
        problems.append(f"X-Correlation-ID is {post.headers.get('X-Correlation-ID')!r}, not the one sent")
    missing = [name for name in ROUTING if not post.headers.get(name)]
    if missing:
        problems.append(f"routing headers missing: {', '.join(missing)}")
    elif (post.headers["OCPI-to-country-code"].upper(), post.headers["OCPI-to-party-id"].upper()) != us:
        problems.append("OCPI-to-* do not name us (the SCSP)")
    return problems
