"""Session ownership: a partner steers only the sessions its policy gives it; refusals reach no station."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ocpi_gateway.backend.parties import OwnershipPolicy, PartyRecord, SteerPolicy
from ocpi_gateway.cli.mockscsp import MockScsp
from ocpi_gateway.config import TokenOwnerSettings
from ocpi_gateway.domain import OcppVersion, Session
from ocpi_gateway.partners.ownership import emsp_for_id_tag, may_steer
from tests.conftest import GATEWAY_TOKEN, SCSP_TOKEN, Gateway, GatewayFactory, StationFactory
from tests.credentials.conftest import admin, invite, versions_url, wait_session
from tests.e2e.helpers import PROFILE_A, put_profile

OWNERS = (
    TokenOwnerSettings(id_tag_prefix="NLJDX", emsp="NL*JDX"),
    TokenOwnerSettings(id_tag_prefix="NLJDX9", emsp="NL*NIN"),
)


def party(steer: SteerPolicy = "all", emsps: tuple[str, ...] = ()) -> PartyRecord:
    return PartyRecord(country_code="NL", party_id="SCS", ownership=OwnershipPolicy(steer=steer, emsps=emsps))


def session(owner: str | None = None, emsp: str | None = None, id_tag: str | None = None) -> Session:
    return Session(
        session_id="S-1",
        station_id="CS-1",
        transaction_id="1",
        ocpp_version=OcppVersion.V16,
        started_at=datetime(2024, 5, 1, tzinfo=UTC),
        owner=owner,
        emsp=emsp,
        id_tag=id_tag,
    )


class TestPolicy:
    @pytest.mark.parametrize(
        ("policy", "the_session", "allowed"),
        [
            (party("all"), session(), True),
            (party("all"), session(owner="DE*OTH"), False),
            (party("all"), session(owner="nl*scs"), True),
            (party("registered"), session(), False),
            (party("registered"), session(owner="NL*SCS"), True),
            (party("emsps", ("NL*JDX",)), session(emsp="NL*JDX"), True),
            (party("emsps", ("NL*JDX",)), session(emsp="DE*XYZ"), False),
            (party("emsps", ("NL*JDX",)), session(), False),
            (party("emsps", ("NL*JDX",)), session(id_tag="nljdx-0042"), True),
            (party("emsps", ("NL*JDX",)), session(id_tag="NLJDX9-1"), False),
        ],
        ids=[
            "all",
            "all-but-owned-by-other",
            "all-owned-by-us",
            "registered-unowned",
            "registered-ours",
            "emsps-match",
            "emsps-other",
            "emsps-unknown-emsp",
            "emsps-from-id-tag",
            "emsps-longer-prefix-wins",
        ],
    )
    def test_may_steer(self, policy: PartyRecord, the_session: Session, allowed: bool) -> None:
        """The decision table of ``may_steer`` for each policy and session."""
        assert may_steer(policy, the_session, OWNERS) is allowed

    def test_id_tag_owner_longest_prefix(self) -> None:
        """The longest matching id-tag prefix names the eMSP; no match gives None."""
        assert emsp_for_id_tag("NLJDX9-7", OWNERS) == "NL*NIN"
        assert emsp_for_id_tag("NLJDX1", OWNERS) == "NL*JDX"
        assert emsp_for_id_tag("XX", OWNERS) is None


def scs(**extra: Any) -> dict[str, Any]:
    """The test SCSP (NL*SCS) with an ownership policy."""
    return {
        "country_code": "NL",
        "party_id": "SCS",
        "token": SCSP_TOKEN,
        "their_token": GATEWAY_TOKEN,
        "response_url_hosts": ["127.0.0.1"],
        "allow_private_callbacks": True,
        **extra,
    }


class TestRefusalsEndToEnd:
    async def test_registered_policy_rejects_unregistered_session(
        self, gateway_factory: GatewayFactory, station_factory: StationFactory
    ) -> None:
        """steer = "registered": a session not registered for the partner: REJECTED, station not called."""
        gateway = await gateway_factory(ocpi={"parties": [scs(steer="registered")]})
        station = await station_factory(gateway)
        session_id = await station.start_transaction(connector_id=1)
        await wait_session(gateway, session_id)
        answer = await put_profile(
            gateway.base_url, SCSP_TOKEN, session_id, PROFILE_A, "http://127.0.0.1:1/r"
        )
        assert answer.json()["data"] == {"result": "REJECTED", "timeout": 0}
        assert [a for a, _ in station.received if a == "SetChargingProfile"] == []

    async def test_session_registered_for_another_partner_is_rejected(
        self, gateway_factory: GatewayFactory, station_factory: StationFactory
    ) -> None:
        """A session registered with ``owner`` DE*OTH is REJECTED for NL*SCS even under steer = "all"."""
        gateway = await gateway_factory()
        station = await station_factory(gateway)
        body = {"station_id": "CS-1", "connector_id": 1, "transaction_id": "77", "owner": "DE*OTH"}
        assert (await admin(gateway, "PUT", "/admin/sessions/EXT-1", body)).status_code == 201
        answer = await put_profile(gateway.base_url, SCSP_TOKEN, "EXT-1", PROFILE_A, "http://127.0.0.1:1/r")
        assert answer.json()["data"]["result"] == "REJECTED"
        assert [a for a, _ in station.received if a == "SetChargingProfile"] == []

    async def test_emsp_policy_follows_id_tag_owners(
        self, gateway_factory: GatewayFactory, station_factory: StationFactory, mock_scsp: MockScsp
    ) -> None:
        """steer = "emsps": a JDX token's session is ACCEPTED, another eMSP's is REJECTED and not sent on."""
        gateway = await gateway_factory(
            ocpi={
                "parties": [scs(steer="emsps", emsps=["NL*JDX"])],
                "token_owners": [{"id_tag_prefix": "NLJDX", "emsp": "NL*JDX"}],
            }
        )
        ours = await station_factory(gateway, "CS-OURS")
        theirs = await station_factory(gateway, "CS-THEIRS")
        ours_id = await ours.start_transaction(connector_id=1, id_tag="NLJDX0001")
        theirs_id = await theirs.start_transaction(connector_id=1, id_tag="DEABC0001")
        await wait_session(gateway, ours_id)
        await wait_session(gateway, theirs_id)
        url = mock_scsp.result_url("ours")
        accepted = await put_profile(gateway.base_url, SCSP_TOKEN, ours_id, PROFILE_A, url)
        refused = await put_profile(
            gateway.base_url, SCSP_TOKEN, theirs_id, PROFILE_A, "http://127.0.0.1:1/r"
        )
        assert accepted.json()["data"]["result"] == "ACCEPTED"
        assert refused.json()["data"]["result"] == "REJECTED"
        await ours.wait_for_call("SetChargingProfile")
        await mock_scsp.wait_for(lambda r: r.path == "/results/ours")
        assert [a for a, _ in theirs.received if a == "SetChargingProfile"] == []

    async def test_admin_registration_records_emsp(self, gateway_factory: GatewayFactory) -> None:
        """``PUT /admin/sessions/{id}`` takes an optional ``emsp`` and shows it back."""
        gateway = await gateway_factory()
        body = {"station_id": "CS-9", "connector_id": 1, "transaction_id": "9", "emsp": "nl*jdx"}
        response = await admin(gateway, "PUT", "/admin/sessions/EXT-9", body)
        assert response.json()["emsp"] == "NL*JDX"


class TestPolicyFromAdmin:
    async def test_patch_changes_a_registered_partners_policy(
        self, gateway: Gateway, jedlix: MockScsp, station_factory: StationFactory
    ) -> None:
        """``PATCH /admin/parties/{key}`` to steer = "registered" makes that partner's next PUT REJECTED."""
        ours = await jedlix.credentials.register_with(versions_url(gateway), await invite(gateway))
        patched = await admin(gateway, "PATCH", "/admin/parties/NL*JDX", {"steer": "registered"})
        assert patched.json()["steer"] == "registered"
        station = await station_factory(gateway)
        session_id = await station.start_transaction(connector_id=1)
        await wait_session(gateway, session_id)
        answer = await put_profile(
            gateway.base_url, ours["token"], session_id, PROFILE_A, jedlix.result_url()
        )
        assert answer.json()["data"]["result"] == "REJECTED"
        assert [a for a, _ in station.received if a == "SetChargingProfile"] == []

    async def test_patch_unknown_partner_is_404(self, gateway: Gateway) -> None:
        """PATCH on a partner nobody registered: 404."""
        response = await admin(gateway, "PATCH", "/admin/parties/XX*NOP", {"steer": "all"})
        assert response.status_code == 404
