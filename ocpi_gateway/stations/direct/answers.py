"""The schema check of a station's CALLRESULT, with the verdicts on answers seen before kept.

A station answers a SetChargingProfile or ClearChargingProfile with the same few payloads
(``{"status": "Accepted"}`` and its like) thousands of times, and the ``ocpp`` package's
check (``jsonschema``, walking ``$ref`` through ``referencing``) costs 11 to 20 µs each time,
about 2% of a flow's CPU (``python -m bench.micro``); a kept verdict costs 3 µs. The check is a pure
function of the OCPP version, the action and the payload, so an answer equal to one that
passed before passes again: that verdict is kept, and only that one. A failing answer is
checked every time, so its error is always the package's own.

Equal means equal as JSON with its types: the key is the payload written with sorted keys, so
``1`` and ``1.0`` (the draft-4 schemas tell integers from numbers) and ``true`` and ``1`` stay
apart. The memory is bounded in entries and in key size, so a station sending endless distinct
payloads costs a full check each, never memory. The one answer the package rewrites while
checking it (OCPP 1.6 GetCompositeSchedule, re-read with ``Decimal`` limits) is always checked.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from ocpp.messages import CallResult, validate_payload

MAX_ENTRIES = 256
MAX_KEY_CHARS = 512
# (version, action) whose check rewrites the payload: a kept verdict would skip the rewrite.
_REWRITTEN = frozenset({("1.6", "GetCompositeSchedule")})


class CheckedAnswers:
    """Verdicts of the package's CALLRESULT schema check, kept for payloads that passed."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_key_chars: int = MAX_KEY_CHARS) -> None:
        self._passed: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._max_entries = max_entries
        self._max_key_chars = max_key_chars

    def __len__(self) -> int:
        return len(self._passed)

    async def check(self, result: CallResult, version: str) -> None:
        """Check ``result`` as ``ocpp.messages.validate_payload`` does.

        Raises:
            OCPPError: the package's error for an answer that breaks its schema.
        """
        key = self._key(result, version)
        if key is not None and key in self._passed:
            self._passed.move_to_end(key)
            return
        await validate_payload(result, version)
        if key is not None:
            self._passed[key] = None
            if len(self._passed) > self._max_entries:
                self._passed.popitem(last=False)

    def _key(self, result: CallResult, version: str) -> tuple[str, str, str] | None:
        if (version, result.action) in _REWRITTEN:
            return None
        payload: Any = result.payload
        try:
            text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            return None
        if len(text) > self._max_key_chars:
            return None
        return version, result.action, text


checked_answers = CheckedAnswers()
"""One memory for every connection: stations of a fleet answer alike."""
