"""The ``ocpi-gateway`` command line: serve, simulate, mock-scsp, demo, translate.

This module and ``app.py`` are the only places that see every package. Settings are loaded
here and nowhere else; a bad configuration stops start-up with one line naming the key.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from aiohttp import web

from ocpi_gateway.cli.conformance.command import add_parser as add_conformance_parser
from ocpi_gateway.cli.conformance.command import run as run_conformance_command
from ocpi_gateway.cli.parties import add_parties_parser
from ocpi_gateway.cli.runtime import pace_garbage_collector
from ocpi_gateway.config import Settings, load_settings
from ocpi_gateway.errors import ConfigError, GatewayError
from ocpi_gateway.logs import configure_logging

DEFAULT_CONFIG = "config/gateway.toml"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocpi-gateway", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="OCPI API, OCPP endpoint and job worker in one process")
    serve.add_argument("--config", default=None, help=f"TOML file (default {DEFAULT_CONFIG} if present)")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="node processes sharing the port (SO_REUSEPORT); more than one needs Redis",
    )
    serve.add_argument("--worker-index", type=int, default=None, help=argparse.SUPPRESS)

    sim = sub.add_parser("simulate", help="run simulated OCPP charge points")
    sim.add_argument("--url", default="ws://127.0.0.1:8080/ocpp", help="the gateway's OCPP base URL")
    sim.add_argument("--stations", type=int, default=1)
    sim.add_argument("--protocol", choices=["ocpp1.6", "ocpp2.0.1"], default="ocpp1.6")
    sim.add_argument("--start-transactions", action="store_true", help="start one transaction per station")
    sim.add_argument(
        "--meter-interval",
        type=float,
        default=30.0,
        help="with --start-transactions: report energy every N seconds (0 = never; default 30)",
    )
    sim.add_argument("--password", default=None, help="HTTP Basic password (security profile 1/2)")
    sim.add_argument("--prefix", default="SIM", help="station ids are PREFIX-0001, PREFIX-0002, ...")

    scsp = sub.add_parser("mock-scsp", help="a stand-in SCSP that records callbacks")
    scsp.add_argument("--port", type=int, default=8090)
    scsp.add_argument("--host", default="127.0.0.1")
    scsp.add_argument("--gateway", default="http://127.0.0.1:8080", help="where /_send/... requests go")

    demo = sub.add_parser("demo", help="gateway + simulated station + mock SCSP: PUT, GET, DELETE")
    demo.add_argument("--protocol", choices=["ocpp1.6", "ocpp2.0.1"], default="ocpp1.6")
    demo.add_argument(
        "--conformance", action="store_true", help="run the conformance kit against the demo gateway"
    )

    add_parties_parser(sub)

    tr = sub.add_parser("translate", help="print the OCPP call an OCPI profile becomes")
    tr.add_argument(
        "profile",
        nargs="?",
        default="-",
        help="JSON file with an OCPI ChargingProfile (or SetChargingProfile); - or nothing = stdin",
    )
    tr.add_argument("--protocol", choices=["ocpp1.6", "ocpp2.0.1"], default="ocpp1.6")
    tr.add_argument("--units", default="A,W", help="units the station allows: A, W or A,W")
    tr.add_argument("--max-periods", type=int, default=None)
    tr.add_argument("--max-stack-level", type=int, default=None)
    tr.add_argument("--phases", type=int, default=3)
    tr.add_argument("--voltage", type=float, default=230.0)
    tr.add_argument("--connector", type=int, default=1)
    tr.add_argument("--transaction-id", default="1")
    tr.add_argument("--profile-id", type=int, default=1000)
    tr.add_argument("--stack-level", type=int, default=1)

    add_conformance_parser(sub)

    stations = sub.add_parser("stations", help="station credentials")
    stations_sub = stations.add_subparsers(dest="stations_command", required=True)
    hash_pw = stations_sub.add_parser("hash-password", help="print a password_hash for [[ocpp.stations]]")
    hash_pw.add_argument("--password", default=None, help="default: prompt, or the first line of stdin")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _config_path(path: str | None) -> str | None:
    if path is None and Path(DEFAULT_CONFIG).exists():
        return DEFAULT_CONFIG
    return path


def _load(path: str | None) -> Settings:
    return load_settings(_config_path(path))


def _serve(args: argparse.Namespace) -> int:
    from ocpi_gateway.app import create_app

    settings = _load(args.config)
    configure_logging(settings.log.format, settings.log.level)
    if args.workers > 1:
        if not settings.redis.enabled:
            raise ConfigError(
                "redis.url",
                f"serve --workers {args.workers} needs it: workers share their jobs and stations "
                "through Redis (the embedded backend lives in one process)",
            )
        from ocpi_gateway.cli.workers import Supervisor

        stop_timeout = settings.ocpp.call_timeout + 15  # a worker's own drain, plus start-up slack
        return Supervisor(args.workers, _config_path(args.config), stop_timeout).run()
    if settings.ocpp.security_profile == 0 and args.worker_index in (None, 0):
        import structlog

        structlog.get_logger("ocpi_gateway").warning(
            "station_authentication_disabled",
            hint="ocpp.security_profile = 0 lets any client connect as any station; development only",
        )
    from ocpi_gateway.stations.direct.tls import server_ssl_context

    ssl_context = server_ssl_context(settings)  # before create_app: a bad cert stops start-up first
    node_id = None
    if args.worker_index is not None and settings.redis.node_id:
        node_id = f"{settings.redis.node_id}-{args.worker_index}"  # each worker is a node of its own
    app = create_app(settings, node_id=node_id)
    pace_garbage_collector()
    web.run_app(
        app,
        host=settings.http.host,
        port=settings.http.port,
        ssl_context=ssl_context,
        print=None,
        access_log=None,
        shutdown_timeout=settings.ocpp.call_timeout + 10,
        reuse_port=args.worker_index is not None,  # serve --workers: the workers share the port
    )
    return 0


def run_until_signal(main: Callable[[asyncio.Event], Awaitable[None]]) -> int:
    """Run ``main(stop)`` and set ``stop`` on SIGINT/SIGTERM, so tools end cleanly with 0."""

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    asyncio.run(runner())
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from ocpi_gateway.cli.simulator import run_simulation

    configure_logging("console", "warning")
    return run_until_signal(
        lambda stop: run_simulation(
            args.url.rstrip("/"),
            args.stations,
            args.protocol,
            args.start_transactions,
            args.password,
            prefix=args.prefix,
            stop=stop,
            meter_interval=args.meter_interval,
        )
    )


def _mock_scsp(args: argparse.Namespace) -> int:
    from ocpi_gateway.cli.mockscsp import run_mock_scsp

    configure_logging("console", "warning")
    return run_until_signal(
        lambda stop: run_mock_scsp(args.port, args.host, stop=stop, gateway_url=args.gateway)
    )


def _demo(args: argparse.Namespace) -> int:
    from ocpi_gateway.cli.demo import run_demo

    configure_logging("console", "warning")
    passed: list[bool] = []

    async def main(stop: asyncio.Event) -> None:
        passed.append(await run_demo(args.protocol, stop=stop, conformance=args.conformance))

    run_until_signal(main)
    return 0 if all(passed) else 1


def _translate(args: argparse.Namespace) -> int:
    from ocpi_gateway.cli.translate import translate_command

    text = sys.stdin.read() if args.profile == "-" else Path(args.profile).read_text(encoding="utf-8")
    print(json.dumps(translate_command(text, args), indent=2))
    return 0


def _stations(args: argparse.Namespace) -> int:
    from ocpi_gateway.cli.stations import hash_password_command

    print(hash_password_command(args, sys.stdin, sys.stderr))
    return 0


def _parties(args: argparse.Namespace) -> int:
    from ocpi_gateway.cli.parties import run_parties

    return run_parties(args, _load(args.config))


def _conformance(args: argparse.Namespace) -> int:
    configure_logging("console", "warning")
    return run_conformance_command(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "conformance": _conformance,
    "stations": _stations,
    "serve": _serve,
    "simulate": _simulate,
    "mock-scsp": _mock_scsp,
    "demo": _demo,
    "translate": _translate,
    "parties": _parties,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of ``python -m ocpi_gateway``."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"ocpi-gateway: {exc}", file=sys.stderr)
        return 2
    except GatewayError as exc:
        print(f"ocpi-gateway: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
