"""Edge: the operator's admin API and status page, plain JSON over HTTP guarded by ``admin.token``.

May import the ground, ``models``, ``web``, ``translate``, ``partners``, ``sessions``, ``stations``
(the seam) and ``core``; never another edge (``ocpi``, ``api``, ``ops``).
"""
