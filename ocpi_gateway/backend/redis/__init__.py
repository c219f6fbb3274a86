"""The Redis backend: streams per node, Lua scripts for the hot path, sessions and partners in hashes.

``backend.py`` is the :class:`~ocpi_gateway.backend.base.Backend` implementation; ``store``,
``jobs``, ``admission`` and ``scripts`` are its parts. Imports only the ground and ``backend``.
"""
