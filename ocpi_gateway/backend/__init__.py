"""Where accepted state lives: the embedded in-memory backend, or Redis (``redis/``) for durability.

May import only the ground (``config``, ``errors``, ``domain``, ``models``…): storage knows no
HTTP, no station and no partner logic.
"""
