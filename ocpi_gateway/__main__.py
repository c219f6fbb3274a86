"""Lets ``python -m ocpi_gateway`` behave exactly like the ``ocpi-gateway`` script."""

from ocpi_gateway.cli.commands import main

raise SystemExit(main())
