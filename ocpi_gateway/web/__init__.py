"""The HTTP plumbing every edge shares: the middlewares (request ids, OCPI routing headers,
errors rendered in the OCPI envelope), JSON bodies, partner token auth and the envelope.

May import the ground, ``models``, ``partners`` and ``core.steering`` (the request context);
never an edge.
"""
