"""Session ownership: may this partner steer this session?

OCPI lets a token owner set profiles on its tokens' sessions and lets the CPO refuse
parties it has no contract for. OCPP only tells the gateway an id tag, so who "owns" a
session comes from three documented places:

* ``Session.owner``: the partner a session was registered for (``PUT /admin/sessions/{id}``
  with ``owner``). Such a session can be steered by that partner only, whatever the policies.
* ``Session.emsp``: the eMSP (``CC*PID``) of the session's token, given at registration
  (``emsp``) or derived when the session starts from ``[[ocpi.token_owners]]``
  (``id_tag_prefix`` -> ``emsp``; the longest matching prefix wins).
* the partner's policy (:class:`~ocpi_gateway.backend.parties.OwnershipPolicy`): ``all`` sessions,
  only sessions of given ``emsps``, or only sessions ``registered`` for the partner.

Pure functions: no I/O, so steering can ask synchronously.
"""

from __future__ import annotations

from collections.abc import Sequence

from ocpi_gateway.backend.parties import PartyRecord
from ocpi_gateway.config import TokenOwnerSettings
from ocpi_gateway.domain import Session


def emsp_for_id_tag(id_tag: str | None, token_owners: Sequence[TokenOwnerSettings]) -> str | None:
    """The eMSP (``CC*PID``, upper-cased) whose configured id-tag prefix ``id_tag`` starts with.

    Prefixes compare case-insensitively (OCPI token uids are CiStrings); the longest wins, so
    ``NLJDX`` and ``NLJDX9`` can name different eMSPs.
    """
    if not id_tag:
        return None
    tag = id_tag.upper()
    best: TokenOwnerSettings | None = None
    for owner in token_owners:
        prefix = owner.id_tag_prefix.upper()
        if tag.startswith(prefix) and (best is None or len(prefix) > len(best.id_tag_prefix)):
            best = owner
    return best.emsp.upper() if best is not None else None


def session_emsp(session: Session, token_owners: Sequence[TokenOwnerSettings] = ()) -> str | None:
    """The session's eMSP: stored on the session, else derived from its id tag now.

    Deriving again covers sessions whose id tag arrived after they started (OCPP 2.0.1 may
    send the idToken in a later TransactionEvent).
    """
    if session.emsp:
        return session.emsp.upper()
    return emsp_for_id_tag(session.id_tag, token_owners)


def may_steer(party: PartyRecord, session: Session, token_owners: Sequence[TokenOwnerSettings] = ()) -> bool:
    """True when ``party`` may set, read or clear profiles on ``session``.

    Args:
        party: the authenticated partner making the request.
        session: the (active) session it asks about.
        token_owners: ``[[ocpi.token_owners]]``, for sessions whose eMSP is not stored.
    """
    if session.owner is not None:
        return session.owner.upper() == party.key
    policy = party.ownership
    if policy.steer == "all":
        return True
    if policy.steer == "emsps":
        emsp = session_emsp(session, token_owners)
        return emsp is not None and emsp in {e.upper() for e in policy.emsps}
    return False
