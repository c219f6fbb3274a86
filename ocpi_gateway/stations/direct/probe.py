"""Read a newly connected station's smart-charging capabilities over its link.

1.6 asks ``GetConfiguration`` for the capability keys, 2.0.1 asks ``GetVariables`` on
SmartChargingCtrlr; the answers are parsed by the pure
:mod:`ocpi_gateway.translate.capabilities`. A CALLERROR answer means "nothing reported"
(the defaults stay); silence or a drop surfaces as the link's StationError.
"""

from __future__ import annotations

from ocpp.v16 import call as v16_call
from ocpp.v201 import call as v201_call

from ocpi_gateway.domain import Capabilities, OcppVersion
from ocpi_gateway.errors import StationCallError
from ocpi_gateway.stations.driver import StationLink
from ocpi_gateway.translate.capabilities import (
    capabilities_from_v16,
    capabilities_from_v201,
    v16_capability_keys,
    v201_capability_request,
)


async def read_capabilities(link: StationLink, call_timeout: float) -> Capabilities:
    """Ask the station what it supports; default Capabilities when it answers CALLERROR.

    Raises:
        StationTimeout: no answer within ``call_timeout``.
        StationDisconnected / StationOffline: the link dropped.
    """
    try:
        if link.protocol is OcppVersion.V16:
            conf = await link.call(v16_call.GetConfiguration(key=v16_capability_keys()), timeout=call_timeout)
            return capabilities_from_v16(conf.configuration_key, conf.unknown_key)
        result = await link.call(
            v201_call.GetVariables(get_variable_data=v201_capability_request()), timeout=call_timeout
        )
        return capabilities_from_v201(result.get_variable_result)
    except StationCallError:
        return Capabilities()
