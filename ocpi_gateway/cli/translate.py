"""``ocpi-gateway translate``: a dry run showing the exact OCPP call an OCPI profile becomes.

Integrators use it to see, without a station, what unit conversion, rounding, profile
kind and period checks the gateway will apply for a given station capability.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from pydantic import ValidationError

from ocpi_gateway.domain import Capabilities, Electrical, OcppVersion
from ocpi_gateway.errors import InvalidParameters, NotSupportedByStation, TranslationError
from ocpi_gateway.models.ocpi import ChargingProfile, describe_validation_error
from ocpi_gateway.translate.profiles import ProfileTarget, to_set_charging_profile
from ocpi_gateway.translate.wire import action_of, to_wire


def translate_command(text: str, args: argparse.Namespace) -> dict[str, Any]:
    """Parse, validate and translate; the answer is printable JSON either way.

    Raises:
        InvalidParameters: the input is not JSON or not a valid OCPI ChargingProfile.
    """
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidParameters(f"profile: not JSON ({exc.msg})") from None
    prefix = ""
    if isinstance(raw, dict) and "charging_profile" in raw:
        raw, prefix = raw["charging_profile"], "charging_profile"
    try:
        profile = ChargingProfile.model_validate(raw)
    except ValidationError as exc:
        raise InvalidParameters(describe_validation_error(exc, prefix)) from None
    units = frozenset(u.strip().upper() for u in args.units.split(",") if u.strip())
    target = ProfileTarget(
        connector_id=args.connector,
        transaction_id=str(args.transaction_id),
        profile_id=args.profile_id,
        stack_level=args.stack_level,
        capabilities=Capabilities(
            allowed_units=units,
            max_periods=args.max_periods,
            max_stack_level=args.max_stack_level,
            reported=True,
        ),
        electrical=Electrical(voltage=args.voltage, phases=args.phases),
    )
    version = OcppVersion(args.protocol)
    try:
        payload = to_set_charging_profile(version, profile, target)
    except NotSupportedByStation as exc:
        return {"result": "NOT_SUPPORTED", "reason": exc.reason}
    except TranslationError as exc:
        return {"result": "REJECTED", "reason": exc.reason}
    action = action_of(payload)
    body = to_wire(payload)
    return {
        "protocol": version.value,
        "action": action,
        "payload": body,
        "frame": [2, "dry-run", action, body],
    }
