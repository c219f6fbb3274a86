"""The OCPP-format profile API (``/api/v1``): partners that send OCPP 1.6 SetChargingProfile JSON.

``validation`` and ``convert`` are pure; ``submit`` holds the use cases, ``views`` and
``routes`` the HTTP edge. Jobs run through the ordinary queue and worker (``ocpp_jobs.py``).
"""
