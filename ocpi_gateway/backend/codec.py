"""JSON forms of the domain dataclasses the Redis backend stores (sessions and jobs are pydantic)."""

from __future__ import annotations

import json
from datetime import datetime

from ocpi_gateway.domain import Capabilities, OcppVersion, StationInfo


def station_info_to_json(info: StationInfo) -> str:
    caps = info.capabilities
    return json.dumps(
        {
            "station_id": info.station_id,
            "protocol": info.protocol.value,
            "node": info.node,
            "connected_at": info.connected_at.isoformat(),
            "capabilities": {
                "allowed_units": sorted(caps.allowed_units),
                "max_stack_level": caps.max_stack_level,
                "max_periods": caps.max_periods,
                "max_profiles": caps.max_profiles,
                "smart_charging": caps.smart_charging,
                "reported": caps.reported,
            },
            "vendor": info.vendor,
            "model": info.model,
        }
    )


def station_info_from_json(text: str) -> StationInfo:
    raw = json.loads(text)
    caps = raw["capabilities"]
    return StationInfo(
        station_id=raw["station_id"],
        protocol=OcppVersion(raw["protocol"]),
        node=raw["node"],
        connected_at=datetime.fromisoformat(raw["connected_at"]),
        capabilities=Capabilities(
            allowed_units=frozenset(caps["allowed_units"]),
            max_stack_level=caps["max_stack_level"],
            max_periods=caps["max_periods"],
            max_profiles=caps["max_profiles"],
            smart_charging=caps["smart_charging"],
            reported=caps["reported"],
        ),
        vendor=raw.get("vendor"),
        model=raw.get("model"),
    )
