"""ocpi-gateway: OCPI 2.2.1 ChargingProfiles in, OCPP SetChargingProfile & co. out.

The top level holds the app factory (``app.py``), the entry point (``__main__.py``) and the
shared ground every package may import: ``config``, ``errors``, ``domain``, ``logs``,
``metrics``, ``timeutil`` (and ``appkeys``, the typed app keys the edges read). The rest is
one package per role; the README's architecture section draws the map and
``tests/test_layering.py`` enforces who may import whom.
"""

__version__ = "0.1.0"
