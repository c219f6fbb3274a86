"""``ocpi-gateway demo``: the whole product in one terminal, step by step.

It starts a gateway (embedded backend), a mock SCSP and one simulated station on loopback,
starts a transaction, and walks through PUT -> GET -> DELETE, printing what each party
sends and receives, so a newcomer sees an OCPI profile become an OCPP call and come back.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from functools import partial
from typing import Any

from aiohttp import web

from ocpi_gateway.app import create_app
from ocpi_gateway.cli.mockscsp import MockScsp, Received
from ocpi_gateway.cli.simulator import SimulatedStation
from ocpi_gateway.config import Settings, settings_from_mapping

SCSP_TOKEN = "demo-scsp-token"  # noqa: S105  # loopback-only demo credentials
GATEWAY_TOKEN = "demo-gateway-token"  # noqa: S105


def free_port() -> int:
    """A TCP port free on loopback right now (the demo and the tests start servers on it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _is_post_to(path: str, received: Received) -> bool:
    return received.method == "POST" and received.path == path


def _show(step: str, detail: Any = None) -> None:
    print(f"\n== {step}")
    if detail is not None:
        print(json.dumps(detail, indent=2) if not isinstance(detail, str) else detail)


def demo_settings(port: int, scsp_base: str) -> Settings:
    """Settings for an in-process gateway that trusts the demo SCSP on loopback."""
    return settings_from_mapping(
        {
            "http": {"host": "127.0.0.1", "port": port},
            "ocpi": {
                "result_timeout": 20,
                "parties": [
                    {
                        "country_code": "NL",
                        "party_id": "SCS",
                        "token": SCSP_TOKEN,
                        "their_token": GATEWAY_TOKEN,
                        "versions_url": f"{scsp_base}/ocpi/versions",
                        "response_url_hosts": ["127.0.0.1"],
                        "allow_private_callbacks": True,
                    }
                ],
            },
            "ocpp": {"call_timeout": 10},
            "log": {"level": "warning"},
        }
    )


async def run_demo(
    protocol: str = "ocpp1.6", stop: asyncio.Event | None = None, *, conformance: bool = False
) -> bool:
    """Run the walk-through once; ``stop`` (SIGINT) cuts it short cleanly.

    ``conformance``: instead of the walk-through, run the conformance kit against this local
    gateway and its simulated station (what ``ocpi-gateway conformance`` does against any CPO).
    False when the kit found a failure.
    """
    port = free_port()
    scsp = MockScsp(token=GATEWAY_TOKEN, our_token=SCSP_TOKEN, quiet=True)
    await scsp.start()
    runner = web.AppRunner(create_app(demo_settings(port, scsp.base_url)), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    gateway = f"http://127.0.0.1:{port}"
    station = SimulatedStation(
        "DEMO-1", f"ws://127.0.0.1:{port}/ocpp", protocol=protocol, allowed_units=frozenset({"A"})
    )
    try:
        _show(f"Gateway on {gateway} (embedded backend), mock SCSP on {scsp.base_url}")
        await station.connect()
        _show(f"Station DEMO-1 connected over {protocol} and booted; it accepts limits in A only")
        session_id = await station.start_transaction(connector_id=1, id_tag="DEMO-TAG")
        await asyncio.sleep(0.3)
        _show(f"Transaction started: OCPI session_id = {session_id}")
        walk = _conformance(gateway, session_id) if conformance else _walk(scsp, station, gateway, session_id)
        task = asyncio.create_task(walk)
        waiter = asyncio.create_task(stop.wait()) if stop is not None else None
        done, _ = await asyncio.wait(
            {task, *([waiter] if waiter else [])}, return_when=asyncio.FIRST_COMPLETED
        )
        if task not in done:
            task.cancel()
            print("\ninterrupted")
        elif waiter is not None:
            waiter.cancel()
        if task in done:
            return task.result() is not False
        return True
    finally:
        await station.close()
        await runner.cleanup()
        await scsp.stop()


async def _conformance(gateway: str, session_id: str) -> bool:
    """The conformance kit against the local gateway: the tester's one-liner (``demo --conformance``)."""
    from ocpi_gateway.cli.conformance import Options, run_conformance  # only here
    from ocpi_gateway.cli.conformance.report import table

    _show(f"Running the conformance kit against {gateway}/ocpi/versions, session {session_id}")
    options = Options(
        versions_url=f"{gateway}/ocpi/versions",
        token=SCSP_TOKEN,
        session=session_id,
        expect_token=GATEWAY_TOKEN,
        timeout_cap=15,
    )
    report = await run_conformance(options)
    table(report, sys.stdout, colour=sys.stdout.isatty())
    return not report.failed


async def _walk(scsp: MockScsp, station: SimulatedStation, gateway: str, session_id: str) -> None:
    profile = {
        "charging_rate_unit": "W",
        "charging_profile_period": [
            {"start_period": 0, "limit": 11000.0},
            {"start_period": 900, "limit": 7400.0},
        ],
    }
    steps: list[tuple[str, str, Any]] = [
        ("PUT", "SetChargingProfile", profile),
        ("GET", "GetCompositeSchedule", None),
        ("DELETE", "ClearChargingProfile", None),
    ]
    for method, action, body in steps:
        url = scsp.result_url(method.lower())
        if method == "PUT":
            _show(f"SCSP -> gateway: PUT /ocpi/2.2.1/chargingprofiles/{session_id}", body)
            answer = await scsp.put_profile(gateway, SCSP_TOKEN, session_id, body, url)
        elif method == "GET":
            _show(f"SCSP -> gateway: GET /ocpi/2.2.1/chargingprofiles/{session_id}?duration=1800")
            answer = await scsp.get_profile(gateway, SCSP_TOKEN, session_id, 1800, url)
        else:
            _show(f"SCSP -> gateway: DELETE /ocpi/2.2.1/chargingprofiles/{session_id}")
            answer = await scsp.delete_profile(gateway, SCSP_TOKEN, session_id, url)
        _show("gateway -> SCSP (synchronous answer)", answer)
        call = await station.wait_for_call(action, timeout=15)
        note = " (W converted to the station's A)" if method == "PUT" else ""
        _show(f"gateway -> station: {action}{note}", call)
        path = url.removeprefix(scsp.base_url)
        received = await scsp.wait_for(partial(_is_post_to, path), timeout=15)
        _show(f"gateway -> SCSP: POST {received.path} (asynchronous result)", received.body)
    print("\nDone: PUT, GET and DELETE each reached the station and came back to the SCSP.")
