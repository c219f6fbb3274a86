"""Edge: the OCPP-format profile API (``/api/v1``) for partners that send OCPP 1.6 SetChargingProfile JSON.

``validation`` is pure; ``submit`` holds the use cases, ``views`` and ``routes`` the HTTP
edge. Jobs run through the ordinary queue and worker (``core/ocpp_jobs.py``). May import
what every edge may (ground, ``models``, ``web``, ``translate``, ``partners``, ``core``…), never another edge.
"""
