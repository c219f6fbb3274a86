"""The synchronous half of a ChargingProfiles request: decide the answer, store the job.

Views parse HTTP and call one method here; the answer is ACCEPTED only after the job is
stored in the backend. Knows OCPI and the translation's dry run, never a socket.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocpi_gateway.ocpi.models import ChargingProfileResponse, SetChargingProfile
from ocpi_gateway.parties import Party


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Ids that travel with one OCPI request into its job, logs and callback."""

    request_id: str
    correlation_id: str


class Steering:
    """PUT / GET / DELETE use cases of the ChargingProfiles Receiver interface."""

    async def set_profile(
        self, party: Party, session_id: str, request: SetChargingProfile, ctx: RequestContext
    ) -> ChargingProfileResponse:
        """PUT: UNKNOWN_SESSION, REJECTED, NOT_SUPPORTED, or ACCEPTED once the job is stored.

        Raises:
            BackendUnavailable: the job could not be stored.
        """
        raise NotImplementedError

    async def get_profile(
        self, party: Party, session_id: str, duration: int, response_url: str, ctx: RequestContext
    ) -> ChargingProfileResponse:
        """GET: ask the station for its composite schedule over ``duration`` seconds."""
        raise NotImplementedError

    async def clear_profile(
        self, party: Party, session_id: str, response_url: str, ctx: RequestContext
    ) -> ChargingProfileResponse:
        """DELETE: clear the gateway's profile for the session."""
        raise NotImplementedError
