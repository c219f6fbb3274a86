"""``ocpi-gateway mock-scsp``: run the mock SCSP in the foreground until told to stop."""

from __future__ import annotations

import asyncio

from ocpi_gateway.cli.mockscsp.server import MockScsp


async def run_mock_scsp(
    port: int,
    host: str = "127.0.0.1",
    stop: asyncio.Event | None = None,
    gateway_url: str = "http://127.0.0.1:8080",
) -> None:
    """Serve on ``host:port`` and print each message received until ``stop`` is set.

    ``stop`` ``None`` runs until the task is cancelled.
    """
    scsp = MockScsp(host=host, port=port, gateway_url=gateway_url)
    await scsp.start()
    print(f"mock SCSP on {scsp.base_url}", flush=True)
    print(f"  versions: {scsp.base_url}/ocpi/versions (the gateway calls us with token {scsp.token!r})")
    print(f"  results:  {scsp.base_url}/results/<tag>; recorded list: {scsp.base_url}/_received", flush=True)
    print(
        f'  to send:  POST {scsp.base_url}/_send/put|get|delete with {{"session_id": ..., "profile": ...}}'
        f" (to {gateway_url})",
        flush=True,
    )
    token_a = scsp.credentials.invite()
    print(
        f"  to register the gateway with us: ocpi-gateway parties register --versions-url "
        f"{scsp.base_url}/ocpi/versions --token {token_a} --allow-private-callbacks"
        f" (first `parties remove {scsp.country_code}*{scsp.party_id}` if the gateway lists us statically)",
        flush=True,
    )
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await scsp.stop()
        print("mock SCSP stopped", flush=True)
