"""The OCPI envelope shape and its timestamp format."""

from __future__ import annotations

import json
import re

from ocpi_gateway.web.envelope import envelope, json_response

OCPI_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class TestEnvelope:
    def test_timestamp_is_utc_with_z_and_no_fraction(self) -> None:
        """The timestamp is ``YYYY-MM-DDTHH:MM:SSZ``, never ``+00:00`` or microseconds."""
        assert OCPI_TIMESTAMP.fullmatch(envelope()["timestamp"])

    def test_data_and_message_are_omitted_when_none(self) -> None:
        """Without data or message only status_code and timestamp are sent (OCPI d2: omit)."""
        assert set(envelope()) == {"status_code", "timestamp"}

    def test_carries_data_code_and_message(self) -> None:
        """Given data, code and message, all three appear as given."""
        body = envelope({"result": "ACCEPTED"}, status_code=1000, status_message="Success")
        assert (body["data"], body["status_code"], body["status_message"]) == (
            {"result": "ACCEPTED"},
            1000,
            "Success",
        )

    def test_json_response_is_application_json_with_status(self) -> None:
        """The helper answers application/json with the requested HTTP status and the envelope."""
        response = json_response(status_code=2001, status_message="bad", http_status=400)
        assert response.status == 400
        assert response.content_type == "application/json"
        assert response.text is not None
        assert json.loads(response.text)["status_code"] == 2001
