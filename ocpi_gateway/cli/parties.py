"""``ocpi-gateway parties invite|register|list|remove``: partner management from the shell.

The partners live in the gateway's backend (the embedded one lives inside the running
process), so these commands talk to a running gateway through its admin API:
``--gateway`` (default: the configured ``http.public_url`` / listen address) with
``--admin-token`` (default: ``admin.token`` of ``--config``). ``invite`` prints the versions
URL and token A to hand over; no other command prints a token.
"""

from __future__ import annotations

import argparse
from typing import Any

import httpx

from ocpi_gateway.config import Settings
from ocpi_gateway.errors import GatewayError
from ocpi_gateway.partners.parties import encode_token

TIMEOUT = 60.0  # register waits for a whole handshake with the partner


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=None, help="TOML file (default config/gateway.toml if present)")
    common.add_argument("--gateway", default=None, help="the gateway's base URL (default: from the config)")
    common.add_argument(
        "--admin-token", default=None, help="admin token (default: admin.token of the config)"
    )
    return common


def _policy(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steer", choices=["all", "emsps", "registered"], default=None)
    parser.add_argument("--emsp", action="append", default=None, help="CC*PID an 'emsps' policy allows")
    parser.add_argument("--callback-host", action="append", default=None, help="allowed response_url host")
    parser.add_argument(
        "--allow-private-callbacks",
        action="store_true",
        help="allow loopback/private addresses (development)",
    )


def add_parties_parser(sub: Any) -> None:
    """Add the ``parties`` command and its four actions to the CLI's sub-parsers."""
    common = _common()
    parties = sub.add_parser("parties", help="manage OCPI partners on a running gateway")
    actions = parties.add_subparsers(dest="action", required=True)
    invite = actions.add_parser("invite", parents=[common], help="issue a token A for a partner to register")
    invite.add_argument("--country", required=True, help="the partner's country code, e.g. NL")
    invite.add_argument("--party", required=True, help="the partner's party id, e.g. JDX")
    invite.add_argument("--role", default="SCSP")
    _policy(invite)
    register = actions.add_parser("register", parents=[common], help="register with a partner's token A")
    register.add_argument("--versions-url", required=True)
    register.add_argument("--token", required=True, help="the token A the partner gave us")
    _policy(register)
    actions.add_parser("list", parents=[common], help="list partners (never tokens)")
    remove = actions.add_parser("remove", parents=[common], help="unregister and forget a partner")
    remove.add_argument("key", help="CC*PID, e.g. NL*JDX")


def _policy_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if args.steer:
        body["steer"] = args.steer
    if args.emsp:
        body["emsps"] = args.emsp
    if args.callback_host:
        body["response_url_hosts"] = args.callback_host
    if args.allow_private_callbacks:
        body["allow_private_callbacks"] = True
    return body


def _request(args: argparse.Namespace, settings: Settings, method: str, path: str, body: Any = None) -> Any:
    base = (args.gateway or settings.http.base_url).rstrip("/")
    token = args.admin_token or (settings.admin.token.get_secret_value() if settings.admin.token else "")
    if not token:
        raise GatewayError("no admin token: pass --admin-token or set admin.token in the config")
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            response = client.request(
                method, base + path, json=body, headers={"Authorization": encode_token(token)}
            )
    except httpx.HTTPError as exc:
        raise GatewayError(f"cannot reach the gateway at {base}: {type(exc).__name__}") from None
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 300:
        message = data.get("error") if isinstance(data, dict) else None
        raise GatewayError(
            f"the gateway answered HTTP {response.status_code}: {message or response.text[:200]}"
        )
    return data


def _describe(party: dict[str, Any]) -> str:
    hosts = ",".join(party["allowed_callback_hosts"]) or "-"
    steer = party["steer"] + (f" {','.join(party['emsps'])}" if party["emsps"] else "")
    return (
        f"{party['key']:<8} {party['role']:<5} {party['status']:<10} {party['source']:<9} "
        f"steer={steer} callbacks={hosts}{' (private allowed)' if party['allow_private_callbacks'] else ''} "
        f"versions={party['versions_url'] or '-'}"
    )


def run_parties(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``parties`` action against the gateway; 0 on success.

    Raises:
        GatewayError: the gateway is unreachable or refused (printed as one line by the CLI).
    """
    if args.action == "invite":
        body = {"country_code": args.country, "party_id": args.party, "role": args.role, **_policy_body(args)}
        answer = _request(args, settings, "POST", "/admin/parties/invite", body)
        print(f"Invited {answer['party']['key']} ({answer['party']['role']}). Hand over, by a safe channel:")
        print(f"  versions URL: {answer['versions_url']}")
        print(f"  token A:      {answer['token']}")
        print("Token A is good for versions and credentials only; their credentials POST replaces it.")
    elif args.action == "register":
        body = {"versions_url": args.versions_url, "token": args.token, **_policy_body(args)}
        party = _request(args, settings, "POST", "/admin/parties/register", body)
        print(f"Registered with {party['key']} ({party['role']}): {party['chargingprofiles_url']}")
    elif args.action == "list":
        parties = _request(args, settings, "GET", "/admin/parties")
        for party in parties:
            print(_describe(party))
        if not parties:
            print("no partners")
    else:
        key = args.key.upper()
        answer = _request(args, settings, "DELETE", f"/admin/parties/{key}")
        where = "unregistered at the partner too" if answer["unregistered_at_partner"] else "partner not told"
        print(f"Removed {answer['removed']['key']} ({where})")
    return 0
