"""What a check produces: a verdict, one line, and trimmed evidence without secrets.

Kept apart from the checks so the reports and the tests read results without running anything.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

MAX_EVIDENCE_CHARS = 2000
REDACTED = "[redacted]"


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105  # a verdict, not a password
    FAIL = "fail"
    WARN = "warn"  # informative: reported, never failing the run (e.g. a slow answer)
    SKIP = "skip"  # could not run (an earlier step failed) or not asked for


@dataclass(slots=True)
class CheckResult:
    """One check's outcome: its stable ``name``, the OCPI section it comes from, the verdict."""

    name: str
    section: str
    verdict: Verdict
    message: str
    required: bool = True
    evidence: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.required and self.verdict is Verdict.FAIL


def trim(value: Any, limit: int = MAX_EVIDENCE_CHARS) -> Any:
    """Evidence small enough to read: long JSON is cut, with a mark saying so."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) <= limit:
        return value
    return text[:limit] + f"… ({len(text) - limit} more characters)"


def redact(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` without secrets: every ``Authorization`` header value, and each secret (raw or in
    Base64, the two forms a token travels in) wherever else it appears, recursively."""
    forms = [f for secret in secrets if secret for f in (secret, base64.b64encode(secret.encode()).decode())]
    return _redact(value, tuple(forms))


def _redact(value: Any, forms: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for form in forms:
            value = value.replace(form, REDACTED)
        return value
    if isinstance(value, dict):
        return {
            k: f"Token {REDACTED}" if str(k).lower() == "authorization" and v else _redact(v, forms)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v, forms) for v in value]
    return value
