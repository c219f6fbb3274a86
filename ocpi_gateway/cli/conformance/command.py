"""``ocpi-gateway conformance …``: arguments, the run, the reports, the exit code (0, 1 or 2)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from ocpi_gateway.cli.conformance.report import as_json, junit, table
from ocpi_gateway.cli.conformance.runner import OPTIONAL, REQUIRED, Options, run_conformance
from ocpi_gateway.cli.conformance.target import Party, Unreachable


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``conformance`` subcommand's arguments."""
    parser = sub.add_parser("conformance", help="check a CPO's OCPI 2.2.1 ChargingProfiles receiver")
    parser.add_argument("--versions-url", required=True, help="the CPO's OCPI versions endpoint")
    parser.add_argument("--token", required=True, help="the token we call the CPO with (token C)")
    parser.add_argument("--session", required=True, help="an active session at the CPO to steer")
    parser.add_argument("--unknown-session", default=None, help="a session id the CPO does not know")
    parser.add_argument("--callback-url", default=None, help="public base URL of our callback server")
    parser.add_argument("--callback-host", default="127.0.0.1")
    parser.add_argument("--callback-port", type=int, default=0, help="default: a free port")
    parser.add_argument("--expect-token", default=None, help="the token the CPO must use on result POSTs")
    parser.add_argument("--token-a", default=None, help="a credentials token A (credentials_handshake)")
    parser.add_argument("--party", default="NL*SCS", help="who we are, CC*PID (routing headers)")
    parser.add_argument("--cpo", default=None, help="the CPO, CC*PID (OCPI-to-* headers)")
    parser.add_argument("--junit", default=None, help="write JUnit XML here")
    parser.add_argument("--json", default=None, help="write the JSON report (with evidence) here")
    parser.add_argument(
        "--only", default=None, help=f"checks to run, comma-separated; optional: {','.join(OPTIONAL)}"
    )
    parser.add_argument("--timeout-cap", type=float, default=60.0, help="wait at most this long for a result")


def _options(args: argparse.Namespace) -> Options:
    """The options, or ValueError naming what is wrong."""
    only = tuple(n.strip() for n in args.only.split(",") if n.strip()) if args.only else ()
    unknown = sorted(set(only) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ValueError(f"--only: unknown check {', '.join(unknown)}")
    if not args.versions_url.startswith(("http://", "https://")):
        raise ValueError("--versions-url must be an http(s) URL")
    if args.timeout_cap <= 0:
        raise ValueError("--timeout-cap must be positive")
    Party.parse(args.party)
    if args.cpo:
        Party.parse(args.cpo)
    options = Options(
        versions_url=args.versions_url,
        token=args.token,
        session=args.session,
        callback_host=args.callback_host,
        callback_port=args.callback_port,
        callback_url=args.callback_url,
        expect_token=args.expect_token,
        token_a=args.token_a,
        party=args.party,
        cpo=args.cpo,
        only=only,
        timeout_cap=args.timeout_cap,
    )
    if args.unknown_session:
        options.unknown_session = args.unknown_session
    return options


def run(args: argparse.Namespace) -> int:
    """Run, print the table, write the files; 0 all required checks pass, 1 one fails, 2 cannot run."""
    try:
        options = _options(args)
        report = asyncio.run(run_conformance(options))
    except ValueError as exc:
        print(f"ocpi-gateway conformance: {exc}", file=sys.stderr)
        return 2
    except Unreachable as exc:
        print(f"ocpi-gateway conformance: cannot reach the CPO: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the callback address cannot be bound, say
        print(f"ocpi-gateway conformance: {exc}", file=sys.stderr)
        return 2
    table(report, sys.stdout, colour=sys.stdout.isatty())
    if args.junit:
        Path(args.junit).write_text(junit(report))
    if args.json:
        Path(args.json).write_text(json.dumps(as_json(report), indent=2, default=str))
    return 1 if report.failed else 0
