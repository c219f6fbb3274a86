"""Edge: the OCPI 2.2.1 HTTP interface (versions, credentials, ChargingProfiles, Sessions). Knows no OCPP.

May import the ground, ``models``, ``web``, ``partners``, ``sessions`` and ``core``; never another edge.
"""
