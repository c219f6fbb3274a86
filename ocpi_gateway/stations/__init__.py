"""The station side: how OCPP calls reach stations, and what stations tell us.

The seam lives here (``driver.py`` the protocols the core calls, ``drivers.py`` the one
factory, ``routing.py`` per-station modes, ``served.py`` the base of remote drivers); each
driver is a subpackage (``direct/``, ``proxy/``, ``csms_http/``, ``bus/``) that imports the seam
and never another driver (``proxy`` alone extends ``direct``: it is a websocket endpoint too).
May import the ground, ``translate``, ``backend`` and ``sessions``; never ``core`` or an edge.
"""
