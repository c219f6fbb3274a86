"""The OCPP-J wire form of an ``ocpp`` call dataclass, exactly as the package would send it.

The package turns a call dataclass into JSON with ``asdict`` (a deep copy), a long chain of
``str.replace`` per key, and a second walk to drop ``None``: about 0.1 ms for a
SetChargingProfile, on every flow. :func:`to_wire` gives the same dict in one walk and
converts each key once per process (the package's own key rules, cached). The gateway's
calls (``stations.central``), the CSMS REST driver and the ``translate`` dry run all use it;
``tests/translate/test_wire.py`` holds it against the package's :func:`package_wire`, and
the translate property tests check its output against the OCPP JSON schemas.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from decimal import Decimal
from typing import Any, cast

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case

CALL = 2


def action_of(payload: Any) -> str:
    """The OCPP action name of a call dataclass (its class name, as the package uses it)."""
    return type(payload).__name__


@functools.lru_cache(maxsize=4096)
def camel_key(key: str) -> str:
    """The package's camelCase for one snake_case key (its special cases included)."""
    converted: dict[str, Any] = snake_to_camel_case({key: None})
    return next(iter(converted))


@functools.lru_cache(maxsize=1024)
def _fields(cls: type) -> tuple[tuple[str, str], ...]:
    return tuple((field.name, camel_key(field.name)) for field in dataclasses.fields(cls))


_SCALARS = (str, int, float, bool, Decimal)


_DATACLASS_TYPES: dict[type, bool] = {}


def _is_dataclass_type(cls: type) -> bool:
    known = _DATACLASS_TYPES.get(cls)
    if known is None:
        known = _DATACLASS_TYPES[cls] = dataclasses.is_dataclass(cls)
    return known


def _wire(value: Any) -> Any:
    # Scalars first: most values are, and asking an Enum class whether it is a dataclass goes
    # through EnumType.__getattr__'s slow miss (a str Enum is a ``str`` and returns here).
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        return {camel_key(k): _wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_wire(v) for v in value if v is not None]
    cls: type = type(value)
    if not isinstance(value, type) and _is_dataclass_type(cls):
        return {
            camel: _wire(item) for name, camel in _fields(cls) if (item := getattr(value, name)) is not None
        }
    return value


def to_wire(payload: Any) -> dict[str, Any]:
    """camelCase JSON-ready dict without null fields."""
    return cast(dict[str, Any], _wire(payload))


def package_wire(payload: Any) -> dict[str, Any]:
    """The same through the package's own functions (what :func:`to_wire` must equal)."""
    return cast(dict[str, Any], remove_nones(snake_to_camel_case(serialize_as_dict(payload))))


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_call(unique_id: str, payload: Any) -> str:
    """The CALL frame ``[2, id, action, payload]`` as compact JSON."""
    frame = [CALL, unique_id, action_of(payload), to_wire(payload)]
    return json.dumps(frame, separators=(",", ":"), default=_default)
