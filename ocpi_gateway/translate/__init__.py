"""Pure OCPI <-> OCPP translation: data in, data out. No asyncio, no sockets, no clocks read.

``tests/test_layering.py`` keeps it that way: nothing here may import aiohttp, redis,
httpx, asyncio or structlog.
"""
