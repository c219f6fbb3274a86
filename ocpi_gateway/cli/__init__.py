"""Tools users run: the ``ocpi-gateway`` commands (``commands``), the demo, the station
simulator, the mock SCSP and the small admin commands (``parties``, ``stations``, ``translate``).

Tools may import everything; nothing outside ``cli/`` imports them. ``main`` imports the
command table lazily so that importing a tool package does not load every command.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The console script ``ocpi-gateway`` and ``python -m ocpi_gateway``."""
    from ocpi_gateway.cli.commands import main as run  # lazy on purpose

    return run(argv)
