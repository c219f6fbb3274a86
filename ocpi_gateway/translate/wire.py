"""The OCPP-J wire form of an ``ocpp`` call dataclass, exactly as the package would send it.

Used by the ``translate`` dry run and by tests that compare payloads with the OCPP JSON
schemas; it reuses the package's own serialisation so what we print is what goes out.
"""

from __future__ import annotations

from typing import Any, cast

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case


def action_of(payload: Any) -> str:
    """The OCPP action name of a call dataclass (its class name, as the package uses it)."""
    return type(payload).__name__


def to_wire(payload: Any) -> dict[str, Any]:
    """camelCase JSON-ready dict without null fields."""
    return cast(dict[str, Any], remove_nones(snake_to_camel_case(serialize_as_dict(payload))))
