"""The gateway with its job worker held: every PUT is admitted, stored and answered; no job runs.

The sync scenario measures the synchronous PUT. In the gateway proper the PUTs' jobs (station
calls and result POSTs) share the process's one core with the PUTs being measured, so its req/s
pays for a PUT and part of a flow. Run through this module the gateway is the same code with one
difference, ``Worker.run`` waiting forever: its req/s and CPU per PUT are the PUT's own, the
figure that says how far the synchronous path alone is from the bare handler.

Bench only: ``python -m bench.held_worker serve --config FILE`` takes ``ocpi-gateway``'s arguments.
"""

from __future__ import annotations

import asyncio
import sys

from ocpi_gateway.cli.commands import main
from ocpi_gateway.core.worker import Worker


async def _held(self: Worker) -> None:
    await asyncio.Event().wait()  # cancelled at shutdown like the real loop; nothing to drain


if __name__ == "__main__":
    Worker.run = _held  # type: ignore[method-assign]
    sys.exit(main(sys.argv[1:]))
