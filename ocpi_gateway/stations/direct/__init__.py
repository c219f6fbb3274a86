"""Driver ``direct``: stations dial the gateway's OCPP-J websocket ``/ocpp/{station_id}``.

The endpoint (``server``), the per-station link and call bookkeeping (``link``, ``central``),
framing and flood guards, station auth and TLS, the 1.6 / 2.0.1 message handlers and the
capability probe. Imports the seam and below, never another driver.
"""
