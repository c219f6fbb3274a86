"""The OCPP-J envelope reader: each broken frame gets the answer OCPP-J names (responses: none)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_gateway.stations.direct.frames import BadFrame, Frame, read_frame


def answer_of(raw: str, version: str) -> list[object] | None:
    verdict = read_frame(raw, version)
    assert isinstance(verdict, BadFrame)
    return None if verdict.answer is None else json.loads(verdict.answer)


@pytest.mark.parametrize(
    ("raw", "v16", "v201"),
    [
        ("not json", ["-1", "ProtocolError"], ["-1", "RpcFrameworkError"]),
        ("{}", ["-1", "ProtocolError"], ["-1", "RpcFrameworkError"]),
        ("[]", ["-1", "ProtocolError"], ["-1", "RpcFrameworkError"]),
        ('[true, "a"]', ["-1", "ProtocolError"], ["-1", "RpcFrameworkError"]),
        ("[2]", ["-1", "ProtocolError"], ["-1", "RpcFrameworkError"]),
        ('[2, 17, "Heartbeat", {}]', ["-1", "ProtocolError"], ["-1", "RpcFrameworkError"]),
        (json.dumps([2, "x" * 37, "Heartbeat", {}]), ["-1", "ProtocolError"], ["-1", "RpcFrameworkError"]),
        ('[9, "m1"]', ["m1", "ProtocolError"], ["m1", "MessageTypeNotSupported"]),
        ('[2, "c1", ["Heartbeat"], {}]', ["c1", "FormationViolation"], ["c1", "RpcFrameworkError"]),
        ('[2, "c2", "Heartbeat"]', ["c2", "FormationViolation"], ["c2", "RpcFrameworkError"]),
        ('[2, "c3", "Heartbeat", []]', ["c3", "FormationViolation"], ["c3", "FormatViolation"]),
        ('[3, "r1"]', None, None),
        ('[3, "r2", []]', None, None),
        ('[4, "e1", "GenericError"]', None, None),
        ("[" * 100_000 + "]" * 100_000, ["-1", "ProtocolError"], ["-1", "RpcFrameworkError"]),
        ("[2, " + "9" * 5000 + "]", ["-1", "ProtocolError"], ["-1", "RpcFrameworkError"]),
    ],
    ids=[
        "not-json",
        "object",
        "empty-array",
        "bool-type",
        "no-id",
        "numeric-id",
        "id-too-long",
        "unknown-type",
        "action-not-text",
        "call-too-short",
        "payload-not-object",
        "result-too-short",
        "result-payload-not-object",
        "error-too-short",
        "deep-nesting",
        "huge-number",
    ],
)
def test_broken_frames_get_the_named_answer(raw: str, v16: list[str] | None, v201: list[str] | None) -> None:
    """Every broken CALL or non-message is answered (id "-1" when none can be read); responses never are."""
    for version, expected in (("1.6", v16), ("2.0.1", v201)):
        answer = answer_of(raw, version)
        if expected is None:
            assert answer is None, version
        else:
            assert answer is not None, version
            assert [answer[0], *answer[1:3]] == [4, *expected], version
            assert answer[4] == {}


def test_well_formed_frames_are_read() -> None:
    """A CALL, CALLRESULT and CALLERROR come back with their parts."""
    assert read_frame('[2, "c", "Heartbeat", {}]', "1.6") == Frame(2, "c", action="Heartbeat", payload={})
    assert read_frame('[3, "r", {"a": 1}]', "2.0.1") == Frame(3, "r", payload={"a": 1})
    assert read_frame('[4, "e", "GenericError", "d", {}]', "1.6") == Frame(
        4, "e", error=("GenericError", "d", {})
    )


@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_never_raises_on_any_text(raw: str) -> None:
    """Whatever text arrives, the reader returns a verdict instead of raising."""
    for version in ("1.6", "2.0.1"):
        assert isinstance(read_frame(raw, version), Frame | BadFrame)
